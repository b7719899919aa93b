"""End-to-end: ``personae demo`` at several sizes, wall time and peak memory per run.

Each size runs in its own subprocess (``personae demo PATH --customers N``) so its peak
resident memory is measured alone (``resource.getrusage(RUSAGE_CHILDREN)`` after it ends).
The per-step seconds come from the workspace's ``runs`` table; generating the demo data is
the wall time before the first run starts. The smaller size is the baseline: the same
pipeline on 10× less data shows how each step scales.

    .venv/bin/python bench/demo.py                        # 100,000 and 1,000,000 customers
    .venv/bin/python bench/demo.py --customers 20000 200000
    .venv/bin/python bench/demo.py --customers 1000000 --memory-limit 6GB

Targets (issue 7): 1,000,000 customers end to end in under 5 minutes and under 8 GB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
STEPS = ("ingest", "build", "text", "value", "icp", "score-leads", "segment", "personas", "report")


def run(customers: int, memory_limit: str = "") -> dict:
    path = OUT / f"demo-{customers}"
    if path.exists():
        shutil.rmtree(path)
    personae = Path(sys.executable).with_name("personae")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [str(personae), "demo", str(path), "--customers", str(customers)]
        + (["--memory-limit", memory_limit] if memory_limit else []),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"personae demo --customers {customers} failed ({done.returncode})")
    con = duckdb.connect(str(path / "personae.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT step, started_at, finished_at FROM runs ORDER BY finished_at"
    ).fetchall()
    records = con.execute("SELECT sum(ingested) FROM ingest_files").fetchall()[0][0]
    con.close()
    # Steps run one after the other, so a step's time is from the previous step's end to
    # its own end (some steps record only their final part as a run); generating the data
    # is everything before the first step started.
    steps: dict[str, float] = {}
    previous = rows[0][1]
    for step, _, finished in rows:
        steps[step] = steps.get(step, 0.0) + (finished - previous).total_seconds()
        previous = finished
    steps["generate"] = max(seconds - (rows[-1][2] - rows[0][1]).total_seconds(), 0.0)
    return {
        "customers": customers,
        "records": int(records or 0),
        "seconds": seconds,
        "peak_gb": max(peak_kb, before) / 1024 / 1024,
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--memory-limit", default="", help="DuckDB memory limit, e.g. 6GB")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = [run(n, args.memory_limit) for n in sorted(args.customers)]
    cols = ["generate", *STEPS]
    print("| customers | records | " + " | ".join(cols) + " | total s | peak RSS GB |")
    print("| ---: | ---: | " + " | ".join("---:" for _ in cols) + " | ---: | ---: |")
    for r in results:
        cells = [f"{r['steps'].get(c, 0.0):.1f}" for c in cols]
        print(
            f"| {r['customers']:,} | {r['records']:,} | "
            + " | ".join(cells)
            + f" | **{r['seconds']:.0f}** | {r['peak_gb']:.1f} |"
        )
    print(
        "\nPeak RSS is the largest of the demo processes run so far (getrusage of children);"
        " run one size per invocation for an exact figure per size."
    )


if __name__ == "__main__":
    main()
