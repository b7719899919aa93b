"""The decisions of each file's latest ingest, as ``ingest_decisions`` keeps them.

Why a module of its own: the ingest report shows them and the workspace's locale (currency,
phone region) is decided from them; both read the same rows the same way.
"""

from __future__ import annotations

import duckdb


def latest_decisions(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Decisions of each file's latest ingest: (file, topic, column, decision, evidence,
    severity), in file order."""
    if not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ingest_decisions'"
    ).fetchall()[0][0]:
        return []
    return con.execute("""
        SELECT source_file, topic, column_name, decision, evidence, severity
        FROM ingest_decisions d
        WHERE decided_at = (SELECT max(decided_at) FROM ingest_decisions e
                            WHERE e.source_file = d.source_file)
        ORDER BY source_file, CASE topic WHEN 'sheet' THEN 0 WHEN 'encoding' THEN 1
                 WHEN 'delimiter' THEN 2 WHEN 'header' THEN 3 ELSE 4 END,
                 column_name, topic""").fetchall()
