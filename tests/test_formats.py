"""Every source kind ingests from every format (CSV, JSON Lines, JSON, Parquet) to the same rows.

The demo workspaces hold every kind ingested from the generator's files. Each kind's
canonical columns are written back out in each format with DuckDB's own writers, ingested
into a fresh workspace, and compared value for value with the original.
"""

from __future__ import annotations

import pytest

from personae import Workspace
from personae.engine import connect, quote_ident, quote_literal
from personae.ingest.schema import KINDS

FORMATS = {
    "csv": "(FORMAT csv, HEADER true)",
    "jsonl": "(FORMAT json)",
    "json": "(FORMAT json, ARRAY true)",
    "parquet": "(FORMAT parquet)",
}


def _columns(kind) -> list[str]:
    return [f.name for f in kind.fields] + [d.name for d in kind.derived]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_kind_round_trips_through_every_format(fmt, retail_ws, saas_ws, tmp_path):
    target = Workspace.init(tmp_path / "ws")
    for kind in KINDS.values():
        if kind.name == "consents":  # the demo plants no consent file (test_consent ingests one)
            continue
        source_ws = saas_ws[0] if kind.name == "accounts" else retail_ws[0]
        fields = ", ".join(quote_ident(f.name) for f in kind.fields)
        out = tmp_path / f"{kind.name}.{fmt}"
        con = connect(source_ws.database_path, read_only=True)
        try:
            con.execute(
                f"COPY (SELECT {fields} FROM {kind.table} ORDER BY _source_file, "
                f"_source_row) TO {quote_literal(str(out))} {FORMATS[fmt]}"
            )
            expected = con.execute(
                f"SELECT {', '.join(quote_ident(c) for c in _columns(kind))} FROM {kind.table} "
                "ORDER BY _source_file, _source_row"
            ).fetchall()
        finally:
            con.close()
        assert expected, f"no {kind.name} rows in the demo workspace"
        report = target.ingest(kind.name, [out])
        assert (report.rows_in, report.ingested, report.rejected) == (
            len(expected),
            len(expected),
            0,
        ), (kind.name, report.reasons)
        got = target.sql(
            f"SELECT {', '.join(quote_ident(c) for c in _columns(kind))} "
            f"FROM {kind.table} ORDER BY _source_row"
        )
        got_rows = [tuple(r.values()) for r in got.to_pylist()]
        mismatches = [
            (i, e, g) for i, (e, g) in enumerate(zip(expected, got_rows, strict=True)) if e != g
        ]
        assert not mismatches, f"{kind.name}/{fmt}: first mismatch {mismatches[0]}"
