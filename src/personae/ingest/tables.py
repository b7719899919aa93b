"""DDL for the ingestion tables: one ``raw_<kind>`` per source kind, ``quarantine``,
``ingest_files`` (one row per file per run: the row-conservation ledger, with the file's
content hash and how it was read, see :mod:`personae.ingest.ledger`) and
``ingest_decisions`` (how each file was read, and why)."""

from __future__ import annotations

import duckdb

from personae.engine import quote_ident as q
from personae.ingest.ledger import LEDGER_COLUMNS
from personae.ingest.schema import KINDS, SourceKind

LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_ingested_at", "TIMESTAMP"),
    ("_row_hash", "VARCHAR"),
    ("_run_id", "VARCHAR"),
)


def raw_columns(kind: SourceKind) -> list[tuple[str, str]]:
    """Every column of ``raw_<kind>``, lineage first, then fields, derived, ``_extra``."""
    cols = list(LINEAGE_COLUMNS)
    cols += [(f.name, f.sql_type) for f in kind.fields]
    cols += [(d.name, d.sql_type) for d in kind.derived]
    cols.append(("_extra", "VARCHAR"))
    return cols


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create any missing ingestion table (idempotent)."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall():
        have.setdefault(table, set()).add(column)
    for kind in KINDS.values():
        if kind.table not in have:
            cols = ", ".join(f"{q(n)} {t}" for n, t in raw_columns(kind))
            con.execute(f"CREATE TABLE IF NOT EXISTS {kind.table} ({cols})")
            continue
        # a field added to a kind since the workspace was made (the loader names columns)
        for name, sql_type in raw_columns(kind):
            if name not in have[kind.table]:
                con.execute(f"ALTER TABLE {kind.table} ADD COLUMN {q(name)} {sql_type}")
    con.execute("""
        CREATE TABLE IF NOT EXISTS quarantine (
            run_id VARCHAR, kind VARCHAR, source_file VARCHAR, source_row BIGINT,
            reason VARCHAR, column_name VARCHAR, detail VARCHAR, raw VARCHAR,
            raw_hash VARCHAR, quarantined_at TIMESTAMP)""")
    con.execute("""
        CREATE TABLE IF NOT EXISTS ingest_files (
            run_id VARCHAR, kind VARCHAR, source VARCHAR, source_file VARCHAR, format VARCHAR,
            bytes BIGINT, rows_in BIGINT, ingested BIGINT, rejected BIGINT, duplicates BIGINT,
            seconds DOUBLE, ingested_at TIMESTAMP)""")
    # content and read hashes (ingest/ledger.py), added to workspaces made before them
    ledger = have.get("ingest_files", set())
    for name, sql_type in LEDGER_COLUMNS:
        if name not in ledger:
            con.execute(f"ALTER TABLE ingest_files ADD COLUMN {name} {sql_type}")
    # How each file was read (encoding, delimiter, header row, sheet; per column the date
    # order, decimal separator, Excel serial dates) and the evidence: ingest/dialect.py,
    # ingest/columns.py. source_row is the record a decision rests on, if any.
    con.execute("""
        CREATE TABLE IF NOT EXISTS ingest_decisions (
            run_id VARCHAR, kind VARCHAR, source VARCHAR, source_file VARCHAR, topic VARCHAR,
            column_name VARCHAR, field VARCHAR, decision VARCHAR, evidence VARCHAR,
            severity VARCHAR, source_row BIGINT, decided_at TIMESTAMP)""")
