"""Identity resolution: linking records that describe the same person."""
