"""SIGKILL during a load run: every event that got a 200 is stored exactly once.

A real ``personae serve`` process takes single and batched events from eight client
threads; it is killed with SIGKILL mid-run (no shutdown code runs), restarted, and the
clients retry some acknowledged and some unanswered messages as a Segment library would.
Afterwards ``raw_events`` must hold every acknowledged message id once, and no id twice.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
import requests

from personae.web.auth import AuthStore
from personae.workspace import Workspace
from tests.web_support import free_port

pytestmark = pytest.mark.slow


def _start(ws: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "personae.cli", "serve", str(ws), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).ok:
                return proc
        except requests.ConnectionError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode())
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def _wait_applied(port: int) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        h = requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).json()
        if h["lag"] == 0:
            return h
        time.sleep(0.1)
    raise AssertionError(f"the live updater did not catch up: {h}")


def test_sigkill_mid_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    key = AuthStore(ws.path).create_key("site", "writer")
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    port = free_port()
    proc = _start(ws.path, port)
    url = f"http://127.0.0.1:{port}/v1"
    acked: set[str] = set()
    unanswered: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def client(t: int) -> None:
        session = requests.Session()
        i = 0
        while not stop.is_set():
            i += 1
            if i % 5 == 0:
                ids = [f"c{t}-{i}-{k}" for k in range(10)]
                call, body = "batch", {"batch": [
                    {"type": "track", "userId": f"u{t}", "event": "Viewed", "messageId": m}
                    for m in ids]}  # fmt: skip
            else:
                ids = [f"c{t}-{i}"]
                call = "track"
                body = {"userId": f"u{t}", "event": "Clicked", "messageId": ids[0]}
            try:
                r = session.post(f"{url}/{call}", json=body, headers=auth, timeout=5)
            except requests.RequestException:
                with lock:
                    unanswered.update(ids)
                return
            with lock:
                (acked if r.status_code == 200 else unanswered).update(ids)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    time.sleep(2.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for th in threads:
        th.join()
    assert len(acked) > 200, "the load run was too short to mean anything"

    proc = _start(ws.path, port)
    try:
        # clients retry: some acknowledged messages and every unanswered one
        retry = sorted(acked)[:50] + sorted(unanswered)
        for start in range(0, len(retry), 100):
            batch = [
                {"type": "track", "userId": "retry", "event": "Retried", "messageId": m}
                for m in retry[start : start + 100]
            ]
            r = requests.post(f"{url}/batch", json={"batch": batch}, headers=auth, timeout=10)
            assert r.status_code == 200
        acked.update(unanswered)
        health = _wait_applied(port)
        assert health["last_error"] is None
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)

    con = duckdb.connect(str(ws.database_path), read_only=True)
    counts = dict(con.execute("SELECT message_id, count(*) FROM raw_events GROUP BY 1").fetchall())
    con.close()
    missing = acked - set(counts)
    doubled = {m: n for m, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:5]}"
    assert not doubled, f"stored more than once: {list(doubled.items())[:5]}"
