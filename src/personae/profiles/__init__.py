"""Unified customer and account profiles built from the resolved identities."""
