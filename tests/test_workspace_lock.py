"""A workspace held open by another process (typically ``personae serve``) gets a clear
error naming the process and the fix, from the batch commands and from a second server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app

HOLD = (
    "import duckdb, sys, time\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('holding', flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.fixture()
def held(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    with ws.connect():
        pass
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(ws.database_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        yield ws, proc.pid
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    "args",
    [["personas", "-w", "{ws}"], ["run", "-w", "{ws}"], ["serve", "{ws}", "--port", "1"]],
    ids=["personas", "run", "serve"],
)
def test_a_held_workspace_names_the_holder_and_the_fix(held, args) -> None:
    ws, pid = held
    result = CliRunner().invoke(app, [a.format(ws=ws.path) for a in args])
    text = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, result.output
    assert f"is open in another process (PID {pid})" in text
    assert "personae serve" in text and "Fix: stop that process" in text
    assert "Traceback" not in result.output
