"""The audit log: who did which administrative action, when, to what.

Kept in ``auth.sqlite`` beside the keys and logins (SQLite, so the CLI can write it while
the server runs). Entries name the target by a keyed hash when it is a person's
identifier: the log must not keep what an erasure removed.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from personae.web.auth import AUTH_FILE

ACTIONS = (
    "erase", "export_subject", "config_change", "login", "login_failed", "logout",
    "key_create", "key_revoke", "user_add", "vault_read",
)  # fmt: skip

_DDL = """CREATE TABLE IF NOT EXISTS audit_log (
    at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT,
    detail TEXT)"""


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
