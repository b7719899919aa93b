"""Match a file's columns to a source kind's canonical fields.

An explicit mapping (``[sources.NAME.columns]`` in ``personae.toml`` or ``--map`` on the CLI)
wins; every other field is found by its name or a common spelling. A field mapped to ``""``
has no column: it stays empty although a header spells it (discovery writes this for a
column whose header says one thing and whose values another). A required field that
cannot be found stops the ingest with a message that lists what the file does have and the
exact setting that fixes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from personae.ingest.errors import MappingError
from personae.ingest.schema import ROW_KEYED, SourceKind, normalise_header


def resolve_columns(
    kind: SourceKind,
    columns: list[str],
    explicit: Mapping[str, str],
    path: Path,
    *,
    source_name: str | None = None,
    require: bool = True,
) -> dict[str, str]:
    """Return ``{field name: column name}`` for every field the file provides."""
    known = {f.name for f in kind.fields}
    setting = f"[sources.{source_name or '<name>'}.columns]"
    for field_name, column in explicit.items():
        if field_name not in known:
            raise MappingError(
                path,
                f"the mapping names an unknown field {field_name!r} for kind {kind.name!r}",
                f"use one of the fields of {kind.name}: {', '.join(sorted(known))}",
            )
        if column == "":  # "no column": the field stays empty even where a header matches
            continue
        if column not in columns:
            raise MappingError(
                path,
                f"the mapping sets {field_name} = {column!r} but the file has no such column "
                f"(columns found: {_list(columns)})",
                f'correct {setting} {field_name} = "..." in personae.toml or --map '
                f"{field_name}=COLUMN",
            )
    mapping: dict[str, str] = {f: c for f, c in explicit.items() if c != ""}
    used = set(mapping.values())
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_header(col), col)
    # Exact canonical names first, so a column literally called "title" is not taken as an
    # alias of another field before its own field looks for it.
    for pass_aliases in (False, True):
        for f in kind.fields:
            if f.name in mapping or f.name in explicit:
                continue
            candidates = (f.name, *f.aliases) if pass_aliases else (f.name,)
            for cand in candidates:
                col = by_norm.get(normalise_header(cand))
                if col is not None and col not in used:
                    mapping[f.name] = col
                    used.add(col)
                    break
    if require:
        # a kind's own record id may be absent: ingest keys each row by file and row number
        own = next((f.name for f in kind.fields if f.required), "")
        missing = [
            f.name
            for f in kind.fields
            if f.required and f.name not in mapping and not (f.name == own and own in ROW_KEYED)
        ]
        if missing:
            name = missing[0]
            f = kind.field(name)
            spellings = ", ".join(repr(a) for a in (f.name, *f.aliases)[:6])
            raise MappingError(
                path,
                f"no column for the required field {name!r} of kind {kind.name!r} "
                f"(looked for {spellings}; columns found: {_list(columns)})",
                f'name the column in personae.toml: {setting} {name} = "<column in your file>", '
                f"or pass --map {name}=<column> to personae ingest",
            )
    return mapping


def _list(columns: list[str]) -> str:
    if not columns:
        return "none"
    shown = ", ".join(repr(c) for c in columns[:25])
    return shown + (f", … ({len(columns)} in all)" if len(columns) > 25 else "")
