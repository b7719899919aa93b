"""Helpers shared by tests."""

from __future__ import annotations

import csv
from pathlib import Path

from personae import Workspace
from personae.ingest.loader import IngestReport
from personae.pipeline import demo_sources


def ingest_demo(data: Path, ws_path: Path) -> tuple[Workspace, IngestReport]:
    ws = Workspace.init(ws_path)
    for name, kind, patterns in demo_sources(data, data):
        ws.add_source(name, kind, [str(data / p) for p in patterns])
    return ws, ws.ingest()


def read_truth(data: Path, name: str) -> list[dict[str, str]]:
    with open(data / "truth" / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
