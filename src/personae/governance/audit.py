"""The audit log: who did which administrative action, when, to what.

Kept in ``auth.sqlite`` beside the keys and logins (SQLite, so the CLI can write it while
the server runs). Entries name the target by a keyed hash when it is a person's
identifier: the log must not keep what an erasure removed.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AUTH_FILE = "auth.sqlite"  # shared with the keys and logins (web/auth.py)
ACTIONS = (
    "erase", "export_subject", "config_change", "login", "login_failed", "logout",
    "key_create", "key_revoke", "user_add", "vault_read",
)  # fmt: skip

_DDL = """CREATE TABLE IF NOT EXISTS audit_log (
    at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT,
    detail TEXT)"""


def cli_actor() -> str:
    """Who runs a CLI command: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


class AuditLog:
    """Append-only list of administrative actions of one workspace."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / AUTH_FILE

    def _con(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute(_DDL)
        return con

    def record(self, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        con = self._con()
        try:
            con.execute(
                "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="milliseconds"),
                    actor,
                    action,
                    target,
                    json.dumps(detail, default=str) if detail else None,
                ),
            )
        finally:
            con.close()

    def entries(self, action: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        con = self._con()
        try:
            sql = "SELECT at, actor, action, target, detail FROM audit_log"
            params: tuple[Any, ...] = ()
            if action:
                sql += " WHERE action = ?"
                params = (action,)
            rows = con.execute(sql + " ORDER BY rowid DESC LIMIT ?", (*params, limit)).fetchall()
        finally:
            con.close()
        cols = ("at", "actor", "action", "target", "detail")
        return [dict(zip(cols, r, strict=True)) for r in rows]


def _changed_settings(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += _changed_settings(a, b, name + ".")
        elif a != b:
            out.append(name)
    return out


def note_config(folder: str | Path, text: str, actor: str | None = None) -> list[str] | None:
    """Record a ``config_change`` when ``personae.toml`` differs from the last one seen.

    Called whenever a workspace is opened, so an edit made with any editor is logged the
    next time personae runs. Returns the changed settings (None when nothing changed).
    """
    import hashlib
    import tomllib

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    con = sqlite3.connect(Path(folder) / AUTH_FILE, timeout=10, isolation_level=None)
    try:
        con.execute(_DDL)
        con.execute("CREATE TABLE IF NOT EXISTS audit_config (digest TEXT, text TEXT)")
        row = con.execute("SELECT digest, text FROM audit_config").fetchone()
        if row is not None and row[0] == digest:
            return None
        con.execute("DELETE FROM audit_config")
        con.execute("INSERT INTO audit_config VALUES (?, ?)", (digest, text))
    finally:
        con.close()
    if row is None:
        return None  # the first configuration is not a change
    try:
        changed = _changed_settings(tomllib.loads(row[1]), tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        changed = ["(unparseable)"]
    AuditLog(folder).record(
        actor or cli_actor(), "config_change", "personae.toml", settings=changed
    )
    return changed
