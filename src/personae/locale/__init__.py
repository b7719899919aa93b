"""Locale and money: the reporting currency inferred from the data, one money formatter."""
