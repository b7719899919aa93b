"""Errors that stop an ingest, each naming the file, what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A whole file cannot be ingested (unreadable, empty, unknown format, …)."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}.\n  Fix: {fix}.")


class MappingError(IngestError):
    """The file's columns do not provide a field the source kind requires."""
