"""Shared fixtures: demo data sets generated once per test session, and ingested workspaces."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from personae.demo import generate
from tests.helpers import ingest_demo

RETAIL_CUSTOMERS = 1500
SAAS_ACCOUNTS = 250


@pytest.fixture(scope="session")
def retail_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("retail") / "data"
    generate("retail", RETAIL_CUSTOMERS, 11, out, fmt="csv")
    return out


@pytest.fixture(scope="session")
def saas_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("saas") / "data"
    generate("saas", SAAS_ACCOUNTS, 12, out, fmt="csv")
    return out


@pytest.fixture(scope="session")
def retail_ws(retail_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return ingest_demo(retail_data, tmp_path_factory.mktemp("retail-ws") / "ws")


@pytest.fixture(scope="session")
def saas_ws(saas_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return ingest_demo(saas_data, tmp_path_factory.mktemp("saas-ws") / "ws")


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """A folder that ``build`` fills once per test run, shared by the xdist workers.

    The first worker to ask builds it under a file lock; the others wait and reuse it.
    Callers copy what they will change (a workspace), so each worker still has its own.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above every worker's own
    folder = root / f"shared-{name}"
    with FileLock(f"{folder}.lock"):
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            (folder / ".built").touch()
    return folder


def _analyse(scenario: str, folder: Path) -> None:
    """A demo-sized (5,000) workspace, seed 42, through text, value and segments: the data
    the ground-truth tests of the voice and the segments judge against."""
    from personae.pipeline import set_brand

    data = folder / "data"
    generate(scenario, 5000, 42, data, fmt="csv")
    ws, _ = ingest_demo(data, folder / "ws")
    set_brand(ws, scenario)
    ws.build()
    ws.text()
    ws.value()
    ws.segment()


def _analysed(scenario: str, tmp_path_factory: pytest.TempPathFactory):
    from personae.workspace import Workspace
    from tests.web_support import copy_workspace

    shared = built_once(tmp_path_factory, f"{scenario}-5k", lambda f: _analyse(scenario, f))
    own = copy_workspace(shared / "ws", tmp_path_factory.mktemp(f"{scenario}-5k") / "ws")
    return Workspace(own), shared / "data"


@pytest.fixture(scope="session")
def retail_5k(tmp_path_factory: pytest.TempPathFactory):
    return _analysed("retail", tmp_path_factory)


@pytest.fixture(scope="session")
def saas_5k(tmp_path_factory: pytest.TempPathFactory):
    return _analysed("saas", tmp_path_factory)


@pytest.fixture(scope="session")
def served_retail(retail_5k, tmp_path_factory: pytest.TempPathFactory):
    """The 5k retail demo with personas and report, served by a real uvicorn + FastAPI."""
    from tests.web_support import copy_workspace, serve

    ws, _ = retail_5k
    ws.icp()
    ws.personas()
    copy = copy_workspace(ws.path, tmp_path_factory.mktemp("served") / "ws")
    with serve(copy) as served:
        yield served


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's chromium under Playwright, with its own background traffic switched off so
    that the tests' "no request leaves the machine" checks see only the page's requests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
