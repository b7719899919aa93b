"""A real ``personae serve`` for tests: uvicorn on a free loopback port in a thread.

The workspace is copied first, so the served DuckDB file (which the server holds open for
writing) is never one that another test's fixture also writes to.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from personae.web.app import create_app
from personae.web.auth import AuthStore
from personae.workspace import Workspace

PASSWORD = "correct horse battery"
ROLES = ("viewer", "analyst", "admin")


@dataclass
class Served:
    url: str
    path: Path
    keys: dict[str, str] = field(default_factory=dict)  # role (and "writer") -> API key
    users: dict[str, str] = field(default_factory=dict)  # role -> user name
    password: str = PASSWORD
    app: Any = None  # the FastAPI app (its state holds the server, for white-box checks)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_workspace(source: Path, target: Path) -> Path:
    """Copy a workspace folder without its live-serving state."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.wal", "stream", "serving*"))
    return target


def add_credentials(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    auth = AuthStore(path)
    keys = {role: auth.create_key(f"test-{role}", role) for role in (*ROLES, "writer")}
    users = {}
    for role in ROLES:
        auth.add_user(f"{role}1", PASSWORD, role)
        users[role] = f"{role}1"
    return keys, users


@contextmanager
def serve(path: Path) -> Iterator[Served]:
    """Serve the workspace at ``path`` until the block ends."""
    keys, users = add_credentials(path)
    port = free_port()
    app = create_app(Workspace(path))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("personae serve did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", path, keys, users, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
