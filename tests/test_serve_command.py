"""``personae serve`` as a user starts it: what it prints while it gets ready.

Rebuilding the serving store takes minutes on a large workspace (about two at a million
profiles), so the command says it is building, for how many profiles, and when it is ready;
a restart with nothing changed reuses the store and says nothing about it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from personae.workspace import Workspace
from tests.web_support import free_port


def _serve_once(ws: Path, out: Path) -> str:
    """Start the server, wait until it answers, stop it with Ctrl-C; what it printed."""
    port = free_port()
    with open(out, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "personae.cli", "serve", str(ws), "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
                assert proc.poll() is None, out.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    return out.read_text(encoding="utf-8")


def test_serve_says_when_it_builds_the_serving_store(tmp_path: Path) -> None:
    crm = tmp_path / "contacts.csv"
    crm.write_text(
        "contact_id,email\n" + "".join(f"K{i},p{i}@harbour.test\n" for i in range(37)),
        encoding="utf-8",
    )
    ws = Workspace.init(tmp_path / "ws")
    ws.add_source("crm", "contacts", [str(crm)])
    ws.ingest()
    ws.build()
    n = ws.sql("SELECT count(*) AS n FROM profiles").to_pylist()[0]["n"]
    assert n == 37

    first = _serve_once(ws.path, tmp_path / "first.txt")
    assert f"Building the serving store for {n} profiles" in first, first
    assert f"Serving store ready: {n} profiles in" in first, first
    again = _serve_once(ws.path, tmp_path / "again.txt")
    assert "Serving" in again and "serving store" not in again.lower(), again
