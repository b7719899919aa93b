"""Find each file's customer key by matching its identifier values against other files.

A column of an orders file whose values are the CRM's customer numbers *is* the customer
reference, whatever its header ("Kundennummer", "Ref", "col_3"). For every id-like
column, the share of its distinct sampled values found among another file's key
identifiers (the CRM's contact and customer ids, the accounts' ids, the events' user
ids) is measured; a high share becomes evidence for the matching field, and rules the
column out as the file's own record id.

When the key file is larger than its sample, the probe values are looked up in the whole
key column with DuckDB (a column scan), so a million-row CRM is matched as well as a
small one.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.engine import connect, quote_ident, quote_literal
from personae.identity.identifiers import DEFAULT_FIELDS
from personae.ingest.discover.expect import expectation
from personae.ingest.discover.fit import content_fit
from personae.ingest.discover.model import FileDecision
from personae.ingest.schema import KINDS

MIN_CONTAINMENT = 0.5
PROBE = 500  # distinct values looked up per column

# (kind, field) of the identifiers other files refer to, and their identifier type
KEY_FIELDS: dict[tuple[str, str], str] = {
    ("contacts", "customer_id"): "user_id",
    ("contacts", "contact_id"): "crm_id",
    ("accounts", "account_id"): "account_id",
    ("events", "user_id"): "user_id",
}


@dataclass
class Relation:
    """Column ``column`` of a file holds ``key_file``'s ``key_field`` values."""

    column: str
    field: str  # the field of the referring file's kind that takes it
    id_type: str  # the identifier type the values are (for [sources.X.identifiers])
    containment: float
    key_file: str
    key_column: str

    @property
    def why(self) -> str:
        return (
            f"{self.containment:.0%} of its values are {self.key_file}'s "
            f"{self.key_column!r} identifiers"
        )


def _field_for(kind: str, id_type: str) -> str | None:
    """The field of ``kind`` that should hold an identifier of ``id_type``."""
    fields = {f.name for f in KINDS[kind].fields}
    if id_type == "account_id":
        for name in ("account_id", "group_id"):
            if name in fields:
                return name
        return None
    if id_type == "crm_id" and "contact_id" in fields and kind != "contacts":
        return "contact_id"
    for name in ("customer_id", "user_id"):
        if name in fields:
            return name
    return None


def _distinct(decision: FileDecision, column: str) -> set[str]:
    for p in decision.profiles:
        if p.name == column:
            return set(p.counts)
    return set()


class KeyColumns:
    """The whole key columns of the key files, each read once into one DuckDB connection.

    Every id-like column of every file is probed against every key column; scanning a key
    file per probe made discovery cost (files × columns) scans of the largest files (the
    events). Here a key column is scanned once, to its distinct values, on first use.
    """

    def __init__(self) -> None:
        self._con = None
        self._tables: dict[tuple[str, str], str | None] = {}

    def _table(self, decision: FileDecision, column: str) -> str | None:
        key = (str(decision.path), column)
        if key in self._tables:
            return self._tables[key]
        path, fmt = str(decision.path), decision.sample.fmt if decision.sample else None
        reader = {
            "csv": f"read_csv({quote_literal(path)}, all_varchar = true, header = true)",
            "parquet": f"read_parquet({quote_literal(path)})",
            "jsonl": f"read_json({quote_literal(path)}, format = 'newline_delimited')",
        }.get(fmt or "")
        name = None
        if reader is not None:
            if self._con is None:
                self._con = connect()
            name = f"_key{len(self._tables)}"
            try:
                self._con.execute(
                    f"CREATE TEMP TABLE {name} AS SELECT DISTINCT trim(CAST("
                    f"{quote_ident(column)} AS VARCHAR)) AS v FROM {reader}"
                )
            except Exception:  # a dialect DuckDB reads differently: fall back to the sample
                name = None
        self._tables[key] = name
        return name

    def found(self, decision: FileDecision, column: str, probe: list[str]) -> int | None:
        """How many of ``probe`` occur in the whole of ``column`` (None: cannot scan)."""
        table = self._table(decision, column)
        if table is None or self._con is None:
            return None
        # one list parameter, not a row insert per value (executemany is ~1 ms a row)
        return self._con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT unnest(?::VARCHAR[]) AS v) p "
            f"WHERE v IN (SELECT v FROM {table})",
            [list(probe)],
        ).fetchall()[0][0]

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _keys(decisions: list[FileDecision]) -> list[tuple[FileDecision, str, str, set[str]]]:
    out = []
    for d in decisions:
        if d.kind is None:
            continue
        for (kind, field), id_type in KEY_FIELDS.items():
            if d.kind == kind and field in d.mapping:
                column = d.mapping[field].column
                out.append((d, column, id_type, _distinct(d, column)))
    return out


def find_relations(decisions: list[FileDecision]) -> dict[int, list[Relation]]:
    """For each decision (by index), the columns that refer to another file's keys."""
    keys = _keys(decisions)
    scans = KeyColumns()
    try:
        return _relations(decisions, keys, scans)
    finally:
        scans.close()


def _relations(
    decisions: list[FileDecision],
    keys: list[tuple[FileDecision, str, str, set[str]]],
    scans: KeyColumns,
) -> dict[int, list[Relation]]:
    out: dict[int, list[Relation]] = {}
    ref = expectation("orders", "customer_id")  # an id that repeats: the reference shape
    for i, d in enumerate(decisions):
        if d.kind is None or d.context:
            continue
        for p in d.profiles:
            if content_fit(p, ref)[0] < 0.4:
                continue
            values = sorted(p.counts)[:PROBE] if len(p.counts) > PROBE else sorted(p.counts)
            if len(values) < 2:
                continue
            best: Relation | None = None
            for key_d, key_col, id_type, key_values in keys:
                if key_d is d or key_d.kind == d.kind:
                    continue
                field = _field_for(d.kind, id_type)
                if field is None:
                    continue
                found = sum(v in key_values for v in values)
                if found < len(values) * MIN_CONTAINMENT and not key_d.sample.complete:
                    scanned = scans.found(key_d, key_col, values)
                    found = scanned if scanned is not None else found
                share = found / len(values)
                if share >= MIN_CONTAINMENT and found >= min(3, len(values)):
                    rel = Relation(p.name, field, id_type, share, key_d.path.name, key_col)
                    if best is None or rel.containment > best.containment:
                        best = rel
            if best is not None:
                out.setdefault(i, []).append(best)
    return out


def identifier_override(kind: str, relation: Relation) -> dict[str, str]:
    """The ``[sources.X.identifiers]`` entry a relation needs (none when the field's
    default type is already right)."""
    default = DEFAULT_FIELDS.get(kind, {}).get(relation.field)
    if default == relation.id_type:
        return {}
    return {relation.field: relation.id_type}
