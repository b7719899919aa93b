"""Benchmark: personae ingest vs a plain DuckDB ``read_parquet`` copy of the same files.

    .venv/bin/python bench/ingest.py                      # 1,000,000 retail customers
    .venv/bin/python bench/ingest.py --customers 50000    # a quick run

The retail demo is generated once as Parquet (kept under bench/out/ for re-runs). Then, in
this same process, each file is (1) copied into a fresh DuckDB database with
``CREATE TABLE AS SELECT * FROM read_parquet(...)`` — the baseline: no validation, no typing,
no quarantine, no de-duplication — and (2) ingested by personae into a fresh workspace. The
table prints rows per second for both and the ratio; the target is personae ≤ 3× the baseline.
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
from personae.engine import connect, quote_literal
from personae.pipeline import demo_sources

console = Console(width=150)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_data(out: Path, customers: int, seed: int) -> Path:
    data = out / f"retail-{customers}-{seed}"
    manifest = data / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("customers") == customers:
        console.print(f"reusing demo data in {data}")
        return data
    shutil.rmtree(data, ignore_errors=True)
    console.print(f"generating {customers:,} retail customers as Parquet into {data} …")
    t0 = time.perf_counter()
    generate("retail", customers, seed, data, fmt="parquet")
    console.print(f"  generated in {time.perf_counter() - t0:.1f} s")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()

    data = ensure_data(args.out, args.customers, args.seed)
    root = args.out / "run"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    sources = demo_sources(data, data)
    files: list[tuple[str, Path]] = []
    for _, kind, patterns in sources:
        for pattern in patterns:
            files += [(kind, p) for p in sorted(data.glob(pattern))]

    # Baseline: plain copy, one table per file.
    base_con = connect(root / "baseline.duckdb")
    base: dict[Path, tuple[int, float]] = {}
    for i, (_, path) in enumerate(files):
        t0 = time.perf_counter()
        base_con.execute(
            f"CREATE TABLE t{i} AS SELECT * FROM read_parquet({quote_literal(str(path))})"
        )
        rows = base_con.execute(f"SELECT count(*) FROM t{i}").fetchall()[0][0]
        base[path] = (rows, time.perf_counter() - t0)
    base_con.close()
    base_rss = _peak_rss_mb()

    # personae: typed, validated, de-duplicated, quarantined.
    ws = Workspace.init(root / "ws")
    ours: dict[Path, tuple[int, float, int]] = {}
    for kind, path in files:
        t0 = time.perf_counter()
        report = ws.ingest(kind, [path])
        f = report.files[0]
        assert f.conserved, f"row conservation broken for {path}"
        ours[path] = (f.rows_in, time.perf_counter() - t0, f.rejected)
    rss = _peak_rss_mb()

    table = Table(
        title=f"Ingest of the {args.customers:,}-customer retail demo (Parquet)",
        title_justify="left",
    )
    for col in (
        "file",
        "kind",
        "rows",
        "baseline s",
        "personae s",
        "baseline rows/s",
        "personae rows/s",
        "ratio",
        "rejected",
    ):
        table.add_column(col, justify="left" if col in ("file", "kind") else "right")
    total_rows = total_base = total_ours = 0.0
    for kind, path in files:
        rows, tb = base[path]
        rows_ours, to, rejected = ours[path]
        assert rows == rows_ours, (path, rows, rows_ours)
        total_rows += rows
        total_base += tb
        total_ours += to
        table.add_row(
            path.name,
            kind,
            f"{rows:,}",
            f"{tb:.2f}",
            f"{to:.2f}",
            f"{rows / tb:,.0f}",
            f"{rows / to:,.0f}",
            f"{to / tb:.2f}×",
            f"{rejected:,}",
        )
    ratio = total_ours / total_base
    table.add_row(
        "[bold]total",
        "",
        f"[bold]{total_rows:,.0f}",
        f"[bold]{total_base:.2f}",
        f"[bold]{total_ours:.2f}",
        f"[bold]{total_rows / total_base:,.0f}",
        f"[bold]{total_rows / total_ours:,.0f}",
        f"[bold]{ratio:.2f}×",
        "",
    )
    console.print(table)
    console.print(f"peak RSS: {base_rss:,.0f} MB after the baseline, {rss:,.0f} MB after personae")
    verdict = "[green]meets[/]" if ratio <= 3 else "[red]misses[/]"
    console.print(f"personae takes {ratio:.2f}× the plain copy: {verdict} the ≤ 3× target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
