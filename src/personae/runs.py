"""The ``runs`` table: every step records what it read, its settings, counts and duration."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR, step VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
    seconds DOUBLE, status VARCHAR, inputs VARCHAR, config_hash VARCHAR, counts VARCHAR,
    message VARCHAR)"""


class StepCannotRun(Exception):
    """A step cannot run on this workspace's data (its inputs are absent, empty or unfit).

    The message names the step's need and the fix. Every step's own error derives from it,
    so ``personae run`` records the step as ``skipped`` and goes on with the steps after it
    (they use what exists), instead of stopping the whole pipeline.
    """

    recorded = False  # set once record_run has written the 'skipped' row


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Run:
    """A step's run in progress; fill ``counts`` and ``inputs`` while working."""

    step: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    inputs: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    message: str = ""


def config_hash(config_json: str) -> str:
    return hashlib.sha256(config_json.encode()).hexdigest()[:16]


def record_skip(con: duckdb.DuckDBPyConnection, step: str, cfg_hash: str, reason: str) -> None:
    """A ``skipped`` row for a step that could not start (see :class:`StepCannotRun`)."""
    con.execute(RUNS_DDL)
    now = _utcnow()
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex[:16], step, now, now, 0.0, "skipped", "[]", cfg_hash, "{}",
         reason[:2000]],
    )  # fmt: skip


@contextmanager
def record_run(con: duckdb.DuckDBPyConnection, step: str, cfg_hash: str) -> Iterator[Run]:
    """Record a run; a failure is recorded too (status 'failed' with the error) and re-raised."""
    con.execute(RUNS_DDL)
    run = Run(step)
    started, t0 = _utcnow(), time.perf_counter()
    status = "ok"
    try:
        yield run
    except StepCannotRun as exc:
        status, run.message = "skipped", str(exc)[:2000]
        exc.recorded = True
        raise
    except BaseException as exc:
        status, run.message = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        raise
    finally:
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                step,
                started,
                _utcnow(),
                time.perf_counter() - t0,
                status,
                json.dumps(run.inputs),
                cfg_hash,
                json.dumps(run.counts, default=str),
                run.message,
            ],
        )
