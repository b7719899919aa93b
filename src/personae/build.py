"""``personae build``: identity resolution, then unified profiles, on DuckDB or Spark.

The workspace's DuckDB file stays the store of record whatever the engine: with
``backend = "spark"`` the raw tables are exported once as Parquet, the same SQL runs on a
local Spark session, and the output tables are read back into the workspace. That keeps
every later step (value, segments, personas, the web app) engine-agnostic.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from personae.engine import DuckDBEngine, Engine, SparkEngine, quote_ident, spark_session
from personae.identity.identifiers import Normaliser, identifier_columns
from personae.identity.resolve import (
    OUTPUT_TABLES as IDENTITY_TABLES,
)
from personae.identity.resolve import (
    IdentityResolver,
    SourceLayout,
    discover_layouts,
    record_profile_sql,
)
from personae.locale.resolve import conversion_rates, write_conversion
from personae.profiles.build import OUTPUT_TABLES as PROFILE_TABLES
from personae.profiles.build import ProfileBuilder
from personae.runs import StepCannotRun

if TYPE_CHECKING:
    from personae.workspace import Workspace

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    engine: str
    as_of: str
    profiles: int
    anonymous_profiles: int
    accounts: int
    identifiers: int
    linked_records: int
    unlinked_records: int
    conflicts: int
    fuzzy_links: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    report_path: Path | None = None  # reports/identity.md, written by Workspace.build
    consent: Any = None  # governance.consent.ConsentSummary, written by Workspace.build


def latest_timestamp(con: duckdb.DuckDBPyConnection, layouts: list[SourceLayout]) -> str:
    """The default ``as_of``: the latest event or order time in the data (never the clock)."""
    candidates = {"orders": "order_date", "events": "timestamp", "email_events": "timestamp"}
    parts = [
        f"SELECT max({col}) AS t FROM raw_{lay.kind}"
        for lay in layouts
        for kind, col in candidates.items()
        if lay.kind == kind and col in lay.columns
    ]
    if not parts:
        return "2000-01-01 00:00:00"
    value = con.execute(
        "SELECT CAST(max(t) AS VARCHAR) FROM (" + " UNION ALL ".join(parts) + ")"
    ).fetchall()[0][0]
    return value or "2000-01-01 00:00:00"


class BuildStepError(StepCannotRun):
    """Identities cannot be resolved: no ingested record carries an identifier."""


def _identifier_overrides(ws: Workspace) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, source in ws.config.sources.items():
        if not source.identifiers:
            continue
        mine = out.setdefault(source.kind, {})
        for col, id_type in source.identifiers.items():
            if mine.get(col, id_type) != id_type:
                from personae.workspace import WorkspaceError

                raise WorkspaceError(
                    f"personae.toml: [sources.{name}.identifiers] {col} = {id_type!r} "
                    f"disagrees with another {source.kind} source ({mine[col]!r}). Sources of "
                    "one kind share a table, so they must agree. Fix: use the same type."
                )
            mine[col] = id_type
    return out


def _fuzzy_pairs(ws: Workspace, backend: Any, engine: Engine, layouts) -> pa.Table | None:
    """Probabilistic links between CRM records that share no identifier (opt-in)."""
    settings = ws.config.identity.fuzzy
    contacts = next((lay for lay in layouts if lay.kind == "contacts"), None)
    if not settings.enabled or contacts is None or "contact_id" not in contacts.columns:
        return None
    from personae.identity.fuzzy import FuzzyMatcher
    from personae.identity.fuzzy import FuzzySettings as MatcherSettings

    norm = Normaliser(ws.config.identity)

    def col(name: str) -> str:
        return name if name in contacts.columns else "CAST(NULL AS VARCHAR)"

    birth = "birth_date" if "birth_date" in contacts.columns else "CAST(NULL AS DATE)"
    engine.materialize(
        "_fz_input",
        f"""
        SELECT record_key, first_name, last_name, birth_date, address, city, postal_code,
               email, phone, example FROM (
            SELECT {norm.sql("crm_id", "contact_id")} AS record_key,
                   {col("first_name")} AS first_name, {col("last_name")} AS last_name,
                   {birth} AS birth_date, {col("address")} AS address, {col("city")} AS city,
                   {col("postal_code")} AS postal_code,
                   {
            norm.sql("email", "email") if "email" in contacts.columns else "CAST(NULL AS VARCHAR)"
        } AS email,
                   {col("phone_e164")} AS phone,
                   'contacts:' || _source_file || '#' || lpad(CAST(_source_row AS VARCHAR), 12, '0')
                       AS example,
                   row_number() OVER (PARTITION BY {norm.sql("crm_id", "contact_id")}
                                      ORDER BY _source_file, _source_row) AS r
            FROM raw_contacts
        ) x WHERE r = 1 AND record_key IS NOT NULL
        """,
    )
    pairs = FuzzyMatcher(MatcherSettings(threshold=settings.threshold)).fit_predict(
        backend, "_fz_input"
    )
    examples = engine.query("SELECT record_key, example FROM _fz_input")
    lookup = dict(zip(examples.column(0).to_pylist(), examples.column(1).to_pylist(), strict=True))
    left = pairs.column("record_key_l").to_pylist()
    return pa.table(
        {
            "crm_id_l": pa.array(left, pa.string()),
            "crm_id_r": pairs.column("record_key_r").cast(pa.string()),
            "match_probability": pairs.column("match_probability").cast(pa.float64()),
            "example_l": pa.array([lookup.get(k) for k in left], pa.string()),
        }
    )


SHARED_ROW_KINDS = ("survey_responses",)  # kinds whose rows may share a source row


def record_profiles_view_sql(layouts, slots) -> str:
    """Every ingested record's profile, keyed by (source_kind, source_file, source_row)."""
    # A wide survey's answers keep their respondent's row number (erasure and quarantine
    # point at that row), so a survey row stands for several answers: one profile row each.
    parts = [
        f"SELECT {'DISTINCT ' if lay.kind in SHARED_ROW_KINDS else ''}'{lay.kind}' AS "
        f"source_kind, x._source_file AS source_file, "
        f"x._source_row AS source_row, x.sig_key, x.profile_id "
        f"FROM ({record_profile_sql(slots, lay.kind)}) x"
        for lay in layouts
        if slots.by_kind.get(lay.kind)
    ]
    if not parts:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS source_kind, CAST(NULL AS VARCHAR) AS source_file,"
            " CAST(NULL AS BIGINT) AS source_row, CAST(NULL AS VARCHAR) AS sig_key,"
            " CAST(NULL AS VARCHAR) AS profile_id WHERE 1 = 0"
        )
    return " UNION ALL ".join(parts)


def build(
    ws: Workspace, *, backend: str | None = None, progress: Progress | None = None
) -> BuildResult:
    """Resolve identities and build profiles for the workspace; return a summary."""
    say = progress or (lambda _msg: None)
    config = ws.config
    backend = backend or config.engine.backend
    started = time.perf_counter()
    timings: dict[str, float] = {}
    resolver = IdentityResolver(config.identity)
    with ws.connect() as con:
        money_notes = write_conversion(con, ws.currency(con), config.workspace.currency_rates)
        builder = ProfileBuilder(config.profiles, rates=conversion_rates(con))
        for note in money_notes:
            say(f"Currencies: {note}")
        layouts = discover_layouts(con, _identifier_overrides(ws))
        if not any(identifier_columns(lay.kind, lay.columns, lay.identifiers) for lay in layouts):
            raise BuildStepError(
                "no ingested record carries an identifier (email, phone, user, customer or "
                "CRM id …), so there is nobody to resolve into profiles (texts are still "
                "read, for everyone: reports/text.md). Fix: add a file that names your "
                "customers (`personae add FILE -w WORKSPACE`), or map a file's identifier "
                "column in its [sources.NAME.columns] (`personae kinds KIND` lists the fields)."
            )
        as_of = config.profiles.as_of or latest_timestamp(con, layouts)
        if len(as_of) == 10:
            as_of += " 00:00:00"
        previous = (
            con.sql("SELECT id_type, id_value, profile_id FROM identity_map").to_arrow_table()
            if _has_table(con, "identity_map")
            else None
        )
        spark_dir = ws.path / ".spark"
        if backend == "spark":
            say("Starting Spark")
            # the session outlives this build (getOrCreate reuses it), so its scratch space
            # lives in the system temp folder, not in a workspace that may be removed
            spark = spark_session(
                cores=config.engine.spark_cores,
                memory=config.engine.spark_memory,
                tmp_dir=Path(tempfile.gettempdir()) / f"personae-spark-{os.getpid()}",
            )
            engine: Engine = SparkEngine(spark, spark_dir / "tables")
            raw_dir = spark_dir / "raw"
            raw_dir.mkdir(parents=True, exist_ok=True)
            for lay in layouts:
                path = raw_dir / f"{lay.table}.parquet"
                con.execute(
                    f"COPY (SELECT * FROM {quote_ident(lay.table)}) TO '{path}' (FORMAT parquet)"
                )
                engine.register_parquet(lay.table, path)
            fuzzy_backend: Any = spark
        else:
            engine = DuckDBEngine(con)
            fuzzy_backend = con
        t = time.perf_counter()
        fuzzy = None
        if config.identity.fuzzy.enabled:
            say("Fuzzy matching CRM records (Splink)")
            fuzzy = _fuzzy_pairs(ws, fuzzy_backend, engine, layouts)
            timings["fuzzy"] = time.perf_counter() - t
        say("Resolving identities")
        t = time.perf_counter()
        slots = resolver.run(engine, layouts, previous_map=previous, fuzzy_pairs=fuzzy)
        timings["identity"] = time.perf_counter() - t
        say("Building profiles")
        t = time.perf_counter()
        columns = {lay.kind: list(lay.columns) for lay in layouts}
        builder.run(engine, slots, resolver.norm, columns, as_of)
        timings["profiles"] = time.perf_counter() - t
        outputs = [*IDENTITY_TABLES, *PROFILE_TABLES]
        if backend == "spark":
            t = time.perf_counter()
            for name in outputs:
                if engine.has_table(name):
                    engine.materialize(name, f"SELECT * FROM {name}")  # flush to Parquet
                    path = Path(engine.work_dir) / name  # type: ignore[attr-defined]
                    con.execute(
                        f"CREATE OR REPLACE TABLE {name} AS "
                        f"SELECT * FROM read_parquet('{path}/*.parquet')"
                    )
            timings["copy_back"] = time.perf_counter() - t
        else:
            resolver.cleanup(engine)
            builder.cleanup(engine)
            engine.drop("_fz_input")
        if not _has_table(con, "account_profiles"):
            con.execute(
                "CREATE TABLE account_profiles (account_id VARCHAR, name VARCHAR, "
                "industry VARCHAR, contacts BIGINT)"
            )
        con.execute(
            "CREATE OR REPLACE VIEW record_profiles AS " + record_profiles_view_sql(layouts, slots)
        )
        summary = con.execute(
            """
            SELECT (SELECT count(*) FROM profiles),
                   (SELECT count(*) FROM profiles WHERE anonymous),
                   (SELECT count(*) FROM account_profiles),
                   (SELECT count(*) FROM identity_map),
                   (SELECT coalesce(sum(n_records), 0) FROM identity_signatures
                     WHERE profile_id IS NOT NULL),
                   (SELECT coalesce(sum(n_records), 0) FROM identity_signatures
                     WHERE profile_id IS NULL),
                   (SELECT count(*) FROM identity_map WHERE status <> 'linked'),
                   (SELECT count(*) FROM identity_audit WHERE rule = 'fuzzy_match')
            """
        ).fetchall()[0]
    if backend == "spark":
        shutil.rmtree(spark_dir, ignore_errors=True)
    return BuildResult(
        engine=backend,
        as_of=as_of,
        profiles=int(summary[0]),
        anonymous_profiles=int(summary[1]),
        accounts=int(summary[2]),
        identifiers=int(summary[3]),
        linked_records=int(summary[4]),
        unlinked_records=int(summary[5]),
        conflicts=int(summary[6]),
        fuzzy_links=int(summary[7]),
        seconds=time.perf_counter() - started,
        timings=timings,
    )


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return DuckDBEngine(con).has_table(name)
