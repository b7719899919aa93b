"""Benchmark: the live updater of ``personae serve`` applying a backlog of tracking events.

    .venv/bin/python bench/live_updater.py                  # 200,000 events, passes of 20k and 100k
    .venv/bin/python bench/live_updater.py --events 50000 --pass-lines 5000 20000 100000

A copy of the demo workspace (``demo-workspace/``, from ``make demo``) gets an event log of
``--events`` Segment track calls for random demo customers, written as the tracking API
writes it. Then the live updater (no server, no intake competing for the cores) applies the
whole log, once per pass size, each time on a fresh copy: events per second, passes, and
the slowest pass. The first pass size is the baseline (20,000 lines, the default before
issue 8's last session). The log is applied exactly as in ``personae serve``: staging and
checks as ``personae ingest``, identity, profile updates, serving-store refresh.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from personae.web.eventlog import segment_name  # noqa: E402
from personae.web.segment_spec import encode, normalise  # noqa: E402
from personae.web.server import STREAM_DIR, Server  # noqa: E402
from personae.workspace import Workspace  # noqa: E402

OUT = ROOT / "bench" / "out" / "live_updater"
DEMO = ROOT / "demo-workspace"


def workspace_with_log(target: Path, events: int, seed: int) -> Path:
    """A copy of the demo workspace whose event log holds ``events`` track calls."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        DEMO, target, ignore=shutil.ignore_patterns(STREAM_DIR, "serving*", "*.wal", "reports")
    )
    with duckdb.connect(str(target / "personae.duckdb"), read_only=True) as con:
        users = [
            r[0]
            for r in con.execute(
                "SELECT id_value FROM identity_map WHERE id_type = 'user_id' ORDER BY 1"
            ).fetchall()
        ]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    (target / STREAM_DIR).mkdir()
    with open(target / STREAM_DIR / segment_name(1), "wb") as fh:
        for i in range(events):
            msg = {
                "type": "track",
                "userId": rng.choice(users),
                "event": "Product Viewed",
                "messageId": f"bench-{i}",
                "properties": {"product_id": f"SKU-{i % 5000:05d}", "price": 19.99},
                "context": {"library": {"name": "analytics-python"}, "ip": "203.0.113.4"},
            }
            fh.write(encode(normalise(msg, "", now), ""))
    return target


def apply_all(path: Path, pass_lines: int) -> dict:
    """Open the workspace as the server does (serving store built first, not timed), then
    apply the whole log in passes of at most ``pass_lines``."""
    server = Server(Workspace(path), live=False).open()
    try:
        live = server.live
        assert live is not None
        live.batch_lines = pass_lines
        passes: list[float] = []
        applied = 0
        started = time.perf_counter()
        while True:
            t = time.perf_counter()
            n = live.apply_once()
            if not n:
                break
            passes.append(time.perf_counter() - t)
            applied += n
        seconds = time.perf_counter() - started
    finally:
        server.close()
    return {
        "pass_lines": pass_lines,
        "events": applied,
        "seconds": seconds,
        "per_second": applied / seconds,
        "passes": len(passes),
        "slowest": max(passes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--pass-lines", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not (DEMO / "personae.duckdb").exists():
        sys.exit("demo-workspace/ is missing: run `make demo` first")
    console = Console()
    rows = []
    for lines in args.pass_lines:
        ws = workspace_with_log(OUT / "ws", args.events, args.seed)
        console.print(f"applying {args.events:,} events in passes of {lines:,} lines")
        rows.append(apply_all(ws, lines))
    table = Table(title=f"live updater: a backlog of {args.events:,} track events, demo workspace")
    for col in ("pass lines", "events", "seconds", "events/s", "passes", "slowest pass s"):
        table.add_column(col, justify="right")
    for i, r in enumerate(rows):
        label = f"{r['pass_lines']:,}" + (" (baseline)" if i == 0 else "")
        table.add_row(
            label,
            f"{r['events']:,}",
            f"{r['seconds']:.1f}",
            f"{r['per_second']:,.0f}",
            str(r["passes"]),
            f"{r['slowest']:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
