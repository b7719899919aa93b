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
from personae.ingest.discover import discover
from personae.ingest.discover.decide import data_files
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
    parser.add_argument("--from", dest="exports", type=Path, default=None)
    args = parser.parse_args()
    if args.exports is not None:
        return bench_folder(args.exports, args.out)

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
    declared = {path.resolve(): kind for kind, path in files}
    discovery_table(data, declared, total_ours)
    return 0


def discovery_table(folder: Path, declared: dict[Path, str], ingest_s: float) -> float:
    """Discover ``folder`` with no mapping; print its time beside the ingest's."""
    t0 = time.perf_counter()
    found = discover([folder], skip=[folder / "truth"])
    took = time.perf_counter() - t0
    table = Table(title="Discovery of the same files (no mapping)", title_justify="left")
    for col in ("file", "declared kind", "discovered kind", "confidence", "agrees"):
        table.add_column(col)
    agree = total = 0
    for plan in found.sources:
        for f in plan.files:
            want = declared.get(f.path.resolve())
            total += want is not None
            agree += want is not None and want == plan.kind
            table.add_row(
                f.path.name,
                want or "-",
                plan.kind or "[red]undecided",
                f"{f.confidence:.2f}",
                "" if want is None else ("yes" if want == plan.kind else "[red]no"),
            )
    console.print(table)
    share = took / ingest_s if ingest_s else float("inf")
    verdict = "[green]meets[/]" if share < 0.10 else "[red]misses[/]"
    console.print(
        f"discovery {took:.2f} s for {len(data_files([folder], [folder / 'truth'])):,} files, "
        f"{share:.1%} of the ingest ({ingest_s:.2f} s): {verdict} the < 10% target; "
        f"kinds as declared: {agree}/{total}; questions left: {len(found.blocking)}"
    )
    return took


_READERS = {
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".parquet": "read_parquet",
    ".jsonl": "read_json",
    ".ndjson": "read_json",
    ".json": "read_json",
}


def bench_folder(folder: Path, out: Path) -> int:
    """A folder of exports, as ``personae init --from`` then ``personae ingest`` read it."""
    root = out / "run-from"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    paths = [p for p in data_files([folder], [folder / "truth"]) if p.suffix in _READERS]
    con = connect(root / "baseline.duckdb")
    t0 = time.perf_counter()
    rows = 0
    for i, p in enumerate(paths):
        reader = _READERS[p.suffix]
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {reader}({quote_literal(str(p))})")
        rows += con.execute(f"SELECT count(*) FROM t{i}").fetchall()[0][0]
    base = time.perf_counter() - t0
    con.close()
    ws = Workspace.init(root / "ws")
    t0 = time.perf_counter()
    found = ws.add_files([folder])
    discovered = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = ws.ingest()
    ingested = time.perf_counter() - t0
    assert all(f.conserved for f in report.files), "row conservation broken"
    table = Table(
        title=f"init --from {folder} ({rows:,} rows in {len(paths)} files)", title_justify="left"
    )
    for col in ("phase", "seconds", "× baseline copy"):
        table.add_column(col, justify="left" if col == "phase" else "right")
    table.add_row("baseline: DuckDB reader copy", f"{base:.2f}", "1.00×")
    table.add_row("discovery (add_files)", f"{discovered:.2f}", f"{discovered / base:.2f}×")
    table.add_row("personae ingest", f"{ingested:.2f}", f"{ingested / base:.2f}×")
    console.print(table)
    console.print(
        f"discovery is {discovered / ingested:.1%} of the ingest (target < 10%); ingest is "
        f"{ingested / base:.2f}× the copy (target ≤ 3×); questions left: {len(found.blocking)}; "
        f"peak RSS {_peak_rss_mb():,.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
