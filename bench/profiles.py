"""Benchmark: identity resolution + profile build vs one hand-written DuckDB GROUP BY.

    .venv/bin/python bench/profiles.py                       # 1,000,000 retail customers
    .venv/bin/python bench/profiles.py --customers 100000    # quicker

The retail demo is generated once as Parquet and ingested once (both kept under bench/out/
for re-runs). Then, in this same process and on the same DuckDB file:

- **ceiling**: one hand-written ``GROUP BY`` over the events table — per visitor, the event
  count, first and last time, sessions and page views. It is the least any profile build
  must do (read every event once and aggregate it), so it stands for the engine's ceiling.
- **personae**: ``Workspace.build()`` on DuckDB — normalise every identifier of every record
  (orders, events, CRM, email, surveys, tickets, reviews, posts), run the merge guards,
  connected components, stable ids and audit, then every attribute family and survivorship.

It prints the time of each, the ratio, the step timings and the peak memory (RSS of this
process, which includes DuckDB's).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from personae import Workspace
from personae.demo import generate
from personae.pipeline import demo_sources

console = Console(width=140)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_workspace(out: Path, customers: int, seed: int) -> Workspace:
    data = out / f"retail-{customers}-{seed}"
    manifest = data / "manifest.json"
    if not (manifest.exists() and json.loads(manifest.read_text()).get("customers") == customers):
        shutil.rmtree(data, ignore_errors=True)
        console.print(f"generating {customers:,} retail customers as Parquet into {data} …")
        generate("retail", customers, seed, data, fmt="parquet")
    folder = out / f"profiles-{customers}-{seed}"
    done = folder / ".ingested"
    if done.exists():
        console.print(f"reusing the ingested workspace {folder}")
        return Workspace(folder)
    shutil.rmtree(folder, ignore_errors=True)
    ws = Workspace.init(folder)
    for name, kind, patterns in demo_sources(data, data):
        ws.add_source(name, kind, [str(data / p) for p in patterns])
    console.print("ingesting …")
    t0 = time.perf_counter()
    ws.ingest()
    console.print(f"  ingested in {time.perf_counter() - t0:.1f} s")
    done.touch()
    return ws


CEILING_SQL = """
SELECT coalesce(user_id, anonymous_id) AS visitor, count(*) AS events,
       min(timestamp) AS first_seen, max(timestamp) AS last_seen,
       count(DISTINCT CAST(timestamp AS DATE)) AS active_days,
       sum(CASE WHEN type = 'page' THEN 1 ELSE 0 END) AS page_views
FROM raw_events GROUP BY 1
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--fuzzy", action="store_true", help="also run Splink fuzzy matching")
    parser.add_argument("--steps", action="store_true", help="log every SQL step's time")
    args = parser.parse_args()
    if args.steps:
        import logging

        logging.basicConfig(format="%(asctime)s %(message)s")
        logging.getLogger("personae").setLevel(logging.DEBUG)

    ws = ensure_workspace(args.out, args.customers, args.seed)
    rss_before = _peak_rss_mb()
    counts = ws.counts()
    records = sum(n for t, n in counts.items() if t.startswith("raw_"))
    events = counts["raw_events"]
    with ws.connect() as con:
        t0 = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ceiling AS {CEILING_SQL}")
        ceiling = time.perf_counter() - t0
        visitors = con.execute("SELECT count(*) FROM _ceiling").fetchall()[0][0]
        # a fresh build: no previous identity map
        for table in ("identity_map",):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    rss_ceiling = _peak_rss_mb()
    if args.fuzzy:
        from personae.pipeline import enable_fuzzy_matching

        enable_fuzzy_matching(ws)
    t0 = time.perf_counter()
    result = ws.build(backend="duckdb")
    ours = time.perf_counter() - t0
    rss = _peak_rss_mb()

    table = Table(
        title=f"Identity + profiles for the {args.customers:,}-customer retail demo "
        f"({records:,} records, {events:,} events)",
        title_justify="left",
    )
    for col in ("run", "seconds", "output rows", "ratio"):
        table.add_column(col, justify="left" if col == "run" else "right")
    table.add_row("ceiling: one GROUP BY over events", f"{ceiling:.2f}", f"{visitors:,}", "1.00×")
    table.add_row(
        "personae build (identity + profiles)",
        f"{ours:.2f}",
        f"{result.profiles:,} profiles",
        f"{ours / ceiling:.2f}×",
    )
    for step, secs in result.timings.items():
        table.add_row(f"  {step}", f"{secs:.2f}", "", f"{secs / ceiling:.2f}×")
    console.print(table)
    console.print(
        f"peak RSS: {rss_before:,.0f} MB before, {rss_ceiling:,.0f} MB after the ceiling, "
        f"{rss:,.0f} MB after the build"
    )
    verdict = "[green]meets[/]" if ours / ceiling <= 3 else "[red]misses[/]"
    console.print(f"personae takes {ours / ceiling:.2f}× the ceiling: {verdict} the ≤ 3× target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
