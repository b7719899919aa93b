"""`personae run`: every step on an existing workspace, from its declared sources to the report."""

from __future__ import annotations

import subprocess
import sys

from personae import Workspace
from personae.demo import generate
from personae.pipeline import demo_sources, set_brand

CLI = [sys.executable, "-m", "personae.cli"]


def test_run_takes_a_workspace_from_its_sources_to_the_persona_report(tmp_path):
    ws = Workspace.init(tmp_path / "shop", name="Shop")
    generate("retail", 400, 5, ws.path / "data", fmt="csv")
    for name, kind, patterns in demo_sources(ws.path / "data", ws.path):
        ws.add_source(name, kind, patterns)
    set_brand(ws, "retail")
    out = subprocess.run(
        [*CLI, "run", "-w", str(ws.path)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    ws.reload()
    steps = {r["step"] for r in ws.runs().to_pylist()}
    assert {"ingest", "build", "text", "value", "icp", "segment", "personas", "report"} <= steps
    personas = ws.load_personas()
    assert personas
    html = ws.path / "reports" / "personas.html"
    assert html.exists() and str(html) in out.stdout.replace("\n", "")
    text = html.read_text(encoding="utf-8")
    for p in personas:
        assert p.title.text in out.stdout
        assert f'id="persona-{p.id}"' in text
    # running again ingests nothing new and keeps the persona versions
    again = subprocess.run([*CLI, "run", "-w", str(ws.path)], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    versions = ws.sql("SELECT DISTINCT version FROM personas").to_pylist()
    assert versions == [{"version": 1}]


def test_run_on_an_empty_workspace_says_what_to_do(tmp_path):
    Workspace.init(tmp_path / "empty")
    out = subprocess.run(
        [*CLI, "run", "-w", str(tmp_path / "empty")], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "Fix:" in out.stderr
