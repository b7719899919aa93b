"""Fields a vendor layout implies or nests, computed at ingest from the preset's data.

Some exports do not hold a field in one flat column: Segment's warehouse ``tracks`` table
has no ``type`` column (every row is a track), GA4's BigQuery export keeps an event's
parameters as a repeated ``event_params`` record of key and typed value, its timestamp in
microseconds and no event id, and Google Business Profile writes a star rating as a word
(``FIVE``). The preset says, as data, how each such field is made
(``[constants]``, ``[values]``, ``[nested]``, see docs/dev/presets.md); this module turns
that into DuckDB SQL over the staged file: one new stage column per computed field, and
the mapping points the field at it. No code here knows a vendor.

``[nested]`` entries, by their keys:

* ``{from = COL, key = "key", value = ["value.string_value", ...]}``: COL is a list of
  objects; the result is one JSON object, each element's ``key`` → its first non-null
  ``value`` path (GA4's event_params into ``properties``).
* ``{object = {"page.url" = "context_page_url", "device.type" = "device.category"}}``: a
  JSON object built from columns (or a path inside a JSON column, ``col.path``), its keys
  dotted paths (Segment's flattened ``context_*`` columns into ``context``).
* ``{join = [COL, ...], sep = "-"}``: the columns' text joined (an id made of the columns
  that identify a record when the export has no id of its own).
* ``{first = [COL, ...]}``: the first of the columns with a value in this row (Freshdesk
  writes a caller's number under Mobile phone or Work phone, whichever the contact has;
  ``[columns]`` picks one header for the whole file).
* ``{from = COL, epoch = "us" | "ms" | "s"}``: a number since the Unix epoch as an ISO
  timestamp (a value that is not a number is kept as written, so that it is quarantined
  as a bad timestamp).
* ``{from = COL, match = "reviewId=([^&]+)"}``: the first group of a regular expression
  (an id inside a link).

A source column the file lacks gives NULL (a required field then fails row by row, with
its reason, in quarantine).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from personae.engine import quote_ident as q
from personae.engine import quote_literal as lit
from personae.ingest.errors import IngestError
from personae.ingest.schema import normalise_header

if TYPE_CHECKING:  # discovery imports the loader, which imports this module
    from personae.ingest.discover.presets import Preset

TABLE = "_stage_computed"


def computed_columns(preset: Preset) -> dict[str, str]:
    """field -> the name of the stage column ingest computes for it."""
    out = {}
    for f in preset.constants:
        out[f] = f"{f} (constant)"
    for f, spec in preset.values.items():
        out[f] = f"{f} (from {spec['from']})"
    for f in preset.nested:
        out[f] = f"{f} (computed)"
    return out


def preset_layout(name: str | None, path: Path, source_name: str | None = None) -> Preset | None:
    """The preset a source names (``preset = "..."``, written by discovery), or None."""
    if not name:
        return None
    from personae.ingest.discover.presets import get_preset

    try:
        return get_preset(name)
    except KeyError as exc:
        raise IngestError(
            path,
            str(exc).strip("'\""),
            f"correct preset in [sources.{source_name or '<name>'}] of personae.toml",
        ) from None


def _json_path(path: str) -> str:
    parts = [p.replace('"', '\\"') for p in path.split(".") if p]
    return "$" + "".join(f'."{p}"' for p in parts)


class _Sources:
    """The staged file's columns by name (exact, then normalised), as SQL text expressions."""

    def __init__(self, columns: list[str], types: list[str]) -> None:
        self.index = {c: i for i, c in enumerate(columns)}
        self.norm = {normalise_header(c): c for c in reversed(columns)}
        self.types = types

    def column(self, name: str) -> str | None:
        col = name if name in self.index else self.norm.get(normalise_header(name))
        if col is None:
            return None
        i = self.index[col]
        ref = f"__s{i}"
        if self.types[i].upper() == "VARCHAR":
            return ref
        if self.types[i].upper().startswith(("STRUCT", "MAP")) or self.types[i].endswith("[]"):
            return f"CAST(to_json({ref}) AS VARCHAR)"  # Parquet's nested records
        return f"CAST({ref} AS VARCHAR)"

    def text(self, name: str) -> str:
        """A column, or ``col.path`` inside a JSON column, as text (NULL when absent)."""
        ref = self.column(name)
        if ref is not None:
            return ref
        head, _, rest = name.partition(".")
        ref = self.column(head) if rest else None
        if ref is None:
            return "CAST(NULL AS VARCHAR)"
        return f"json_extract_string(TRY_CAST({ref} AS JSON), {lit(_json_path(rest))})"


def _pairs_sql(src: _Sources, spec: Mapping) -> str:
    ref = src.column(spec["from"])
    if ref is None:
        return "CAST(NULL AS VARCHAR)"
    key = lit(_json_path(spec.get("key", "key")))
    paths = spec.get("value", ["value"])
    paths = [paths] if isinstance(paths, str) else list(paths)

    def member(p: str) -> str:
        jp = lit(_json_path(p))
        present = f"coalesce(json_type(e, {jp}), 'NULL') <> 'NULL'"
        return f"CASE WHEN {present} THEN json_extract(e, {jp}) END"

    first = (
        "coalesce(" + ", ".join(member(p) for p in paths) + ")"
        if len(paths) > 1
        else member(paths[0])
    )
    return (
        f"(SELECT CAST(json_group_object(json_extract_string(e, {key}), {first}) AS VARCHAR) "
        f"FROM (SELECT unnest(CAST(json_extract(TRY_CAST({ref} AS JSON), '$[*]') AS JSON[])) AS e) "
        f"WHERE json_extract_string(e, {key}) IS NOT NULL)"
    )


def _object_sql(src: _Sources, targets: Mapping[str, str]) -> str:
    """A JSON object from dotted target paths; an object whose members are all NULL is NULL."""
    tree: dict = {}
    for target, source in targets.items():
        node = tree
        *parents, leaf = target.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = source

    def build(node: dict) -> tuple[str, list[str]]:
        args, leaves = [], []
        for k, v in node.items():
            if isinstance(v, dict):  # a sub-object with no value is left out as NULL
                sql, sub = build(v)
                sql = f"CASE WHEN coalesce({', '.join(sub)}) IS NOT NULL THEN {sql} END"
                leaves += sub
            else:
                sql = src.text(v)
                leaves.append(sql)
            args.append(f"{lit(k)}, {sql}")
        return f"json_object({', '.join(args)})", leaves

    sql, leaves = build(tree)
    return f"CASE WHEN coalesce({', '.join(leaves)}) IS NOT NULL THEN CAST({sql} AS VARCHAR) END"


_EPOCH = {
    "us": "make_timestamp(TRY_CAST({c} AS BIGINT))",
    "ms": "epoch_ms(TRY_CAST({c} AS BIGINT))",
    "s": "CAST(to_timestamp(TRY_CAST({c} AS BIGINT)) AS TIMESTAMP)",
}


def _nested_sql(src: _Sources, field: str, spec: Mapping) -> str:
    if "object" in spec:
        return _object_sql(src, spec["object"])
    if "join" in spec:
        parts = ", ".join(src.text(c) for c in spec["join"])
        return f"nullif(concat_ws({lit(spec.get('sep', '-'))}, {parts}), '')"
    if "first" in spec:  # row by row, the first column that holds a value
        cells = ", ".join(f"nullif(trim({src.text(c)}), '')" for c in spec["first"])
        return f"coalesce({cells})"
    if "epoch" in spec:  # a value that is no number stays as written: quarantined as a bad
        raw = src.text(spec["from"])  # timestamp, not as a missing one
        unit = _EPOCH[spec["epoch"]].format(c=raw)
        return f"coalesce(strftime({unit}, '%Y-%m-%dT%H:%M:%S.%f'), nullif(trim({raw}), ''))"
    if "match" in spec:  # the first group of a regular expression over the column
        return f"nullif(regexp_extract({src.text(spec['from'])}, {lit(spec['match'])}, 1), '')"
    if "from" in spec:
        return _pairs_sql(src, spec)
    raise ValueError(f"[nested] {field}: use from/key/value, object, join, first, epoch or match")


def _values_sql(src: _Sources, spec: Mapping) -> str:
    ref = src.text(spec["from"])
    cases = " ".join(f"WHEN {lit(k.strip().upper())} THEN {lit(v)}" for k, v in spec["map"].items())
    other = lit(spec["default"]) if "default" in spec else ref  # an unlisted value
    return f"CASE upper(trim({ref})) {cases} ELSE {other} END"


def compute_stage(
    con: duckdb.DuckDBPyConnection,
    preset: Preset,
    stage: str,
    columns: list[str],
    types: list[str],
    explicit: MutableMapping[str, str],
) -> tuple[str, list[str], list[str]]:
    """Add the preset's computed fields to the staged file as new columns (a copy of
    ``stage``) and point ``explicit`` at them; return the new stage, columns and types."""
    names = computed_columns(preset)
    src = _Sources(columns, types)
    exprs: dict[str, str] = {}
    for f, v in preset.constants.items():
        exprs[f] = lit(v)
    for f, spec in preset.values.items():
        exprs[f] = _values_sql(src, spec)
    for f, spec in preset.nested.items():
        exprs[f] = _nested_sql(src, f, spec)
    columns, types = list(columns), list(types)
    select = []
    for f, sql in exprs.items():
        select.append(f"{sql} AS __s{len(columns)}")
        columns.append(names[f])
        types.append("VARCHAR")
        explicit[f] = names[f]
    # a table, as the loader drops the stage it is handed back (and the source stage here)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {TABLE} AS SELECT *, {', '.join(select)} FROM {q(stage)}"
    )
    con.execute(f"DROP {'VIEW' if stage == '_stage_view' else 'TABLE'} {q(stage)}")
    return TABLE, columns, types
