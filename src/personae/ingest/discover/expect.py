"""What each (kind, field) expects of a column: a value shape, header words, a weight.

The expectations are data (fields.toml) joined with the schema: a field's type gives its
shape when the file says nothing, its choices and synonyms are words its values may be,
and its aliases are header spellings (the same ones ingest matches).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from personae.ingest.schema import KINDS, Field, FieldType, SourceKind, normalise_header

_BY_TYPE = {
    FieldType.TIMESTAMP: "timestamp",
    FieldType.DATE: "date",
    FieldType.MONTH: "month",
    FieldType.DECIMAL: "decimal",
    FieldType.INTEGER: "integer",
    FieldType.BOOLEAN: "boolean",
    FieldType.JSON: "json",
}
LOOSE_SHAPES = frozenset({"short_text", "name", "category", "any", "code", "postal_code"})
# Shapes too common to say which field a column is without its header: a yes/no column may
# be a consent or anything else, a count may be a quantity, a line number or a headcount.
HEADER_SHAPES = LOOSE_SHAPES | {"boolean", "integer", "count", "decimal"}


@dataclass(frozen=True)
class Expectation:
    """What a column must look like to be ``kind.field``."""

    kind: str
    field: str
    shape: str
    required: bool
    names: frozenset[str]  # normalised schema name and aliases (what ingest matches)
    hints: tuple[str, ...]  # normalised extra header words, several languages
    vocab: frozenset[str]  # words the values may be (enum shape)
    weight: float
    floor: float
    needs_header: bool  # contents alone never decide this field

    @property
    def loose(self) -> bool:
        return self.shape in LOOSE_SHAPES


@cache
def _data() -> dict:
    text = resources.files("personae.ingest.discover").joinpath("fields.toml").read_text("utf-8")
    return tomllib.loads(text)


def _entry(kind: str, name: str) -> dict:
    data = _data()
    merged = dict(data.get("default", {}).get(name, {}))
    merged.update(data.get("kinds", {}).get(kind, {}).get(name, {}))
    return merged


def _field_vocab(f: Field, extra: list[str]) -> frozenset[str]:
    words = {w.lower() for w in extra}
    words |= {c.lower() for c in f.choices}
    words |= {k.lower() for k in f.synonyms} | {v.lower() for v in f.synonyms.values()}
    return frozenset(words)


@cache
def expectations(kind_name: str) -> tuple[Expectation, ...]:
    """The expectations of every field of a kind, in the schema's order."""
    kind: SourceKind = KINDS[kind_name]
    out = []
    for f in kind.fields:
        entry = _entry(kind.name, f.name)
        vocab = _field_vocab(f, entry.get("vocab", []))
        shape = entry.get("shape") or ("enum" if vocab else _BY_TYPE.get(f.type, "short_text"))
        out.append(
            Expectation(
                kind=kind.name,
                field=f.name,
                shape=shape,
                required=f.required,
                names=frozenset(normalise_header(a) for a in (f.name, *f.aliases)),
                hints=tuple(dict.fromkeys(normalise_header(h) for h in entry.get("hints", []))),
                vocab=vocab,
                weight=float(entry.get("weight", 1.0)),
                floor=float(entry.get("floor", 0.0 if shape in LOOSE_SHAPES else 0.5)),
                needs_header=bool(entry.get("needs_header", shape in HEADER_SHAPES)),
            )
        )
    return tuple(out)


def expectation(kind: str, field_name: str) -> Expectation:
    for e in expectations(kind):
        if e.field == field_name:
            return e
    raise KeyError(f"{kind}.{field_name}")


def one_of(kind: str) -> list[list[str]]:
    """Groups of fields of which the kind's rows need at least one (fields.toml one_of)."""
    return [list(g) for g in _data().get("one_of", {}).get(kind, [])]


def header_score(header: str, exp: Expectation) -> tuple[float, str]:
    """How strongly a header names the field: 1.0 the schema's own spelling (ingest would
    match it too), 0.8 a listed word, 0.6 a listed word of five or more letters inside the
    header, 0.4 the field's name as a word of the header; with the reason."""
    norm = normalise_header(header)
    if not norm:
        return 0.0, ""
    if norm in exp.names:
        return 1.0, "named by its header"
    if norm in exp.hints:
        return 0.8, "its header names it"
    for hint in exp.hints:
        if len(hint) >= 5 and hint in norm:
            return 0.6, f"header contains {hint!r}"
    for name in exp.names:
        if len(name) >= 5 and name in norm:
            return 0.4, f"header contains {name!r}"
    return 0.0, ""
