"""`personae demo`, the README's main job, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from personae import Workspace

CLI = [sys.executable, "-m", "personae.cli"]


def test_demo_builds_a_workspace_prints_a_summary_and_can_run_again(tmp_path):
    target = tmp_path / "demo"
    for _ in range(2):  # the second run starts from a fresh workspace again
        out = subprocess.run(
            [*CLI, "demo", str(target), "--customers", "300"],
            capture_output=True,
            text=True,
            env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
        )
        assert out.returncode == 0, out.stderr
        assert "summary" in out.stdout and "quarantined" in out.stdout
        assert str(target / "reports" / "ingest.md") in out.stdout.replace("\n", "")
        # it ends with the profiles identity resolution found and example profiles
        assert "Identity and profiles" in out.stdout and "Example profiles" in out.stdout
        # ... then what the customers are worth, and where the value reports are
        flat = out.stdout.replace("\n", "")
        assert "Value:" in out.stdout and str(target / "reports" / "value.md") in flat
        assert (target / "reports" / "icp.md").exists()
        assert (target / "data" / "prospects.scored.csv").exists()
        assert (target / "reports" / "segments.md").exists()
        assert "Segments:" in out.stdout and "segments of" in out.stdout
        # it ends with where the persona report is, after the persona summary table
        html = target / "reports" / "personas.html"
        assert html.exists() and (target / "reports" / "personas.md").exists()
        tail = flat[flat.index("personas") :]
        assert "Persona report:" in tail and str(html) in tail
    ws = Workspace(target)
    personas = ws.load_personas()
    assert personas and all(p.title.text.startswith(p.name + ", the ") for p in personas)
    for p in personas:
        assert p.title.text in flat
    counts = ws.counts()
    assert counts["raw_orders"] > 0 and counts["raw_events"] > 0 and counts["quarantine"] > 0
    assert len(ws.config.sources) >= 9
    assert counts["profiles"] > 250 and counts["identity_map"] > counts["profiles"]
    runs = ws.runs().to_pylist()
    # the folder was recreated: one ingest and one build
    assert sorted(r["step"] for r in runs) == [
        "build",
        "icp",
        "ingest",
        "personas",
        "report",
        "score-leads",
        "segment",
        "text",
        "value",
    ]
    assert all(r["status"] == "ok" for r in runs)


def test_demo_refuses_to_overwrite_a_folder_that_is_not_a_workspace(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    out = subprocess.run(
        [*CLI, "demo", str(precious), "--customers", "100"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "not a personae workspace" in out.stderr
    assert (precious / "thesis.txt").read_text() == "do not delete"
