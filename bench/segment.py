"""Benchmark: ``personae segment`` on a retail workspace scaled up to 1M profiles.

    .venv/bin/python bench/segment.py                       # 100k and 1M profiles
    .venv/bin/python bench/segment.py --sizes 200000        # one size

A retail demo workspace (5,000 customers, seed 42) is generated and run through build,
text and value once (kept under ``bench/out/segment``, not timed). For each size a new
database gets that many profiles (and their value scores), drawn round-robin from the demo's
customers with fresh ids. Each run is a separate process so its peak memory (max RSS) is
its own:

- **personae**: ``Segmenter.run`` end to end with the default settings — load the
  attributes, fit the feature transforms, choose the algorithm and k among latent class,
  Gaussian mixture and k-means for k = 3..8 with 5 bootstrap refits each (on the seeded
  10,000-profile choice sample), refit the winner on up to 200,000 profiles, assign
  everyone with membership probabilities, flag outliers (HDBSCAN), describe the segments
  and write the tables.
- **baseline**: what one would do without any of that: the same feature preparation, then
  one scikit-learn k-means on every profile with k fixed to the chosen k (no choice of k,
  no stability, no descriptions).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "out" / "segment"


def _base() -> Path:
    from personae.pipeline import run_demo

    base = OUT / "retail-5000"
    if (base / "personae.duckdb").exists():
        return base
    run_demo(base, customers=5000, seed=42)
    return base


def _scaled(base: Path, size: int) -> Path:
    target = OUT / f"retail-{size}"
    if (target / "personae.duckdb").exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(base / "personae.toml", target / "personae.toml")
    con = duckdb.connect(str(target / "personae.duckdb"))
    con.execute(f"ATTACH '{base / 'personae.duckdb'}' AS src (READ_ONLY)")
    con.execute(
        "CREATE TEMP TABLE pick AS SELECT profile_id, row_number() OVER (ORDER BY profile_id) - 1 "
        "AS i FROM src.profiles WHERE NOT anonymous AND orders > 0"
    )
    n = con.execute("SELECT count(*) FROM pick").fetchall()[0][0]
    con.execute(f"CREATE TEMP TABLE ids AS SELECT r AS copy, r % {n} AS i FROM range({size}) t(r)")
    for table in ("profiles", "value_scores"):
        con.execute(
            f"CREATE TABLE {table} AS SELECT s.* REPLACE "
            "(s.profile_id || '~' || ids.copy AS profile_id) "
            f"FROM ids JOIN pick USING (i) JOIN src.{table} s ON s.profile_id = pick.profile_id"
        )
    con.execute("CREATE TABLE account_profiles AS SELECT * FROM src.account_profiles LIMIT 0")
    con.close()
    return target


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(ws_dir: Path, mode: str) -> dict:
    from personae.config import load_config
    from personae.segments.build import Segmenter, prepare

    settings = load_config(ws_dir / "personae.toml").segments
    con = duckdb.connect(str(ws_dir / "personae.duckdb"))
    started = time.perf_counter()
    if mode == "personae":
        result = Segmenter(settings).run(con)
        out = {
            "seconds": time.perf_counter() - started,
            "entities": result.entities,
            "algorithm": result.choice.winner.algorithm,
            "k": result.choice.winner.k,
            "timings": result.timings,
        }
    else:
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        k = int(sys.argv[sys.argv.index("--k") + 1])
        with threadpool_limits(limits=1):
            prepared = prepare(con, settings)
            prepared_at = time.perf_counter() - started
            KMeans(k, n_init=1, random_state=0).fit(prepared.data.embedding)
        out = {
            "seconds": time.perf_counter() - started,
            "entities": len(prepared.frame),
            "algorithm": "kmeans (fixed k)",
            "k": k,
            "timings": {"features": prepared_at},
        }
    out["peak_mb"] = _peak_mb()
    return out


def _child(ws_dir: Path, mode: str, k: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--child", str(ws_dir), "--mode", mode, "--k", str(k)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--child" in sys.argv:
        ws_dir = Path(sys.argv[sys.argv.index("--child") + 1])
        mode = sys.argv[sys.argv.index("--mode") + 1]
        print(json.dumps(_run(ws_dir, mode)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    console = Console(width=150)
    base = _base()
    table = Table(title="personae segment vs a fixed-k k-means baseline", header_style="bold")
    for col in ("profiles", "method", "k", "seconds", "peak MB", "breakdown (s)"):
        table.add_column(col, justify="left" if col in ("method", "breakdown (s)") else "right")
    for size in args.sizes:
        ws_dir = _scaled(base, size)
        ours = _child(ws_dir, "personae")
        theirs = _child(ws_dir, "baseline", ours["k"])
        for r in (ours, theirs):
            table.add_row(
                f"{r['entities']:,}",
                r["algorithm"] if r is theirs else f"personae ({r['algorithm']})",
                str(r["k"]),
                f"{r['seconds']:.1f}",
                f"{r['peak_mb']:,.0f}",
                ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items()),
            )
    console.print(table)


if __name__ == "__main__":
    main()
