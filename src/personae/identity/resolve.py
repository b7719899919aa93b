"""Identity resolution: raw records → identity graph → stable profile ids, with an audit trail.

The steps, each a materialised table on the chosen engine:

1. ``_id_sig``: every raw record reduced to its *signature* — its kind and normalised
   identifiers — with how many records share it and one example record. A million
   customers' page views collapse to a few million signatures.
2. ``_id_occ`` / ``_id_nodes``: identifier occurrences and the distinct identifiers (graph
   nodes), numbered in priority order; phones replaced by their E.164 form.
3. Guard 1, *conflicting identifiers*: an identifier seen in records with more identifiers of
   a higher-priority type than that type's limit (a family tablet's anonymous id with two
   user ids; a shared inbox with two customer ids) does not link anything.
4. ``_id_edges``: each record links its identifiers to its highest-priority identifier;
   fuzzy matches (optional) add links between CRM records.
5. Connected components, then guard 2, *component limits*: a component still holding too
   many identifiers of a type is split around them (nearest one wins; ties stop linking).
6. Stable profile ids: a component keeps the id its identifiers had in the previous run
   (when several had ids — a merge — the one holding most of them wins; when a previous
   profile split, its id stays with the part holding most of its identifiers), and new
   components get an id hashed from their anchor identifier, the same on every engine.

Outputs (returned to the caller as tables): ``identity_map`` (every identifier, its
profile, its status), ``identity_signatures`` (signature → profile, for record lookups),
``identity_audit`` (every link, guard decision and merge, per profile), and
``account_links`` (profile → B2B account, with the rule that tied them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from personae.config import IdentitySettings
from personae.engine import Engine, quote_ident, quote_literal
from personae.identity.graph import (
    connected_components,
    limit_violations,
    nearest_seed_split,
)
from personae.identity.identifiers import (
    ACCOUNT,
    IdentifierColumn,
    Normaliser,
    identifier_columns,
    phone_lookup,
    type_table,
)

log = logging.getLogger(__name__)

# Free-mail domains never tie a person to a company account.
FREE_MAIL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "btinternet.com",
    "gmx.com",
    "gmx.de",
    "web.de",
    "mail.com",
)

OUTPUT_TABLES = (
    "identity_map",
    "identity_signatures",
    "identity_occurrences",
    "identity_audit",
    "account_links",
)


@dataclass
class SourceLayout:
    """What the resolver needs to know about one raw table: its kind and columns."""

    kind: str
    columns: Sequence[str]
    identifiers: dict[str, str] = field(default_factory=dict)  # config overrides
    detected: dict[str, str] = field(default_factory=dict)  # overrides found in the data

    @property
    def table(self) -> str:
        return f"raw_{self.kind}"


@dataclass
class Slots:
    """The wide signature layout: one column per (identifier type, position)."""

    by_kind: dict[str, list[tuple[str, IdentifierColumn]]]  # kind -> [(slot, column)]
    names: list[str]  # every slot, in a fixed order

    @classmethod
    def plan(cls, layouts: Sequence[SourceLayout]) -> Slots:
        by_kind: dict[str, list[tuple[str, IdentifierColumn]]] = {}
        widest: dict[str, int] = {}
        for layout in layouts:
            cols = identifier_columns(layout.kind, layout.columns, layout.identifiers)
            seen: dict[str, int] = {}
            slots = []
            for col in cols:
                seen[col.id_type] = seen.get(col.id_type, 0) + 1
                slots.append((f"{col.id_type}_{seen[col.id_type]}", col))
            by_kind[layout.kind] = slots
            for t, n in seen.items():
                widest[t] = max(widest.get(t, 0), n)
        names = [f"{t}_{i}" for t in sorted(widest) for i in range(1, widest[t] + 1)]
        return cls(by_kind, names)

    @staticmethod
    def id_type(slot: str) -> str:
        return slot.rsplit("_", 1)[0]


FILE_BITS = 1 << 20
"""Example records are packed as ``row * FILE_BITS + file number`` (one integer min)."""


def raw_slot_exprs(slots: Slots, kind: str, alias: str = "") -> list[str]:
    """Each slot's *raw* value in ``kind``'s records, '' when absent (never NULL).

    Signatures group records on these raw values, so no record is normalised or hashed: the
    normalisation runs once per distinct combination, and records find their signature by a
    plain equality join on the same expressions.
    """
    mine = {slot: col for slot, col in slots.by_kind.get(kind, [])}
    prefix = f"{alias}." if alias else ""
    out = []
    for slot in slots.names:
        col = mine.get(slot)
        if col is None:
            out.append("''")
            continue
        raw = col.raw_sql
        if raw.startswith('"'):
            raw = prefix + raw
        elif alias:
            raw = raw.replace("(traits", f"({alias}.traits").replace(
                "(context", f"({alias}.context"
            )
        out.append(f"coalesce(CAST({raw} AS VARCHAR), '')")
    return out


def signature_join_sql(slots: Slots, kind: str, alias: str = "r", sig: str = "s") -> str:
    """``LEFT JOIN identity_signatures`` for the records of ``kind`` aliased ``alias``."""
    conds = [f"{sig}.kind = {quote_literal(kind)}"] + [
        f"{sig}.r_{name} = {expr}"
        for name, expr in zip(slots.names, raw_slot_exprs(slots, kind, alias), strict=True)
        if expr != "''"
    ]
    return f"LEFT JOIN identity_signatures {sig} ON " + " AND ".join(conds)


def record_profile_sql(slots: Slots, kind: str) -> str:
    """Every record of ``raw_<kind>`` with its signature and profile."""
    return (
        f"SELECT r._source_file, r._source_row, s.sig_key, s.profile_id "
        f"FROM raw_{kind} r {signature_join_sql(slots, kind)}"
    )


def discover_layouts(
    con, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> list[SourceLayout]:
    """The raw tables of a DuckDB workspace that hold rows, with their non-empty columns.

    Columns that are NULL in every row are left out: they cannot identify anyone, and
    DuckDB 2.0's statistics propagation fails to bind some string expressions over a column
    it knows to be all NULL ("BindBuiltinScalarFunction did not return a
    BoundFunctionExpression").
    """
    overrides = overrides or {}
    layouts = []
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name LIKE 'raw\\_%' ESCAPE '\\' ORDER BY 1"
    ).fetchall()
    for (table,) in tables:
        kind = table.removeprefix("raw_")
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
        wanted = [c for c in columns if not c.startswith("_") or c == "_source_file"]
        counts = con.execute(
            "SELECT count(*), "
            + ", ".join(f"count({quote_ident(c)})" for c in wanted)
            + f" FROM {quote_ident(table)}"
        ).fetchall()[0]
        if not counts[0]:
            continue
        present = [c for c, n in zip(wanted, counts[1:], strict=True) if n]
        layouts.append(SourceLayout(kind, present, dict(overrides.get(kind, {}))))
    _detect_account_ids(con, layouts)
    return layouts


def _detect_account_ids(con, layouts: list[SourceLayout]) -> None:
    """B2B exports often put the *account* id in a "customer id" column (an invoice is
    billed to a company). When most of a kind's customer ids are known account ids, and the
    config does not say otherwise, they are read as account ids rather than person ids —
    otherwise every contact who ever bought for the account would merge into one person."""
    accounts = next((lay for lay in layouts if lay.kind == "accounts"), None)
    if accounts is None or "account_id" not in accounts.columns:
        return
    for lay in layouts:
        if lay.kind == "accounts" or "customer_id" not in lay.columns:
            continue
        if "customer_id" in lay.identifiers:
            continue
        share = con.execute(
            f"""
            SELECT avg(CASE WHEN a.account_id IS NULL THEN 0.0 ELSE 1.0 END) FROM
                (SELECT DISTINCT upper(trim(customer_id)) AS id FROM {quote_ident(lay.table)}
                 WHERE customer_id IS NOT NULL) c
            LEFT JOIN (SELECT DISTINCT upper(trim(account_id)) AS account_id FROM raw_accounts) a
              ON a.account_id = c.id
            """
        ).fetchall()[0][0]
        if share is not None and share >= 0.5:
            log.info("identity: %s.customer_id holds account ids (%.0f%%)", lay.kind, share * 100)
            lay.identifiers["customer_id"] = ACCOUNT
            lay.detected["customer_id"] = ACCOUNT


class IdentityResolver:
    """Resolve who is who across the raw tables (scikit-learn style: settings in, ``run``).

    ``run`` reads ``raw_<kind>`` tables from the engine and leaves the output tables in it;
    ``previous_map`` (the last run's identity_map, if any) keeps profile ids stable.
    """

    def __init__(self, settings: IdentitySettings | None = None) -> None:
        self.settings = settings or IdentitySettings()
        self.norm = Normaliser(self.settings)

    # -- step 1 ----------------------------------------------------------------------
    def _signatures(self, engine: Engine, layouts: Sequence[SourceLayout], slots: Slots) -> None:
        parts = []
        files: list[tuple[str, int, str]] = []
        for layout in layouts:
            if not slots.by_kind.get(layout.kind):
                continue
            names = (
                engine.query(f"SELECT DISTINCT _source_file AS f FROM {layout.table} ORDER BY 1")
                .column("f")
                .to_pylist()
            )
            files += [(layout.kind, i, f) for i, f in enumerate(names)]
            file_no = (
                "CASE _source_file "
                + " ".join(f"WHEN {quote_literal(f)} THEN {i}" for i, f in enumerate(names))
                + " END"
            )
            raw = raw_slot_exprs(slots, layout.kind)
            cols = ", ".join(f"{e} AS r_{n}" for e, n in zip(raw, slots.names, strict=True))
            group = ", ".join(str(i) for i in range(2, len(slots.names) + 2))
            parts.append(
                f"SELECT {quote_literal(layout.kind)} AS kind, {cols}, count(*) AS n_records, "
                f"min(_source_row * {FILE_BITS} + {file_no}) AS ex "
                f"FROM {layout.table} GROUP BY {group}"
            )
        engine.register(
            "_id_files",
            pa.table(
                {
                    "kind": pa.array([f[0] for f in files], pa.string()),
                    "file_index": pa.array([f[1] for f in files], pa.int64()),
                    "file": pa.array([f[2] for f in files], pa.string()),
                }
            ),
        )
        if not parts:
            empty = ", ".join(f"'' AS r_{n}" for n in slots.names)
            parts.append(
                f"SELECT CAST(NULL AS VARCHAR) AS kind, {empty}, CAST(0 AS BIGINT) AS n_records,"
                " CAST(0 AS BIGINT) AS ex WHERE 1 = 0"
            )
        engine.materialize("_id_sig_raw", " UNION ALL ".join(parts))
        by_slot = {name: col for cols in slots.by_kind.values() for name, col in cols}
        normalised = ", ".join(
            f"{self.norm.sql(by_slot[n].id_type, f'nullif(g.r_{n}, {chr(39)}{chr(39)})')} AS {n}"
            for n in slots.names
        )
        raw_cols = ", ".join(f"g.r_{n}" for n in slots.names)
        key = " || '|' || ".join(f"g.r_{n}" for n in slots.names) or "''"
        engine.materialize(
            "_id_sig",
            f"""
            SELECT g.kind, {normalised}, {raw_cols}, g.n_records,
                   g.kind || ':' || f.file || '#'
                   || lpad(CAST(CAST(floor(g.ex / {FILE_BITS}) AS BIGINT) AS VARCHAR), 12, '0')
                       AS example,
                   md5(g.kind || '|' || {key}) AS sig_key
            FROM _id_sig_raw g
            JOIN _id_files f ON f.kind = g.kind AND f.file_index = g.ex % {FILE_BITS}
            """,
        )

    # -- step 2 ----------------------------------------------------------------------
    def _occurrences(self, engine: Engine, slots: Slots) -> None:
        phone_slots = [s for s in slots.names if Slots.id_type(s) == "phone"]
        raws: set[str] = set()
        for s in phone_slots:
            got = engine.query(f"SELECT DISTINCT {s} AS raw FROM _id_sig WHERE {s} IS NOT NULL")
            raws.update(v for v in got.column("raw").to_pylist() if v is not None)
        engine.register("_id_phones", phone_lookup(raws, self.settings.region))
        single: list[str] = []
        multi: dict[str, list[str]] = {}
        for s in slots.names:
            id_type = Slots.id_type(s)
            if id_type == ACCOUNT:
                continue
            value = f"sg.{s}"
            join = ""
            if id_type == "phone":
                value, join = "ph.e164", f"JOIN _id_phones ph ON ph.raw = sg.{s}"
            part = (
                f"SELECT sg.sig_key, sg.kind, sg.n_records, sg.example, "
                f"'{id_type}' AS id_type, {value} AS id_value FROM _id_sig sg {join} "
                f"WHERE {value} IS NOT NULL"
            )
            multi.setdefault(id_type, []).append(part)
        parts = []
        for typed in multi.values():
            if len(typed) == 1:
                single.append(typed[0])
            else:
                # two slots of one type (anonymous_id and an alias's previous_id) may hold
                # the same value: one row per (signature, identifier)
                parts.append("SELECT DISTINCT * FROM (" + " UNION ALL ".join(typed) + ") d")
        parts = single + parts
        engine.materialize(
            "_id_occ",
            " UNION ALL ".join(parts)
            if parts
            else "SELECT CAST(NULL AS VARCHAR) AS sig_key, CAST(NULL AS VARCHAR) AS kind, "
            "CAST(0 AS BIGINT) AS n_records, CAST(NULL AS VARCHAR) AS example, "
            "CAST(NULL AS VARCHAR) AS id_type, CAST(NULL AS VARCHAR) AS id_value WHERE 1 = 0",
        )
        engine.register("_id_types", type_table(self.settings))
        engine.materialize(
            "_id_nodes0",
            """
            SELECT row_number() OVER (ORDER BY t.priority, o.id_value) AS node_id,
                   o.id_type, o.id_value, t.priority, o.n_records, o.n_signatures
            FROM (SELECT id_type, id_value, sum(n_records) AS n_records,
                         count(*) AS n_signatures
                  FROM _id_occ GROUP BY id_type, id_value) o
            JOIN _id_types t ON t.id_type = o.id_type
            """,
        )

    # -- step 3 ----------------------------------------------------------------------
    def _conflicts(self, engine: Engine) -> None:
        engine.materialize(
            "_id_conflicts",
            """
            SELECT a.id_type, a.id_value, b.id_type AS other_type,
                   count(DISTINCT b.id_value) AS n_other, tb.max_per_profile,
                   min(b.id_value) AS example_other, min(a.example) AS example
            FROM _id_occ a
            JOIN _id_occ b ON b.sig_key = a.sig_key
            JOIN _id_types ta ON ta.id_type = a.id_type
            JOIN _id_types tb ON tb.id_type = b.id_type
            WHERE tb.priority < ta.priority
            GROUP BY a.id_type, a.id_value, b.id_type, tb.max_per_profile
            HAVING count(DISTINCT b.id_value) > tb.max_per_profile
            """,
        )
        engine.materialize(
            "_id_nodes",
            """
            SELECT n.*, c.id_value IS NULL AS linking,
                   CASE WHEN c.id_value IS NULL THEN NULL ELSE 'conflict' END AS status_reason
            FROM _id_nodes0 n
            LEFT JOIN (SELECT DISTINCT id_type, id_value FROM _id_conflicts) c
              ON c.id_type = n.id_type AND c.id_value = n.id_value
            """,
        )

    # -- step 4 ----------------------------------------------------------------------
    def _edges(self, engine: Engine, fuzzy_pairs: pa.Table | None) -> None:
        engine.materialize(
            "_id_occ_nodes",
            """
            SELECT o.sig_key, o.kind, o.n_records, o.example, n.node_id
            FROM _id_occ o
            JOIN _id_nodes n ON n.id_type = o.id_type AND n.id_value = o.id_value
            WHERE n.linking
            """,
        )
        engine.materialize(
            "_id_sig_anchor",
            "SELECT sig_key, min(node_id) AS anchor FROM _id_occ_nodes GROUP BY sig_key",
        )
        fuzzy = ""
        if fuzzy_pairs is not None and fuzzy_pairs.num_rows:
            engine.register("_id_fuzzy", fuzzy_pairs)
            fuzzy = """
            UNION ALL
            SELECT least(na.node_id, nb.node_id) AS a, greatest(na.node_id, nb.node_id) AS b,
                   'fuzzy_match' AS rule, 2 AS n_records, f.example_l AS example,
                   f.match_probability
            FROM _id_fuzzy f
            JOIN _id_nodes na ON na.id_type = 'crm_id' AND na.id_value = f.crm_id_l
            JOIN _id_nodes nb ON nb.id_type = 'crm_id' AND nb.id_value = f.crm_id_r
            WHERE na.linking AND nb.linking AND na.node_id <> nb.node_id
            """
        engine.materialize(
            "_id_edges",
            f"""
            SELECT a, b, min(rule) AS rule, sum(n_records) AS n_records, min(example) AS example,
                   max(match_probability) AS match_probability
            FROM (
                SELECT s.anchor AS a, o.node_id AS b, 'same_record' AS rule, o.n_records,
                       o.example, CAST(NULL AS DOUBLE) AS match_probability
                FROM _id_occ_nodes o JOIN _id_sig_anchor s ON s.sig_key = o.sig_key
                WHERE o.node_id <> s.anchor
                {fuzzy}
            ) e
            GROUP BY a, b
            """,
        )

    # -- step 5 ----------------------------------------------------------------------
    def _components(self, engine: Engine) -> None:
        """Components with guard 2: split until no component breaks a limit."""
        for attempt in range(len(self.settings.priority) + 1):
            connected_components(engine, "_id_nodes", "_id_edges", "_id_labels")
            if not limit_violations(
                engine, "_id_nodes", "_id_labels", "_id_types", "_id_violations"
            ):
                return
            log.info("identity: splitting components over their limits (round %d)", attempt + 1)
            nearest_seed_split(
                engine, "_id_nodes", "_id_edges", "_id_labels", "_id_violations", "_id_assign"
            )
            prior = (
                "SELECT * FROM _id_split_log UNION ALL "
                if engine.has_table("_id_split_log")
                else ""
            )
            # the audit keeps what the split did: identifiers no seed could claim, and every
            # link cut because its ends went to different seeds
            engine.materialize(
                "_id_split_log",
                prior
                + """
                SELECT n.id_type, n.id_value, v.id_type AS other_type, v.n, v.max_per_profile,
                       CASE WHEN a.tie THEN 'split_tie' ELSE 'split_unreached' END AS outcome,
                       CAST(NULL AS VARCHAR) AS seed_type, CAST(NULL AS VARCHAR) AS seed_value,
                       CAST(NULL AS VARCHAR) AS edge_rule, CAST(NULL AS DOUBLE) AS probability
                FROM _id_assign a
                JOIN _id_nodes n ON n.node_id = a.node_id
                JOIN _id_labels l ON l.node_id = a.node_id
                JOIN _id_violations v ON v.label = l.label
                WHERE a.seed IS NULL
                UNION ALL
                SELECT na.id_type, na.id_value, v.id_type AS other_type, v.n, v.max_per_profile,
                       'split_cut' AS outcome, nb.id_type AS seed_type,
                       nb.id_value AS seed_value, e.rule AS edge_rule,
                       e.match_probability AS probability
                FROM _id_edges e
                JOIN _id_assign sa ON sa.node_id = e.a
                JOIN _id_assign sb ON sb.node_id = e.b
                JOIN _id_nodes na ON na.node_id = e.a
                JOIN _id_nodes nb ON nb.node_id = e.b
                JOIN _id_labels l ON l.node_id = e.a
                JOIN _id_violations v ON v.label = l.label
                WHERE sa.seed IS NOT NULL AND sb.seed IS NOT NULL AND sa.seed <> sb.seed
                """,
            )
            # identifiers that no seed can claim stop linking; links across seeds are cut
            engine.materialize(
                "_id_nodes",
                """
                SELECT n.node_id, n.id_type, n.id_value, n.priority, n.n_records,
                       n.n_signatures,
                       n.linking AND NOT (a.node_id IS NOT NULL AND a.seed IS NULL) AS linking,
                       CASE WHEN n.linking AND a.node_id IS NOT NULL AND a.seed IS NULL
                            THEN 'split' ELSE n.status_reason END AS status_reason
                FROM _id_nodes n LEFT JOIN _id_assign a ON a.node_id = n.node_id
                """,
            )
            self._edges_after_split(engine)
        connected_components(engine, "_id_nodes", "_id_edges", "_id_labels")

    @staticmethod
    def _edges_after_split(engine: Engine) -> None:
        engine.materialize(
            "_id_edges",
            """
            SELECT e.* FROM _id_edges e
            JOIN _id_nodes na ON na.node_id = e.a
            JOIN _id_nodes nb ON nb.node_id = e.b
            LEFT JOIN _id_assign sa ON sa.node_id = e.a
            LEFT JOIN _id_assign sb ON sb.node_id = e.b
            WHERE na.linking AND nb.linking
              AND (sa.node_id IS NULL OR sb.node_id IS NULL OR sa.seed = sb.seed)
            """,
        )

    # -- step 6 ----------------------------------------------------------------------
    def _profile_ids(self, engine: Engine, has_previous: bool) -> None:
        anchor = """
            SELECT l.label, 'p' || substr(md5(n.id_type || ':' || n.id_value), 1, 15) AS fresh,
                   'p' || substr(md5('split:' || n.id_type || ':' || n.id_value), 1, 15) AS split
            FROM (SELECT DISTINCT label FROM _id_labels) l
            JOIN _id_nodes n ON n.node_id = l.label
        """
        if not has_previous:
            engine.materialize(
                "_id_profiles",
                f"SELECT label, fresh AS profile_id, CAST(NULL AS VARCHAR) AS merged_from "
                f"FROM ({anchor}) a",
            )
            return
        engine.materialize(
            "_id_votes",
            """
            SELECT l.label, p.profile_id AS previous, count(*) AS n
            FROM _id_labels l
            JOIN _id_nodes n ON n.node_id = l.node_id
            JOIN _id_prev p ON p.id_type = n.id_type AND p.id_value = n.id_value
            WHERE p.profile_id IS NOT NULL
            GROUP BY l.label, p.profile_id
            """,
        )
        engine.materialize(
            "_id_profiles",
            f"""
            WITH owner AS (  -- each previous id goes to the component holding most of it
                SELECT label, previous, n FROM (
                    SELECT label, previous, n, row_number() OVER (
                        PARTITION BY previous ORDER BY n DESC, label) AS r
                    FROM _id_votes) x WHERE r = 1
            ), chosen AS (   -- each component keeps the previous id it holds most of
                SELECT label, previous FROM (
                    SELECT label, previous, row_number() OVER (
                        PARTITION BY label ORDER BY n DESC, previous) AS r
                    FROM owner) x WHERE r = 1
            ), merged AS (
                SELECT o.label, min(o.previous) AS merged_from
                FROM owner o JOIN chosen c ON c.label = o.label
                WHERE o.previous <> c.previous GROUP BY o.label
            )
            SELECT a.label,
                   coalesce(c.previous,
                            CASE WHEN v.label IS NULL THEN a.fresh ELSE a.split END) AS profile_id,
                   m.merged_from
            FROM ({anchor}) a
            LEFT JOIN chosen c ON c.label = a.label
            LEFT JOIN (SELECT DISTINCT label FROM _id_votes) v ON v.label = a.label
            LEFT JOIN merged m ON m.label = a.label
            """,
        )

    # -- outputs ---------------------------------------------------------------------
    def _outputs(self, engine: Engine, slots: Slots) -> None:
        engine.materialize(
            "identity_map",
            """
            SELECT n.id_type, n.id_value, p.profile_id,
                   CASE WHEN n.linking THEN 'linked' ELSE n.status_reason END AS status,
                   n.priority, n.n_records, n.n_signatures
            FROM _id_nodes n
            LEFT JOIN _id_labels l ON l.node_id = n.node_id AND n.linking
            LEFT JOIN _id_profiles p ON p.label = l.label
            """,
        )
        account_slots = [n for n in slots.names if Slots.id_type(n) == ACCOUNT]
        account = (
            f"coalesce({', '.join('s.' + n for n in account_slots)})"
            if account_slots
            else "CAST(NULL AS VARCHAR)"
        )
        raw_cols = ", ".join(f"s.r_{n}" for n in slots.names)
        engine.materialize(
            "identity_signatures",
            f"""
            SELECT s.sig_key, s.kind, s.n_records, p.profile_id, {account} AS account_key,
                   {raw_cols}
            FROM _id_sig s
            LEFT JOIN _id_sig_anchor a ON a.sig_key = s.sig_key
            LEFT JOIN _id_labels l ON l.node_id = a.anchor
            LEFT JOIN _id_profiles p ON p.label = l.label
            """,
        )
        engine.materialize(
            "identity_occurrences",
            "SELECT sig_key, kind, id_type, id_value, n_records FROM _id_occ",
        )
        self._audit(engine)
        self._accounts(engine, slots)

    @staticmethod
    def _audit(engine: Engine) -> None:
        def split_example(expr: str) -> str:
            return (
                f"split_part({expr}, ':', 1) AS example_kind, "
                f"substr({expr}, length(split_part({expr}, ':', 1)) + 2, "
                f"length({expr}) - length(split_part({expr}, ':', 1)) - 14) AS example_file, "
                f"CAST(substr({expr}, length({expr}) - 11, 12) AS BIGINT) AS example_row"
            )

        split_log = (
            """
            UNION ALL
            SELECT m.profile_id, x.outcome AS rule, x.id_type, x.id_value,
                   x.seed_type AS other_type, x.seed_value AS other_value,
                   CAST(NULL AS BIGINT) AS n_records,
                   CAST(NULL AS VARCHAR) AS example_kind, CAST(NULL AS VARCHAR) AS example_file,
                   CAST(NULL AS BIGINT) AS example_row, x.probability AS match_probability,
                   CASE WHEN x.outcome = 'split_cut'
                        THEN 'link (' || x.edge_rule || ') cut: '
                        ELSE 'stopped linking: ' END
                   || 'component had ' || CAST(x.n AS VARCHAR) || ' ' || x.other_type
                   || ' identifiers, limit ' || CAST(x.max_per_profile AS VARCHAR) AS detail
            FROM _id_split_log x
            LEFT JOIN identity_map m ON m.id_type = x.id_type AND m.id_value = x.id_value
            """
            if engine.has_table("_id_split_log")
            else ""
        )
        engine.materialize(
            "identity_audit",
            f"""
            SELECT p.profile_id, e.rule, na.id_type, na.id_value,
                   nb.id_type AS other_type, nb.id_value AS other_value, e.n_records,
                   {split_example("e.example")}, e.match_probability,
                   CAST(NULL AS VARCHAR) AS detail
            FROM _id_edges e
            JOIN _id_nodes na ON na.node_id = e.a
            JOIN _id_nodes nb ON nb.node_id = e.b
            JOIN _id_labels l ON l.node_id = e.a
            JOIN _id_profiles p ON p.label = l.label
            UNION ALL
            SELECT CAST(NULL AS VARCHAR) AS profile_id, 'conflict' AS rule, c.id_type, c.id_value,
                   c.other_type, c.example_other AS other_value, CAST(NULL AS BIGINT) AS n_records,
                   {split_example("c.example")}, CAST(NULL AS DOUBLE) AS match_probability,
                   'seen with ' || CAST(c.n_other AS VARCHAR) || ' ' || c.other_type
                   || ' identifiers, limit ' || CAST(c.max_per_profile AS VARCHAR) AS detail
            FROM _id_conflicts c
            UNION ALL
            SELECT p.profile_id, 'merged_profile' AS rule, CAST(NULL AS VARCHAR) AS id_type,
                   CAST(NULL AS VARCHAR) AS id_value, CAST(NULL AS VARCHAR) AS other_type,
                   p.merged_from AS other_value, CAST(NULL AS BIGINT) AS n_records,
                   CAST(NULL AS VARCHAR) AS example_kind, CAST(NULL AS VARCHAR) AS example_file,
                   CAST(NULL AS BIGINT) AS example_row, CAST(NULL AS DOUBLE) AS match_probability,
                   'profile ' || p.merged_from || ' was merged into this one' AS detail
            FROM _id_profiles p WHERE p.merged_from IS NOT NULL
            {split_log}
            """,
        )

    @staticmethod
    def _accounts(engine: Engine, slots: Slots) -> None:
        account_slots = [s for s in slots.names if Slots.id_type(s) == ACCOUNT]
        parts = [
            f"""
            SELECT s.profile_id, g.{s} AS account_id,
                   CASE WHEN g.kind = 'events' THEN 'group_call' ELSE 'account_id' END AS rule,
                   g.n_records
            FROM _id_sig g JOIN identity_signatures s ON s.sig_key = g.sig_key
            WHERE g.{s} IS NOT NULL AND s.profile_id IS NOT NULL
            """
            for s in account_slots
        ]
        if engine.has_table("raw_accounts"):
            free = ", ".join(quote_literal(d) for d in FREE_MAIL_DOMAINS)
            parts.append(
                f"""
                SELECT m.profile_id, upper(trim(a.account_id)) AS account_id,
                       'email_domain' AS rule, m.n_records
                FROM identity_map m
                JOIN (SELECT account_id, lower(trim(domain)) AS domain FROM raw_accounts
                      WHERE domain IS NOT NULL AND account_id IS NOT NULL) a
                  ON a.domain = split_part(m.id_value, '@', 2)
                WHERE m.id_type = 'email' AND m.profile_id IS NOT NULL
                  AND a.domain NOT IN ({free})
                """
            )
        if not parts:
            engine.materialize(
                "account_links",
                "SELECT CAST(NULL AS VARCHAR) AS profile_id, CAST(NULL AS VARCHAR) AS account_id,"
                " CAST(NULL AS VARCHAR) AS rule, CAST(0 AS BIGINT) AS n_records WHERE 1 = 0",
            )
            return
        engine.materialize(
            "account_links",
            "SELECT profile_id, account_id, rule, sum(n_records) AS n_records FROM ("
            + " UNION ALL ".join(parts)
            + ") x GROUP BY profile_id, account_id, rule",
        )

    # -- the whole run ---------------------------------------------------------------
    def run(
        self,
        engine: Engine,
        layouts: Sequence[SourceLayout],
        *,
        previous_map: pa.Table | None = None,
        fuzzy_pairs: pa.Table | None = None,
    ) -> Slots:
        """Resolve identities; the output tables are left in ``engine``. Returns the layout."""
        slots = Slots.plan(layouts)
        for stale in ("_id_split_log", "_id_prev"):
            engine.drop(stale)
        self._signatures(engine, layouts, slots)
        self._occurrences(engine, slots)
        self._conflicts(engine)
        self._edges(engine, fuzzy_pairs)
        self._components(engine)
        has_previous = previous_map is not None and previous_map.num_rows > 0
        if has_previous:
            engine.register("_id_prev", previous_map)
        self._profile_ids(engine, has_previous)
        self._outputs(engine, slots)
        return slots

    @staticmethod
    def cleanup(engine: Engine) -> None:
        for name in (
            "_id_sig",
            "_id_sig_raw",
            "_id_files",
            "_id_occ",
            "_id_phones",
            "_id_types",
            "_id_nodes0",
            "_id_nodes",
            "_id_conflicts",
            "_id_occ_nodes",
            "_id_sig_anchor",
            "_id_fuzzy",
            "_id_edges",
            "_id_labels",
            "_id_violations",
            "_id_assign",
            "_id_split_log",
            "_id_prev",
            "_id_votes",
            "_id_profiles",
        ):
            engine.drop(name)
