"""Who may do what: API keys, write keys, page logins and the three roles.

Credentials live in ``auth.sqlite`` beside the workspace database rather than in DuckDB,
because DuckDB lets one process hold the database file open for writing: with the
server running, ``personae keys create`` and ``personae users add`` in a second process
must still work, and SQLite allows that. Secrets are never stored: API keys and session
tokens are kept as SHA-256 digests (they are long random strings), passwords as scrypt
hashes with a per-user salt.

Roles are ordered: ``viewer`` sees personas and aggregates only, ``analyst`` adds
individual profiles (PII) and lead scoring, ``admin`` adds key and user management.
A ``writer`` key is a Segment write key: it may send tracking events and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from personae.governance.audit import AUTH_FILE, AuditLog, cli_actor

ROLES = ("viewer", "analyst", "admin")
KEY_ROLES = ("writer", *ROLES)
SESSION_COOKIE = "personae_session"
SESSION_SECONDS = 12 * 3600
_CACHE_SECONDS = 5.0

_DDL = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL, disabled_at TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at REAL NOT NULL);
"""


class AuthError(Exception):
    """A credential operation that cannot be done as asked (message says the fix)."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a user (page login) or an API key."""

    name: str
    role: str
    kind: str  # "user" or "key"

    def can(self, role: str) -> bool:
        """True when this principal's role is ``role`` or above it (writers only write)."""
        if self.role == "writer" or role == "writer":
            return self.role == role or (role == "writer" and self.role == "admin")
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def sees_pii(self) -> bool:
        return self.can("analyst")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """scrypt with a random salt, stored as ``scrypt$salt$hash`` (hex)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt, _ = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), stored)


class AuthStore:
    """Keys, users and sessions of one workspace (thread-safe, multi-process safe)."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / AUTH_FILE
        self.audit = AuditLog(folder)
        self._local = threading.local()
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        with self._con() as con:
            con.executescript(_DDL)

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            self._local.con = con
        return con

    # -- API keys -------------------------------------------------------------------------
    def create_key(self, name: str, role: str, *, actor: str | None = None) -> str:
        """Create a key and return it; only its digest is kept, so show it once."""
        if role not in KEY_ROLES:
            raise AuthError(f"unknown role {role!r}. Fix: use one of {', '.join(KEY_ROLES)}.")
        prefix = "wk" if role == "writer" else "pk"
        key = f"{prefix}_{secrets.token_urlsafe(24)}"
        key_id = key[:10]
        with self._con() as con:
            con.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                (key_id, name, role, _digest(key), _now()),
            )
        self.audit.record(actor or cli_actor(), "key_create", key_id, name=name, role=role)
        return key

    def list_keys(self) -> list[dict[str, str | None]]:
        rows = self._con().execute(
            "SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at"
        )
        cols = ("key_id", "name", "role", "created_at", "revoked_at")
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def revoke_key(self, key_id: str, *, actor: str | None = None) -> bool:
        with self._con() as con:
            cur = con.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (_now(), key_id),
            )
        self._cache.clear()
        if cur.rowcount:
            self.audit.record(actor or cli_actor(), "key_revoke", key_id)
        return cur.rowcount > 0

    def principal_for_key(self, key: str) -> Principal | None:
        """The key's principal, or None; answers are cached for a few seconds."""
        digest = _digest(key)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        row = (
            self._con()
            .execute(
                "SELECT name, role FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                (digest,),
            )
            .fetchone()
        )
        found = Principal(row[0], row[1], "key") if row else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + _CACHE_SECONDS, found)
        return found

    # -- users and sessions ---------------------------------------------------------------
    def add_user(
        self, username: str, password: str, role: str, *, actor: str | None = None
    ) -> None:
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}. Fix: use one of {', '.join(ROLES)}.")
        if len(password) < 8:
            raise AuthError("the password is shorter than 8 characters. Fix: choose a longer one.")
        with self._con() as con:
            con.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, NULL) ON CONFLICT (username) DO UPDATE "
                "SET role = excluded.role, password_hash = excluded.password_hash, "
                "disabled_at = NULL",
                (username, role, hash_password(password), _now()),
            )
        self.audit.record(actor or cli_actor(), "user_add", username, role=role)

    def list_users(self) -> list[dict[str, str | None]]:
        rows = self._con().execute(
            "SELECT username, role, created_at, disabled_at FROM users ORDER BY username"
        )
        cols = ("username", "role", "created_at", "disabled_at")
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def login(self, username: str, password: str) -> str | None:
        """Check the password and open a session; returns the session token or None."""
        row = (
            self._con()
            .execute(
                "SELECT password_hash FROM users WHERE username = ? AND disabled_at IS NULL",
                (username,),
            )
            .fetchone()
        )
        if row is None or not check_password(password, row[0]):
            self.audit.record(username, "login_failed", username)
            return None
        token = secrets.token_urlsafe(32)
        with self._con() as con:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, ?)",
                (_digest(token), username, time.time() + SESSION_SECONDS),
            )
        self.audit.record(username, "login", username)
        return token

    def logout(self, token: str) -> None:
        who = self.principal_for_session(token)
        with self._con() as con:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))
        if who is not None:
            self.audit.record(who.name, "logout", who.name)

    def principal_for_session(self, token: str) -> Principal | None:
        row = (
            self._con()
            .execute(
                "SELECT u.username, u.role FROM sessions s JOIN users u USING (username) "
                "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
                (_digest(token), time.time()),
            )
            .fetchone()
        )
        return Principal(row[0], row[1], "user") if row else None
