"""Measure identity resolution against a ground truth of (source file, row) → person.

Pairwise metrics over ingested records: a pair of records is *predicted* together when they
share a profile and *truly* together when they share a person. Records whose truth is
blank (e.g. B2B account rows, which are no person) are left out.

Two recall figures are reported, because some true pairs cannot be recovered from any
identifier in the data (a survey answered anonymously, a web session never identified):

- ``recall``: over all true pairs;
- ``recall_linkable``: over pairs whose records are connected through identifiers the
  truth itself shares — for each person, records are grouped by the normalised identifiers
  they have in common (before any merge guard or fuzzy matching); pairs across groups carry
  no evidence at all. This measures what the resolver *loses* (guards, normalisation),
  not what the data never held.

Used by the tests and by ``bench/identity.py``; computed in DuckDB with group-by counts,
so it runs at a million customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from personae.engine import quote_literal


@dataclass
class PairMetrics:
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    linkable_pairs: int
    correct_linkable_pairs: int
    impure_profiles: int  # profiles holding records of two or more true people

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def recall_linkable(self) -> float:
        if not self.linkable_pairs:
            return 1.0
        return self.correct_linkable_pairs / self.linkable_pairs

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(expr: str) -> str:
    return f"coalesce(sum(CAST({expr} AS HUGEINT) * ({expr} - 1) / 2), 0)"


def pairwise_metrics(con: duckdb.DuckDBPyConnection, truth_records_csv: Path) -> PairMetrics:
    """Compare ``record_profiles`` in the workspace with a truth ``records.csv``."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _truth AS SELECT source_file, "
        "CAST(source_row AS BIGINT) AS source_row, person_id FROM read_csv("
        f"{quote_literal(str(truth_records_csv))}, all_varchar = true) "
        "WHERE person_id IS NOT NULL AND person_id <> ''"
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _joined AS
        SELECT r.source_kind, r.source_file AS file, r.source_row AS row, r.sig_key,
               r.profile_id, t.person_id
        FROM record_profiles r
        JOIN _truth t ON t.source_file = parse_filename(r.source_file)
                     AND t.source_row = r.source_row
        """
    )
    records, true_pairs = con.execute(
        f"SELECT (SELECT count(*) FROM _joined), (SELECT {_pairs('n')} FROM "
        "(SELECT count(*) AS n FROM _joined GROUP BY person_id))"
    ).fetchall()[0]
    predicted = con.execute(
        f"SELECT {_pairs('n')} FROM (SELECT count(*) AS n FROM _joined "
        "WHERE profile_id IS NOT NULL GROUP BY profile_id)"
    ).fetchall()[0][0]
    correct = con.execute(
        f"SELECT {_pairs('n')} FROM (SELECT count(*) AS n FROM _joined "
        "WHERE profile_id IS NOT NULL GROUP BY profile_id, person_id)"
    ).fetchall()[0][0]
    impure = con.execute(
        "SELECT count(*) FROM (SELECT profile_id FROM _joined WHERE profile_id IS NOT NULL "
        "GROUP BY profile_id HAVING count(DISTINCT person_id) > 1)"
    ).fetchall()[0][0]
    linkable, correct_linkable = _linkable(con)
    return PairMetrics(
        int(records),
        int(true_pairs),
        int(predicted),
        int(correct),
        int(linkable),
        int(correct_linkable),
        int(impure),
    )


def _linkable(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Pairs of one person's records connected through identifiers they share."""
    from personae.engine import DuckDBEngine
    from personae.identity.graph import connected_components

    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _ev_sig AS
        SELECT person_id, sig_key, any_value(profile_id) AS profile_id, count(*) AS n
        FROM _joined GROUP BY person_id, sig_key
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _ev_nodes AS
        SELECT row_number() OVER (ORDER BY k) AS node_id, k, TRUE AS linking FROM (
            SELECT DISTINCT person_id || '|s|' || sig_key AS k FROM _ev_sig
            UNION
            SELECT DISTINCT e.person_id || '|i|' || o.id_type || ':' || o.id_value AS k
            FROM _ev_sig e JOIN identity_occurrences o ON o.sig_key = e.sig_key
        ) x
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _ev_edges AS
        SELECT s.node_id AS a, i.node_id AS b
        FROM _ev_sig e
        JOIN identity_occurrences o ON o.sig_key = e.sig_key
        JOIN _ev_nodes s ON s.k = e.person_id || '|s|' || e.sig_key
        JOIN _ev_nodes i ON i.k = e.person_id || '|i|' || o.id_type || ':' || o.id_value
        """
    )
    connected_components(DuckDBEngine(con), "_ev_nodes", "_ev_edges", "_ev_labels")
    row = con.execute(
        f"""
        WITH g AS (
            SELECT e.person_id, l.label, e.profile_id, e.n
            FROM _ev_sig e
            JOIN _ev_nodes s ON s.k = e.person_id || '|s|' || e.sig_key
            JOIN _ev_labels l ON l.node_id = s.node_id
        )
        SELECT (SELECT {_pairs("n")} FROM (SELECT sum(n) AS n FROM g GROUP BY person_id, label)),
               (SELECT {_pairs("n")} FROM (SELECT sum(n) AS n FROM g
                WHERE profile_id IS NOT NULL GROUP BY person_id, label, profile_id))
        """
    ).fetchall()[0]
    for name in ("_ev_sig", "_ev_nodes", "_ev_edges", "_ev_labels"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return int(row[0]), int(row[1])


# -- fuzzy matching on labelled record sets (FEBRL) -------------------------------------------


def load_febrl(con: duckdb.DuckDBPyConnection, paths: list[Path], table: str = "people") -> None:
    """FEBRL CSVs → ``table`` in the fuzzy matcher's input shape, plus ``entity`` (the truth).

    FEBRL truth: ``rec-N-org`` and ``rec-N-dup-k`` are one entity. ``soc_sec_id`` is left
    out: customer data has no such identifier, and it would make matching trivial.
    """
    files = ", ".join(quote_literal(str(p)) for p in paths)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH raw AS (SELECT * FROM read_csv([{files}], header = true, all_varchar = true))
        SELECT
            trim(rec_id) AS record_key,
            nullif(trim(given_name), '') AS first_name,
            nullif(trim(surname), '') AS last_name,
            CAST(try_strptime(trim(date_of_birth), '%Y%m%d') AS DATE) AS birth_date,
            nullif(concat_ws(' ', nullif(trim(street_number), ''), nullif(trim(address_1), '')),
                   '') AS address,
            nullif(trim(suburb), '') AS city,
            nullif(trim(postcode), '') AS postal_code,
            CAST(NULL AS VARCHAR) AS email,
            CAST(NULL AS VARCHAR) AS phone,
            regexp_extract(trim(rec_id), 'rec-(\\d+)-', 1) AS entity
        FROM raw
        """
    )


def pair_scores(
    con: duckdb.DuckDBPyConnection, pairs: pa.Table, table: str = "people"
) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of predicted (record_key_l, record_key_r) pairs
    against the ``entity`` column of ``table``."""
    con.register("_predicted_pairs", pairs.select(["record_key_l", "record_key_r"]))
    try:
        true_pairs, predicted, correct = con.execute(
            f"""
            SELECT
                (SELECT count(*) FROM {table} l JOIN {table} r
                 ON l.entity = r.entity AND l.record_key < r.record_key),
                (SELECT count(*) FROM _predicted_pairs),
                (SELECT count(*) FROM _predicted_pairs p
                 JOIN {table} l ON l.record_key = p.record_key_l
                 JOIN {table} r ON r.record_key = p.record_key_r
                 WHERE l.entity = r.entity)
            """
        ).fetchall()[0]
    finally:
        con.unregister("_predicted_pairs")
    precision = correct / predicted if predicted else 0.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
