"""Backend connections.

DuckDB is the embedded default engine. Every connection is opened the same way so that
timestamps mean the same thing everywhere: the session time zone is UTC and every stored
timestamp is a naive UTC ``TIMESTAMP`` (microseconds), which is also what Spark reads.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect(
    database: str | Path = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection with personae's session settings."""
    con = duckdb.connect(str(database), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL, whatever characters a source header contains."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for SQL."""
    return "'" + value.replace("'", "''") + "'"
