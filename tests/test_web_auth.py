"""Keys, logins and roles: the CLI commands and the credential store they write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personae.cli import app
from personae.web.auth import AUTH_FILE, AuthError, AuthStore, Principal
from personae.workspace import Workspace

runner = CliRunner()


def test_keys_cli_create_list_revoke(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    out = runner.invoke(app, ["keys", "create", "website", "--role", "writer", "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    key = out.output.strip().splitlines()[-1]
    assert key.startswith("wk_") and len(key) > 30
    store = AuthStore(ws.path)
    assert store.principal_for_key(key) == Principal("website", "writer", "key")
    # only a digest is stored, never the key itself
    raw = sqlite3.connect(ws.path / AUTH_FILE).execute("SELECT * FROM api_keys").fetchall()
    assert key not in repr(raw)
    listed = runner.invoke(app, ["keys", "list", "-w", str(ws.path)])
    assert "website" in listed.output and "writer" in listed.output
    key_id = store.list_keys()[0]["key_id"]
    assert runner.invoke(app, ["keys", "revoke", key_id, "-w", str(ws.path)]).exit_code == 0
    assert AuthStore(ws.path).principal_for_key(key) is None
    bad = runner.invoke(app, ["keys", "create", "x", "--role", "root", "-w", str(ws.path)])
    assert bad.exit_code == 2 and "writer, viewer, analyst, admin" in bad.output


def test_users_cli_and_login(tmp_path: Path, monkeypatch) -> None:
    ws = Workspace.init(tmp_path / "ws")
    monkeypatch.setenv("PW", "s3cret-enough")
    out = runner.invoke(
        app,
        ["users", "add", "ana", "--role", "analyst", "--password-env", "PW", "-w", str(ws.path)],
    )
    assert out.exit_code == 0, out.output
    store = AuthStore(ws.path)
    assert store.login("ana", "wrong password") is None
    token = store.login("ana", "s3cret-enough")
    assert token and store.principal_for_session(token) == Principal("ana", "analyst", "user")
    store.logout(token)
    assert store.principal_for_session(token) is None
    raw = sqlite3.connect(ws.path / AUTH_FILE).execute("SELECT * FROM users").fetchall()
    assert "s3cret-enough" not in repr(raw)
    with pytest.raises(AuthError, match="shorter than 8"):
        store.add_user("bob", "short", "viewer")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", {"viewer"}),
        ("analyst", {"viewer", "analyst"}),
        ("admin", {"viewer", "analyst", "admin", "writer"}),
        ("writer", {"writer"}),
    ],
)
def test_roles_are_ordered_and_writers_only_write(role: str, allowed: set[str]) -> None:
    who = Principal("x", role, "key")
    assert {r for r in ("viewer", "analyst", "admin", "writer") if who.can(r)} == allowed
    assert who.sees_pii == (role in ("analyst", "admin"))


def test_audit_log_records_admin_actions_without_secrets(tmp_path: Path) -> None:
    from personae.governance.audit import AuditLog

    ws = Workspace.init(tmp_path / "ws")
    store = AuthStore(ws.path)
    key = store.create_key("crm", "analyst")
    store.add_user("ana", "a-long-password", "admin")
    assert store.login("ana", "nope-nope") is None
    token = store.login("ana", "a-long-password")
    assert token
    store.logout(token)
    store.revoke_key(store.list_keys()[0]["key_id"])
    cfg = ws.path / "personae.toml"
    cfg.write_text(cfg.read_text().replace("min_group_size = 10", "min_group_size = 25"))
    Workspace(ws.path)  # opening the workspace notices the edit
    Workspace(ws.path)  # ... once
    entries = AuditLog(ws.path).entries()
    actions = [e["action"] for e in reversed(entries)]
    assert actions == [
        "key_create", "user_add", "login_failed", "login", "logout", "key_revoke",
        "config_change",
    ]  # fmt: skip
    assert "governance.min_group_size" in entries[0]["detail"]
    everything = repr(entries)
    assert key not in everything and "a-long-password" not in everything
    out = runner.invoke(app, ["audit", "-w", str(ws.path)])
    assert out.exit_code == 0 and "config_change" in out.output and "login_failed" in out.output
