"""The workspace's secret key, for tombstones and pseudonyms.

A tombstone or a pseudonym must be a *keyed* hash: a plain hash of an email can be
reversed by hashing candidate emails. The key comes from the environment variable named
by ``[governance] key_env`` or, when it is unset, from ``secret.key`` in the workspace
(32 random bytes, created on first use, readable by the owner only).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_FILE = "secret.key"


def workspace_key(folder: str | Path, env: str = "PERSONAE_KEY") -> bytes:
    """The key: the environment variable's value, else the workspace's key file."""
    value = os.environ.get(env)
    if value:
        return value.encode("utf-8")
    path = Path(folder) / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` (hex): equal inputs match, nothing reverses it without the key."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
