"""Erasure and subject export through the API (admins only) and the CLI, audited."""

from __future__ import annotations

import json

import pytest
import requests
from typer.testing import CliRunner

from personae.cli import app
from personae.governance.audit import AuditLog
from tests.web_support import copy_workspace, serve

pytestmark = pytest.mark.slow


def _person(ws) -> dict:
    return ws.sql(
        "SELECT p.profile_id, lower(p.email) AS email, p.user_id FROM profiles p "
        "WHERE p.email IS NOT NULL AND p.user_id IS NOT NULL ORDER BY p.profile_id LIMIT 1"
    ).to_pylist()[0]


def test_admin_exports_then_erases_a_person_over_the_api(retail_5k, tmp_path) -> None:
    ws, _ = retail_5k
    person = _person(ws)
    path = copy_workspace(ws.path, tmp_path / "ws")
    with serve(path) as s:
        admin = {"Authorization": f"Bearer {s.keys['admin']}"}
        analyst = {"Authorization": f"Bearer {s.keys['analyst']}"}
        url = f"{s.url}/v1/subjects/email:{person['email']}"
        assert requests.get(url, headers=analyst).status_code == 403
        assert requests.delete(url, headers=analyst).status_code == 403
        r = requests.get(url, headers=admin)
        assert r.status_code == 200
        doc = r.json()
        assert person["user_id"] in json.dumps(doc)
        r = requests.delete(url, headers=admin)
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["found"] and got["records"] > 0 and got["verified_clean"], got["summary"]
        assert not got["compacted"]  # the server holds the file open; `erase` CLI compacts
        assert person["email"] not in got["summary"]
        profile = requests.get(f"{s.url}/v1/profiles/user_id:{person['user_id']}", headers=admin)
        assert profile.status_code == 404
        assert requests.get(url, headers=admin).status_code == 404
    entries = AuditLog(path).entries()
    actions = [e["action"] for e in entries]
    assert "erase" in actions and "export_subject" in actions
    assert person["email"] not in json.dumps(entries)


def test_cli_export_and_erase(retail_5k, tmp_path) -> None:
    ws, _ = retail_5k
    person = _person(ws)
    path = copy_workspace(ws.path, tmp_path / "ws")
    runner = CliRunner()
    out = runner.invoke(
        app,
        ["export-subject", f"user_id:{person['user_id']}", "--out", str(tmp_path / "x"),
         "-w", str(path)],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    exported = json.loads((tmp_path / "x" / "subject.json").read_text())
    assert person["email"] in json.dumps(exported).lower()
    out = runner.invoke(app, ["erase", f"user_id:{person['user_id']}", "--yes", "-w", str(path)])
    assert out.exit_code == 0, out.output
    assert "nothing found" in out.output and "compacted" in out.output
    assert person["email"] not in out.output
    assert [e["action"] for e in AuditLog(path).entries()][:2] == ["erase", "export_subject"]
