"""Fill a record's own fields down over the later rows of its group, before any check.

Some exports write a record over several rows and give its own fields on the first row
only: Shopify's orders export has one row per line item, and the order's date, e-mail,
currency and status are on the order's first line, blank on the others. Read as they are,
those later lines have no order date (a required field) and would be quarantined, and the
order would lose its other lines.

A source declares the shape (``group_by`` and ``fill_down`` in its ``[sources.NAME]``
block; discovery copies them from the vendor preset's ``[row_shape]``). Ingest then gives
every blank cell of a fill-down field the last non-blank value of the same field among
the earlier rows of its group, in the file's row order. It runs on the staged text cells,
before parsing and validation, so a filled value is checked like any other; a cell that
has a value keeps it, and a row without a group key is left as it is. Amounts that belong
to the whole order (Shopify's ``Total``) must not be filled down — they would be counted
once per line — and are not: only the fields the source lists are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from personae.engine import quote_ident as q
from personae.ingest.errors import MappingError
from personae.ingest.schema import SourceKind


def check_fill_down(
    kind: SourceKind,
    group_by: str | None,
    fill_down: Sequence[str],
    path: Path,
    source_name: str | None = None,
) -> None:
    """Stop with a one-line fix when the settings name a field the kind lacks."""
    setting = f"[sources.{source_name or '<name>'}]"
    known = {f.name for f in kind.fields}
    if fill_down and not group_by:
        raise MappingError(
            path,
            f"{setting} fill_down is set but group_by is not: the rows of one record are not known",
            f'add group_by = "<field shared by the rows of one record>" to {setting}',
        )
    for name in [group_by or "", *fill_down]:
        if name and name not in known:
            raise MappingError(
                path,
                f"{setting} names an unknown field {name!r} for kind {kind.name!r} in "
                "group_by/fill_down",
                f"use fields of {kind.name}: {', '.join(sorted(known))}",
            )


def fill_down_stage(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    columns: list[str],
    types: list[str],
    mapping: Mapping[str, str],
    group_by: str | None,
    fill_down: Sequence[str],
) -> tuple[str, int]:
    """Fill ``fill_down`` fields down within ``group_by`` groups; return the stage and the
    number of cells filled.

    ``stage`` is the staged table (``__s<i>`` columns, ``_source_row``); a view (Parquet)
    is first copied to the temp table ``_stage`` so it can be updated. Fields the file has
    no column for are skipped.
    """
    if not group_by or not fill_down or group_by not in mapping:
        return stage, 0
    position = {c: i for i, c in enumerate(columns)}
    targets = [
        position[mapping[f]]
        for f in dict.fromkeys(fill_down)
        if f in mapping and f != group_by and mapping[f] in position
    ]
    if not targets:
        return stage, 0
    if stage == "_stage_view":
        con.execute("CREATE OR REPLACE TEMP TABLE _stage AS FROM _stage_view")
        con.execute("DROP VIEW _stage_view")
        stage = "_stage"

    def blank_as_null(i: int) -> str:
        col = q(f"__s{i}")
        if types[i].upper() == "VARCHAR":
            return f"nullif(trim({col}), '')"
        return col

    key = blank_as_null(position[mapping[group_by]])
    window = (
        f"OVER (PARTITION BY {key} ORDER BY _source_row "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    )
    filled = ", ".join(
        f"last_value(CASE WHEN _reject IS NULL THEN {blank_as_null(i)} END IGNORE NULLS) "
        f"{window} AS {q(f'__f{i}')}"
        for i in targets
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _filled AS
        SELECT _source_row, {filled} FROM {stage}
        WHERE _reject IS NULL AND {key} IS NOT NULL"""
    )
    total = 0
    for i in targets:
        col = q(f"__s{i}")
        n = con.execute(
            f"""UPDATE {stage} SET {col} = f.{q(f"__f{i}")} FROM _filled f
            WHERE {stage}._source_row = f._source_row AND {blank_as_null(i)} IS NULL
              AND f.{q(f"__f{i}")} IS NOT NULL"""
        ).fetchall()
        total += n[0][0] if n else 0
    con.execute("DROP TABLE _filled")
    return stage, total
