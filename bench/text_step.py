"""Benchmark: the whole ``personae text`` step on a workspace scaled up to ~1M documents.

    .venv/bin/python bench/text_step.py                 # SaaS demo (5,000) × 36 ≈ 1M docs
    .venv/bin/python bench/text_step.py --copies 4      # quicker

A SaaS demo workspace is generated, ingested and built once (kept under ``bench/out/``,
not timed). A copy of its database then gets every survey answer, ticket, review and post
``--copies`` times, each copy with its own record ids and rows (and a copy number at the end
of the text, so caches see distinct texts), written by the same profiles. Timed, in this
process: ``TextBuilder.run`` end to end — staging ``text_docs``, language, sentiment, facets,
per-facet k selection and themes, representative quotes, profile attributes and the join
onto ``profiles`` — beside the baseline of the same step on the unscaled workspace, and one
``group_voice`` call (themes and quotes for a tenth of the profiles) on each.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import ingest_demo

from personae import Workspace
from personae.config import TextSettings
from personae.demo import generate
from personae.text.build import TextBuilder, scrubber_for
from personae.text.voice import group_voice

OUT = Path(__file__).resolve().parent / "out" / "text_step"
TEXT_TABLES = {
    "survey_responses": ("response_id", "answer"),
    "tickets": ("ticket_id", "body"),
    "reviews": ("review_id", "body"),
    "social_posts": ("post_id", "text"),
}


def _base_workspace(customers: int) -> Path:
    ws_dir = OUT / f"saas-{customers}"
    if (ws_dir / "ws" / "personae.duckdb").exists():
        return ws_dir / "ws"
    if ws_dir.exists():
        shutil.rmtree(ws_dir)
    generate("saas", customers, 42, ws_dir / "data", fmt="csv")
    ws, _ = ingest_demo(ws_dir / "data", ws_dir / "ws")
    ws.build()
    return ws_dir / "ws"


def _scale(db: Path, copies: int) -> None:
    """Append ``copies - 1`` extra copies of every text record (and its profile link)."""
    con = duckdb.connect(str(db))
    # record_profiles is a view over the identity tables; the copies need their own links
    con.execute("CREATE TABLE _record_profiles AS SELECT * FROM record_profiles")
    con.execute("DROP VIEW record_profiles")
    con.execute("ALTER TABLE _record_profiles RENAME TO record_profiles")
    for kind, (key, text) in TEXT_TABLES.items():
        table = f"raw_{kind}"
        base = con.execute(f"SELECT max(_source_row) FROM {table}").fetchall()[0][0] or 0
        for c in range(1, copies):
            off = c * (base + 1)
            con.execute(
                f"""INSERT INTO {table} BY NAME
                SELECT * REPLACE (_source_row + {off} AS _source_row,
                                  {key} || '-c{c}' AS {key},
                                  {text} || ' ({c})' AS {text})
                FROM {table} WHERE _source_row <= {base}"""
            )
            con.execute(
                f"""INSERT INTO record_profiles BY NAME
                SELECT * REPLACE (source_row + {off} AS source_row)
                FROM record_profiles WHERE source_kind = '{kind}' AND source_row <= {base}"""
            )
    con.close()


def _run(db: Path, label: str, rows: list[tuple]) -> None:
    con = duckdb.connect(str(db))
    t0 = time.perf_counter()
    result = TextBuilder(TextSettings()).run(con)
    step = time.perf_counter() - t0
    members = (
        "SELECT profile_id FROM profiles WHERE text_documents IS NOT NULL "
        "AND hash(profile_id) % 10 = 0"
    )
    ids = [r[0] for r in con.execute(members).fetchall()]
    t0 = time.perf_counter()
    voice = group_voice(con, ids, scrubber=scrubber_for(con, []))
    group = time.perf_counter() - t0
    con.close()
    rows.append(
        (
            label,
            f"{result.documents:,}",
            f"{step:.1f}",
            f"{result.documents / step:,.0f}",
            f"{sum(f.snippets for f in result.facets.values()):,}",
            f"{group:.2f} ({voice.members:,} profiles)",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f}",
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--copies", type=int, default=36)
    args = ap.parse_args()
    base = _base_workspace(args.customers)
    Workspace(base)  # validates the folder
    rows: list[tuple] = []
    work = OUT / "work.duckdb"
    shutil.copy(base / "personae.duckdb", work)
    _run(work, "demo as generated (baseline)", rows)
    shutil.copy(base / "personae.duckdb", work)
    _scale(work, args.copies)
    _run(work, f"× {args.copies} copies", rows)
    work.unlink()
    t = Table(title="personae text, end to end (2 cores)")
    for col in (
        "workspace",
        "documents",
        "seconds",
        "docs/s",
        "snippets",
        "group_voice s",
        "peak RSS MB",
    ):
        t.add_column(col, justify="left" if col == "workspace" else "right")
    for r in rows:
        t.add_row(*r)
    Console(width=140).print(t)


if __name__ == "__main__":
    main()
