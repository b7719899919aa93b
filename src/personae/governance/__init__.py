"""Privacy and governance: consent, erasure, subject export, pseudonyms, group sizes, audit."""
