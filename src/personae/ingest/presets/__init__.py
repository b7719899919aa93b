"""Vendor export layouts as data: one TOML file per layout (see docs/dev/presets.md)."""
