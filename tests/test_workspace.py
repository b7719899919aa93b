"""The workspace folder, its documented settings, sources declared in the config, the CLI."""

from __future__ import annotations

import csv
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
from pydantic import BaseModel

from personae import Workspace
from personae.config import Config

CLI = [sys.executable, "-m", "personae.cli"]


def _leaves(model, prefix=""):
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _leaves(value, f"{prefix}{name}.")
        elif name not in ("sources", "audiences"):
            yield f"{prefix}{name}", value


def test_init_writes_every_setting_with_its_default_and_a_database(tmp_path):
    out = subprocess.run([*CLI, "init", str(tmp_path / "shop")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "shop"
    text = (folder / "personae.toml").read_text()
    written = tomllib.loads(text)
    lines = text.splitlines()
    for key, default in _leaves(Config()):
        *sections, name = key.split(".")
        table = written
        for section in sections:
            table = table[section]
        if key == "workspace.name":
            assert table[name] == "shop"
            continue
        assert table[name] == default, key
        # every setting is documented: a comment line right above it (or above its table)
        header = "[" + ".".join([*sections, name]) + "]"
        at = next(
            i for i, line in enumerate(lines) if line.startswith(f"{name} =") or line == header
        )
        assert lines[at - 1].startswith("#"), f"{key} has no comment"
    con = duckdb.connect(str(folder / "personae.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    con.close()
    assert {"raw_orders", "raw_events", "quarantine", "ingest_files", "runs"} <= tables
    # init is idempotent and keeps the user's edits
    (folder / "personae.toml").write_text(text.replace('date_order = "MDY"', 'date_order = "DMY"'))
    Workspace.init(folder)
    assert Workspace(folder).config.ingest.date_order == "DMY"


def test_sources_in_the_config_with_a_column_mapping(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    data = tmp_path / "exports"
    data.mkdir()
    (data / "crm_a.csv").write_text("Kunden-Nr;E-Mail Adresse;Vorname\nK1;a@example.de;Anna\n")
    (data / "crm_b.csv").write_text("Kunden-Nr;E-Mail Adresse;Vorname\nK2;b@example.de;Ben\n")
    ws.add_source(
        "crm",
        "contacts",
        ["../exports/crm_*.csv"],
        columns={"contact_id": "Kunden-Nr", "first_name": "Vorname", "email": "E-Mail Adresse"},
    )
    report = ws.ingest()
    assert report.ingested == 2 and len(report.files) == 2
    rows = ws.sql("SELECT contact_id, email, first_name, _extra FROM raw_contacts ORDER BY 1")
    assert rows.to_pylist() == [
        {"contact_id": "K1", "email": "a@example.de", "first_name": "Anna", "_extra": None},
        {"contact_id": "K2", "email": "b@example.de", "first_name": "Ben", "_extra": None},
    ]
    runs = ws.runs().to_pylist()
    assert runs[-1]["step"] == "ingest" and runs[-1]["status"] == "ok"
    assert '"ingested": 2' in runs[-1]["counts"]


def test_unmapped_columns_are_kept_in_extra(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    f = tmp_path / "r.csv"
    f.write_text("Review ID,Rating,Store Mood\nR1,4,sunny\n")
    ws.ingest("reviews", [f])
    assert ws.sql("SELECT _extra FROM raw_reviews")["_extra"][0].as_py() == '{"Store Mood":"sunny"}'


def test_quarantine_command_lists_and_exports(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    f = tmp_path / "r.csv"
    f.write_text("Review ID,Rating,Body\nR1,5,great\nR2,9,too good\nR3,five,meh\n")
    ws.ingest("reviews", [f])
    out = subprocess.run([*CLI, "quarantine", "-w", str(ws.path)], capture_output=True, text=True)
    assert out.returncode == 0
    assert "r.csv:2 out_of_range Rating:" in out.stdout
    assert "r.csv:3 bad_number Rating:" in out.stdout
    target = tmp_path / "rejected.csv"
    out = subprocess.run(
        [*CLI, "quarantine", "-w", str(ws.path), "--reason", "bad_number", "--export", str(target)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(target.open()))
    assert [(r["source_row"], r["reason"], r["column_name"]) for r in rows] == [
        ("3", "bad_number", "Rating")
    ]
    assert Path(rows[0]["source_file"]) == f.resolve()


def test_every_command_has_help():
    out = subprocess.run([*CLI, "--help"], capture_output=True, text=True)
    commands = ["init", "demo", "demo-data", "ingest", "quarantine", "status", "kinds"]
    for command in commands:
        assert command in out.stdout
        sub = subprocess.run([*CLI, command, "--help"], capture_output=True, text=True)
        assert sub.returncode == 0 and "Usage" in sub.stdout, command


def test_text_is_trimmed_of_tabs_and_non_breaking_spaces(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    f = tmp_path / "c.csv"
    f.write_text(
        "Contact ID,Email Address,City\n"
        'C1,"\\tAnna@Example.com ",\u00a0Leeds\u00a0\n'
        '"\\t ",x@example.com,York\n'.replace("\\t", "\t")
    )
    report = ws.ingest("contacts", [f])
    assert (report.ingested, report.rejected) == (1, 1)
    row = ws.sql("SELECT email, city FROM raw_contacts").to_pylist()[0]
    assert row == {"email": "Anna@Example.com", "city": "Leeds"}
    assert ws.sql("SELECT reason FROM quarantine")["reason"][0].as_py() == "missing_required"
