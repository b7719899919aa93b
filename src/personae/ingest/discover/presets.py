"""Vendor export layouts (presets), recognised by their header signatures.

A preset is a TOML file in ``personae/ingest/presets/`` (see docs/dev/presets.md): the
vendor's documented headers (those every export has, and those it may have), the kind,
the column → field mapping, identifier types, and notes on the row shape (a Shopify
order spans one row per line item, with the order's own fields on its first line only).
Adding a layout is adding a file; no code knows any vendor.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from personae.ingest.schema import KINDS, normalise_header


class PresetError(Exception):
    """A preset file is malformed (a bug in the package data, caught by the tests)."""


@dataclass(frozen=True)
class Preset:
    name: str
    vendor: str
    title: str
    kind: str
    required: tuple[str, ...]  # headers every export of this layout has
    optional: tuple[str, ...]  # headers it may have
    columns: dict[str, tuple[str, ...]]  # field -> candidate headers, first present wins
    ignore: tuple[str, ...] = ()  # headers never mapped (order-level copies, internal ids)
    identifiers: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)  # fields the layout implies
    row_shape: dict = field(default_factory=dict)
    # fields ingest computes from the file (ingest/nested.py): ``values`` reads words as the
    # field's values ({"rating": {"from": "starRating", "map": {"FIVE": "5"}}}), ``nested``
    # flattens nested or spread-out columns into one field (GA4's event_params)
    values: dict[str, dict] = field(default_factory=dict)
    nested: dict[str, dict] = field(default_factory=dict)
    layout: str = "long"
    docs: tuple[str, ...] = ()
    notes: str = ""
    wide: dict = field(default_factory=dict)  # layout "wide": header_rows, min_questions
    # a header whose parenthesised suffix names the time zone of the export's times
    # (Intercom: "Conversation started at (Europe/London)")
    timezone_from: str = ""
    # header -> the value most of its sampled rows hold ([signature] values): a generic API
    # shape (JSON:API's type, id, attributes) is told apart by what it holds (type "event")
    signature_values: dict[str, str] = field(default_factory=dict)

    def values_match(self, values: Mapping[str, Mapping[str, int]] | None) -> bool:
        """Whether the sampled values carry the ``[signature] values`` (no values: not
        checked)."""
        if not self.signature_values or values is None:
            return True
        keyed = {header_key(h): c for h, c in values.items()}
        for header, want in self.signature_values.items():
            counts = keyed.get(header_key(header)) or {}
            total = sum(counts.values())
            hits = sum(n for v, n in counts.items() if str(v).strip().lower() == want.lower())
            if not total or hits * 2 < total:
                return False
        return True

    @property
    def header_rows(self) -> int:
        return int(self.wide.get("header_rows", 1))

    @property
    def listed(self) -> tuple[str, ...]:
        """Every header the layout documents (a wide layout's respondent columns)."""
        return (*self.required, *self.optional)

    @property
    def computed(self) -> tuple[str, ...]:
        """Fields ingest computes for this layout (constants, value maps, nested)."""
        return (*self.constants, *self.values, *self.nested)

    def signature_match(self, headers: set[str]) -> tuple[bool, float]:
        """Whether every required header is present, and the share of all listed ones
        (``headers`` as :func:`header_keys` gives them)."""
        req = [header_key(h) for h in self.required]
        opt = [header_key(h) for h in self.optional]
        if not all(h in headers for h in req):
            return False, 0.0
        listed = req + opt
        return True, sum(h in headers for h in listed) / len(listed)

    def confidence(self, share: float) -> float:
        """More required headers and more of the optional ones present: surer."""
        return round(min(0.99, 0.7 + 0.04 * len(self.required) + 0.2 * share), 2)


_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")
ANY_SUFFIX = "(*)"


def header_key(header: str) -> str:
    """The comparison key of a preset's header. One ending in ``(*)`` stands for the header
    with any parenthesised suffix or none: exports that write the account's time zone or
    currency into a header (``Conversation started at (Europe/London)``) are one layout."""
    if header.endswith(ANY_SUFFIX):
        return normalise_header(header[: -len(ANY_SUFFIX)]) + ANY_SUFFIX
    return normalise_header(header)


def header_keys(header: str) -> tuple[str, str]:
    """The keys a file's header answers to: its own, and its stem for a ``(*)`` header."""
    return normalise_header(header), normalise_header(_SUFFIX.sub("", header)) + ANY_SUFFIX


def looks_like_question(header: str) -> bool:
    """A header that reads as a question put to a person: a question mark, or a phrase of
    four words or more (a field name has one to three)."""
    return header.rstrip().endswith("?") or len(header.split()) >= 4


def _tuple(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _parse(name: str, data: dict) -> Preset:
    try:
        meta = data["preset"]
        sig = data["signature"]
        kind = meta["kind"]
        if kind not in KINDS:
            raise PresetError(f"preset {name}: unknown kind {kind!r}")
        fields = {f.name for f in KINDS[kind].fields}
        columns = {k: _tuple(v) for k, v in data.get("columns", {}).items()}
        constants = {k: str(v) for k, v in data.get("constants", {}).items()}
        values = {k: dict(v) for k, v in data.get("values", {}).items()}
        nested = {k: dict(v) for k, v in data.get("nested", {}).items()}
        for k, v in values.items():
            if "from" not in v or not isinstance(v.get("map"), dict):
                raise PresetError(f"preset {name}: [values] {k} needs from and map")
            v["map"] = {str(a): str(b) for a, b in v["map"].items()}
        unknown = (set(columns) | set(constants) | set(values) | set(nested)) - fields
        if unknown:
            raise PresetError(f"preset {name}: fields not in {kind}: {sorted(unknown)}")
        return Preset(
            name=name,
            vendor=meta["vendor"],
            title=meta["title"],
            kind=kind,
            required=_tuple(sig["required"]),
            optional=_tuple(sig.get("optional", ())),
            columns=columns,
            ignore=_tuple(data.get("ignore", {}).get("headers", ())),
            identifiers=dict(data.get("identifiers", {})),
            constants=constants,
            row_shape=dict(data.get("row_shape", {})),
            values=values,
            nested=nested,
            layout=meta.get("layout", "long"),
            wide=dict(data.get("wide", {})),
            docs=_tuple(meta.get("docs", ())),
            notes=meta.get("notes", ""),
            timezone_from=meta.get("timezone_from", ""),
            signature_values={k: str(v) for k, v in sig.get("values", {}).items()},
        )
    except KeyError as exc:
        raise PresetError(f"preset {name}: missing key {exc}") from None


@cache
def presets() -> tuple[Preset, ...]:
    """Every preset shipped with personae, by file name."""
    folder = resources.files("personae.ingest.presets")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            name = entry.name.removesuffix(".toml")
            out.append(_parse(name, tomllib.loads(entry.read_text("utf-8"))))
    return tuple(out)


def get_preset(name: str) -> Preset:
    for p in presets():
        if p.name == name:
            return p
    raise KeyError(f"unknown preset {name!r}; presets: {', '.join(p.name for p in presets())}")


def match_preset(
    columns: list[str], values: Mapping[str, Mapping[str, int]] | None = None
) -> tuple[Preset, float] | None:
    """The preset whose signature the headers carry best (with the share of its listed
    headers present), or None. More required headers win a tie: a more specific layout.
    ``values`` (header -> sampled value counts) checks a preset's ``[signature] values``."""
    headers = {k for c in columns for k in header_keys(c)}
    best: tuple[Preset, float] | None = None
    for p in presets():
        ok, share = p.signature_match(headers)
        if not ok or (p.layout == "wide" and not _has_questions(p, columns)):
            continue
        if not p.values_match(values):
            continue
        if best is None or (len(p.required), share) > (len(best[0].required), best[1]):
            best = (p, share)
    return best


def _has_questions(p: Preset, columns: list[str]) -> bool:
    """A survey has questions besides its listed columns: headers that read as one."""
    listed = {normalise_header(h) for h in p.listed}
    asked = [c for c in columns if normalise_header(c) not in listed and looks_like_question(c)]
    return len(asked) >= int(p.wide.get("min_questions", 1))


def preset_columns(p: Preset, columns: list[str]) -> dict[str, str]:
    """field -> the file's own header, for the preset's fields the file has."""
    by_norm: dict[str, str] = {}
    for c in columns:
        for k in header_keys(c):
            by_norm.setdefault(k, c)
    out = {}
    for field_name, candidates in p.columns.items():
        for cand in candidates:
            col = by_norm.get(header_key(cand))
            if col is not None:
                out[field_name] = col
                break
    return out


def timezone_of(p: Preset, columns: list[str]) -> str | None:
    """The time zone a file's header names in its suffix, where the preset says the layout
    writes it there (``timezone_from``): an IANA name, else None."""
    if not p.timezone_from:
        return None
    key = header_key(p.timezone_from)
    for c in columns:
        if key in header_keys(c):
            m = re.search(r"\(([^()]*)\)\s*$", c)
            if m is None:
                return None
            try:
                zoneinfo.ZoneInfo(m.group(1).strip())
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                return None
            return m.group(1).strip()
    return None
