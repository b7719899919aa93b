"""Helpers shared by tests."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from personae import Workspace
from personae.ingest.loader import IngestReport
from personae.pipeline import demo_sources


def ingest_demo(data: Path, ws_path: Path) -> tuple[Workspace, IngestReport]:
    ws = Workspace.init(ws_path)
    for name, kind, patterns in demo_sources(data, data):
        ws.add_source(name, kind, [str(data / p) for p in patterns])
    return ws, ws.ingest()


def init_from(tmp_path: Path, files: Iterable[Path]) -> Workspace:
    """A workspace made by `personae init --from` over a folder holding copies of ``files``
    (the command a new user runs first); it must decide every file without asking."""
    import shutil

    from typer.testing import CliRunner

    from personae.cli import app

    data = tmp_path / "exports"
    data.mkdir()
    for f in files:
        shutil.copy(f, data / f.name)
    res = CliRunner().invoke(app, ["init", str(tmp_path / "ws"), "--from", str(data)])
    assert res.exit_code == 0, res.output
    return Workspace(tmp_path / "ws")


def profiles_by_record(ws: Workspace) -> dict[tuple[str, int], str]:
    """(file name, row) -> profile_id of every record identity resolution linked."""
    return {
        (r["source_file"].split("/")[-1], r["source_row"]): r["profile_id"]
        for r in ws.sql("SELECT source_file, source_row, profile_id FROM record_profiles")
        .to_pylist()
    }  # fmt: skip


def read_truth(data: Path, name: str) -> list[dict[str, str]]:
    with open(data / "truth" / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def profile_owners(
    ws: Workspace, data: Path, kinds: tuple[str, ...] = ("contacts", "orders")
) -> dict[str, str]:
    """profile_id -> the true person most of its records (of ``kinds``) belong to."""
    truth = {
        (r["source_file"], r["source_row"]): r["person_id"] for r in read_truth(data, "records.csv")
    }
    votes: dict[str, dict[str, int]] = {}
    kind_list = ", ".join(f"'{k}'" for k in kinds)
    for r in ws.sql(
        "SELECT source_file, source_row, profile_id FROM record_profiles "
        f"WHERE source_kind IN ({kind_list}) AND profile_id IS NOT NULL"
    ).to_pylist():
        p = truth.get((Path(r["source_file"]).name, str(r["source_row"])))
        if p:
            v = votes.setdefault(r["profile_id"], {})
            v[p] = v.get(p, 0) + 1
    return {pid: max(v, key=lambda k: (v[k], k)) for pid, v in votes.items()}


def auc(scores: list[float], labels: list[bool]) -> float:
    """Area under the ROC curve (the probability a positive outranks a negative)."""
    import numpy as np
    from scipy.stats import rankdata

    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    ranks = rankdata(s)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def table_differences(
    db_a: Path, db_b: Path, table: str, key: list[str], *, tolerance: float = 1e-9
) -> list[str]:
    """Cell-by-cell differences between one table in two workspace databases.

    Rows are matched on ``key``; floats compare within ``tolerance`` (relative and
    absolute), everything else exactly. Returns readable descriptions (empty: identical).
    """
    import math

    import duckdb

    def load(db: Path) -> tuple[dict[tuple, dict], list[str]]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            rel = con.sql(f"SELECT * FROM {table}")
            cols = [d[0] for d in rel.description]
            rows = rel.fetchall()
        finally:
            con.close()
        idx = [cols.index(k) for k in key]
        return {tuple(r[i] for i in idx): dict(zip(cols, r, strict=True)) for r in rows}, cols

    a, cols_a = load(db_a)
    b, cols_b = load(db_b)
    out = []
    if cols_a != cols_b:
        out.append(f"{table}: columns differ: {sorted(set(cols_a) ^ set(cols_b))}")
    if len(a) != len(b) or set(a) != set(b):
        out.append(f"{table}: {len(set(a) ^ set(b))} keys in one only ({len(a)} vs {len(b)})")
    for k in sorted(set(a) & set(b), key=str):
        for c in cols_a:
            if c not in cols_b:
                continue
            x, y = a[k][c], b[k][c]
            if isinstance(x, float) or isinstance(y, float):
                same = (x is None and y is None) or (
                    x is not None
                    and y is not None
                    and math.isclose(float(x), float(y), rel_tol=tolerance, abs_tol=tolerance)
                )
            else:
                same = x == y
            if not same:
                out.append(f"{table}[{k}].{c}: {x!r} != {y!r}")
    return out


def stored_records(
    ws: Workspace, tables: Iterable[str]
) -> tuple[dict[tuple[str, int], str], dict[tuple[str, int], str]]:
    """(file name, row) of every stored record of ``tables`` -> its table, and of every
    record identity resolution linked -> its profile (keys match ``records.csv``)."""
    with ws.connect(read_only=True) as con:
        stored: dict[tuple[str, int], str] = {}
        for table in tables:
            for f, r in con.execute(f"SELECT _source_file, _source_row FROM {table}").fetchall():
                stored[(Path(f).name, r)] = table
        linked = {
            (Path(f).name, r): p
            for f, r, p in con.execute(
                "SELECT source_file, source_row, profile_id FROM record_profiles"
            ).fetchall()
        }
    return stored, linked
