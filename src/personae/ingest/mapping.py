"""Match a file's columns to a source kind's canonical fields.

An explicit mapping (``[sources.NAME.columns]`` in ``personae.toml`` or ``--map`` on the CLI)
wins; every other field is found by its name or a common spelling. A field mapped to ``""``
has no column: it stays empty although a header spells it (discovery writes this for a
column whose header says one thing and whose values another). A required field that
cannot be found stops the ingest with a message that lists what the file does have and the
exact setting that fixes it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from personae.ingest.dialect import Decision
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


@cache
def _closest_words() -> dict[str, str]:
    path = Path(__file__).with_name("unmapped.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))["closest"]


def closest_field(kind: SourceKind, header: str) -> str | None:
    """The field an unmapped header most likely means ("suburb" -> city), or None."""
    words = re.findall(r"[a-z]+", header.lower())
    joined = "_".join(words)
    names = {f.name for f in kind.fields}
    for key in (joined, *words):
        hint = _closest_words().get(key)
        if hint in names:
            return hint
    spellings = {normalise_header(a): f.name for f in kind.fields for a in (f.name, *f.aliases)}
    near = difflib.get_close_matches(normalise_header(header), list(spellings), n=1, cutoff=0.8)
    return spellings[near[0]] if near else None


def unmapped_decisions(
    kind: SourceKind, columns: list[str], mapping: Mapping[str, str], explicit: Mapping[str, str]
) -> list[Decision]:
    """One ``unmapped`` decision per column no field reads (kept in ``_extra``), with the
    closest field where one is plausible, so nothing is silently unused."""
    used = set(mapping.values()) | {c for c in explicit.values() if c}
    out = []
    for col in columns:
        if col in used or col.startswith("("):  # "(row key)" and other generated columns
            continue
        hint = closest_field(kind, col)
        out.append(
            Decision(
                "unmapped",
                "kept in _extra",
                f"closest field {hint}: [sources.NAME.columns] {hint} = {col!r} maps it"
                if hint
                else "no field of this kind fits",
                column=col,
                field=hint,
            )
        )
    return out
