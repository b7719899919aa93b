"""A workspace: one folder holding ``personae.toml``, the DuckDB database and exports.

:class:`Workspace` is the Python face of the CLI: each command is a method with the same
name and options, and results come back as Arrow tables (``.to_pandas()`` for pandas).
A connection is opened per call and closed after, so the CLI, notebooks and the web app
can take turns on the same file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from personae import engine
from personae.config import (
    CONFIG_FILE,
    Config,
    SourceConfig,
    default_toml,
    load_config,
    source_toml,
)
from personae.governance.audit import note_config
from personae.ingest import parsers
from personae.ingest.loader import IngestReport, expand_paths, ingest_file
from personae.ingest.remove_source import SourceRemoval, remove_source_block
from personae.ingest.schema import KINDS, get_kind
from personae.ingest.tables import ensure_tables
from personae.ingest.validate import ParseOptions
from personae.ingest.wide import WideLayout
from personae.runs import RUNS_DDL, config_hash, record_run

ProgressFn = Callable[[Path, int, int], None]


def _as_of(con: duckdb.DuckDBPyConnection):
    """The date the data describes (the value scores' as-of date), if known."""
    try:
        got = con.execute("SELECT max(as_of) FROM value_scores").fetchall()[0][0]
    except duckdb.Error:
        return None
    return None if got is None else str(got)[:10]


class WorkspaceError(Exception):
    """The folder is not a usable workspace."""


def _locked_error(path: Path, exc: duckdb.IOException) -> Exception:
    """DuckDB's lock conflict as a message that says what holds the file and what to do;
    other I/O errors pass through unchanged."""
    text = str(exc)
    if "lock" not in text.lower():
        return exc
    pid = re.search(r"PID (\d+)", text)
    holder = f" (PID {pid.group(1)})" if pid else ""
    return WorkspaceError(
        f"{path} is open in another process{holder}, most likely `personae serve`: DuckDB "
        "lets one process at a time open a database for writing. Fix: stop that process "
        "(Ctrl-C where it runs), run this command, then start it again."
    )


class Workspace:
    """An existing workspace folder. Create one with :meth:`Workspace.init`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()
        if not (self.path / CONFIG_FILE).is_file():
            raise WorkspaceError(
                f"{self.path} is not a personae workspace (no {CONFIG_FILE}). "
                f"Fix: run `personae init {path}` first, or pass the right folder with -w."
            )
        self.config: Config = load_config(self.path / CONFIG_FILE)
        note_config(self.path, (self.path / CONFIG_FILE).read_text(encoding="utf-8"))

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | Path, *, name: str | None = None) -> Workspace:
        """Create the folder, a documented ``personae.toml`` and the database (idempotent)."""
        folder = Path(path).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        cfg = folder / CONFIG_FILE
        if not cfg.exists():
            cfg.write_text(default_toml(name or folder.name), encoding="utf-8")
        ws = cls(folder)
        with ws.connect():
            pass
        return ws

    @property
    def database_path(self) -> Path:
        return self.path / self.config.workspace.database

    def reload(self) -> None:
        self.config = load_config(self.path / CONFIG_FILE)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the tables and parsing macros in place."""
        try:
            con = engine.connect(self.database_path, read_only=read_only)
        except duckdb.IOException as exc:
            raise _locked_error(self.database_path, exc) from None
        try:
            settings = self.config.engine
            if settings.memory_limit:
                con.execute(f"SET memory_limit = '{settings.memory_limit}'")
            if settings.threads:
                con.execute(f"SET threads = {int(settings.threads)}")
            self._read_region(con)
            if not read_only:  # the macros are stored in the database by the first write
                parsers.install(con, self.calling_code)
                ensure_tables(con)
                con.execute(RUNS_DDL)
            yield con
        finally:
            con.close()

    def _has_records(self) -> bool:
        """Whether any raw table holds a record (a run has something to work on)."""
        with self.connect(read_only=True) as con:
            eng = engine.DuckDBEngine(con)
            return any(
                eng.has_table(k.table)
                and con.execute(f"SELECT count(*) FROM {k.table}").fetchall()[0][0]
                for k in KINDS.values()
            )

    def _read_region(self, con: duckdb.DuckDBPyConnection) -> None:
        """Settle an unset phone region from what the ingested files showed."""
        from personae.locale.resolve import phone_region

        identity = self.config.identity
        if not identity.default_region:
            region, _ = phone_region(con, self._calling_code_region())
            identity._inferred_region = region or ""

    def _calling_code_region(self) -> str:
        """The region of ``[ingest] default_calling_code`` when set ("44" -> GB)."""
        from personae.locale.phones import region_of_calling_code

        code = self.config.ingest.default_calling_code.lstrip("+")
        return region_of_calling_code(code) if code else ""

    @property
    def calling_code(self) -> str:
        """The calling code for national numbers: the setting, else the region's."""
        from personae.locale.phones import calling_code_for

        code = self.config.ingest.default_calling_code.lstrip("+")
        return code or calling_code_for(self.config.identity.region)

    def locale_statements(self) -> list[str]:
        """How the reporting currency and the phone region were decided (ingest report)."""
        from personae.locale.resolve import phone_region, plan_conversion, reporting_currency

        with self.connect(read_only=True) as con:
            code, money = reporting_currency(con, self.config.workspace.currency)
            _, phones = phone_region(
                con, self.config.identity.default_region or self._calling_code_region()
            )
            _, converted = plan_conversion(con, code, self.config.workspace.currency_rates)
        return [money, *converted, phones]

    def currency(self, con: duckdb.DuckDBPyConnection) -> str:
        """The reporting currency (ISO code) every report and persona formats money in."""
        from personae.locale.resolve import reporting_currency

        return reporting_currency(con, self.config.workspace.currency)[0]

    def secret_key(self) -> bytes:
        """The key of tombstones and pseudonyms ([governance] key_env, else secret.key)."""
        from personae.governance.keys import workspace_key

        return workspace_key(self.path, self.config.governance.key_env)

    def pseudonymiser(self, con: duckdb.DuckDBPyConnection | None = None):
        """The workspace's Pseudonymiser when ``[governance] pseudonymise`` is on, else None
        (installed on ``con`` when given)."""
        if not self.config.governance.pseudonymise:
            return None
        from personae.governance.pseudonyms import Pseudonymiser

        found = Pseudonymiser(self.secret_key(), self.config.identity)
        if con is not None:
            found.install(con)
        return found

    def _config_hash(self) -> str:
        return config_hash(self.config.model_dump_json())

    # -- sources --------------------------------------------------------------------------
    def add_source(
        self,
        name: str,
        kind: str,
        paths: Sequence[str],
        *,
        columns: Mapping[str, str] | None = None,
        fmt: str = "auto",
        identifiers: Mapping[str, str] | None = None,
    ) -> None:
        """Declare a source in ``personae.toml`` (appended as a ``[sources.NAME]`` block).

        ``identifiers`` overrides which identifier type a field holds (see docs/identity.md).
        """
        if name in self.config.sources:
            raise WorkspaceError(
                f"a source named {name!r} already exists in {CONFIG_FILE}. "
                "Fix: pick another name or edit the file."
            )
        source = SourceConfig(
            kind=kind,
            paths=list(paths),
            columns=dict(columns or {}),
            format=fmt,  # type: ignore[arg-type]
            identifiers=dict(identifiers or {}),
        )
        with open(self.path / CONFIG_FILE, "a", encoding="utf-8") as fh:
            fh.write(source_toml(name, source))
        self.reload()

    def discover(self, paths: Sequence[str | Path], *, kind: str | None = None):
        """What ``personae add PATH...`` would add: each data file's kind and mapping,
        decided from headers and contents, with the evidence and what is left to ask (a
        :class:`personae.ingest.discover.Discovery`; nothing is written)."""
        from personae.ingest.discover.apply import discover_for

        return discover_for(self, paths, kind=kind)

    def add_files(self, paths: Sequence[str | Path], *, kind: str | None = None):
        """Discover sources in files and folders and append them to ``personae.toml``, each
        decision's evidence as a comment (``personae add``); returns the Discovery."""
        from personae.ingest.discover.apply import add_files

        return add_files(self, paths, kind=kind)

    def check_sources(self):
        """What ingest would read from each configured source, without ingesting
        (``personae sources check``)."""
        from personae.ingest.discover.check import check_sources

        return check_sources(self)

    # -- ingest ---------------------------------------------------------------------------
    def ingest(
        self,
        kind: str | None = None,
        paths: Sequence[str | Path] | None = None,
        *,
        mapping: Mapping[str, str] | None = None,
        fmt: str = "auto",
        progress: ProgressFn | None = None,
        replace: bool = False,
    ) -> IngestReport:
        """Ingest files of one kind, or (without arguments) every source in the config.

        Relative paths given here start at the current directory; those in the config at
        the workspace folder. A file this source ingested before (same path and content)
        that is now read differently — another mapping or reading setting — replaces the
        rows its earlier reads wrote; ``replace`` does so even when the read is the same.
        """
        jobs: list[
            tuple[str | None, str, list[Path], dict[str, str], str, ParseOptions, dict[str, Any]]
        ] = []
        settings = self.config.ingest
        if kind is not None:
            get_kind(kind)
            if not paths:
                raise WorkspaceError("name at least one file to ingest after the kind")
            jobs.append(
                (
                    None,
                    kind,
                    expand_paths(paths),
                    dict(mapping or {}),
                    fmt,
                    ParseOptions(settings.timezone, settings.date_order),
                    {},
                )
            )
        else:
            if not self.config.sources:
                raise WorkspaceError(
                    f"no sources are declared in {self.path / CONFIG_FILE}. Fix: add a "
                    "[sources.NAME] block, or run `personae ingest KIND FILE...`."
                )
            for name, src in self.config.sources.items():
                jobs.append(
                    (
                        name,
                        src.kind,
                        expand_paths(src.paths, self.path),
                        {**src.columns, **(mapping or {})},
                        src.format,
                        ParseOptions(
                            src.timezone or settings.timezone,
                            src.date_order or settings.date_order,
                            f"[sources.{name}] date_order"
                            if src.date_order
                            else "[ingest] date_order",
                        ),
                        {
                            "delimiter": src.delimiter,
                            "encoding": src.encoding,
                            "sheet": src.sheet,
                            "group_by": src.group_by,
                            "fill_down": tuple(src.fill_down),
                            "preset": src.preset,
                            "wide": WideLayout(src.header_rows, tuple(src.metadata))
                            if src.layout == "wide"
                            else None,
                        },
                    )
                )
        with self.connect() as con, record_run(con, "ingest", self._config_hash()) as run:
            pseudonyms = self.pseudonymiser(con)
            report = IngestReport(run.run_id)
            for name, kind_name, files, cols, file_fmt, options, reader in jobs:
                source_kind = KINDS[kind_name]
                for path in files:
                    run.inputs.append(str(path))
                    self._read_region(con)  # what the files so far showed
                    fixed = self.config.identity.default_region or self._calling_code_region()
                    report.files.append(
                        ingest_file(
                            con,
                            source_kind,
                            path,
                            run_id=run.run_id,
                            mapping=cols,
                            fmt=file_fmt,
                            options=dataclasses.replace(
                                options,
                                phone_region=fixed,
                                region_fallback=self.config.identity.region,
                            ),
                            batch_rows=settings.batch_rows,
                            source_name=name,
                            progress=progress,
                            pseudonyms=pseudonyms,
                            replace=replace,
                            **reader,
                        )
                    )
            run.counts = {
                "rows_in": report.rows_in,
                "ingested": report.ingested,
                "rejected": report.rejected,
                "duplicates": report.duplicates,
                "replaced": report.replaced,
                "files": len(report.files),
            }
        return report

    def remove_source(self, name: str) -> SourceRemoval:
        """Remove a source (``personae sources remove``): its ``[sources.NAME]`` block from
        ``personae.toml`` and its records, quarantine rows, reading decisions and ledger
        entries from the database, in one transaction.

        A name the ledger knows but the file no longer declares (the block was deleted by
        hand) has its rows removed all the same. Profiles, segments and personas built from
        those rows are stale until the next ``personae run``; they are not rebuilt here.
        """
        from personae.ingest.ledger import ledger_sources, remove_source_ingests

        with self.connect() as con:
            ingested = ledger_sources(con)
            if name not in self.config.sources and name not in ingested:
                known = sorted({*self.config.sources, *ingested})
                raise WorkspaceError(
                    f"no source named {name!r} in {self.path / CONFIG_FILE}"
                    + (f"; the sources are: {', '.join(known)}" if known else "; it declares none")
                    + ". Fix: pick one of those (`personae sources check` shows them)."
                )
            text = None
            if name in self.config.sources:
                text = remove_source_block(
                    (self.path / CONFIG_FILE).read_text(encoding="utf-8"), name
                )
            con.execute("BEGIN TRANSACTION")
            try:
                removed = remove_source_ingests(con, name)
                if text is not None:  # the file last: a failed delete leaves both as they were
                    (self.path / CONFIG_FILE).write_text(text, encoding="utf-8")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        self.reload()
        return SourceRemoval(name, text is not None, removed)

    # -- reading --------------------------------------------------------------------------
    # -- identity and profiles ------------------------------------------------------------
    def build(self, *, backend: str | None = None, progress: Callable[[str], None] | None = None):
        """Resolve identities and build unified profiles (``personae build``).

        Returns a :class:`personae.build.BuildResult`; the run is recorded in ``runs``.
        """
        from personae.build import build

        result = None
        error: BaseException | None = None
        try:
            result = build(self, backend=backend, progress=progress)
        except BaseException as exc:
            error = exc
        with self.connect() as con:
            try:
                with record_run(con, "build", self._config_hash()) as run:
                    run.inputs = [backend or self.config.engine.backend]
                    if error is not None:
                        raise error
                    assert result is not None
                    run.counts = {
                        k: v for k, v in vars(result).items() if isinstance(v, int | float | str)
                    }
            except BaseException:
                if error is None:
                    raise
        if error is not None:
            raise error
        from personae.governance.consent import build_consent
        from personae.reports import write_identity_report

        with self.connect() as con:
            result.consent = build_consent(con, self.config.governance)
            result.report_path = write_identity_report(con, self.reports_dir, result)
        return result

    # -- value ----------------------------------------------------------------------------
    def value(self):
        """RFM, lifetime value, churn risk, upsell and acquisition cost (``personae value``).

        Returns a :class:`personae.value.build.ValueResult`; writes ``value_scores``,
        ``account_value_scores``, ``acquisition_costs`` and ``reports/value.md``.
        """
        from personae.reports.value_report import write_value_report
        from personae.value.build import ValueBuilder

        with self.connect() as con:
            with record_run(con, "value", self._config_hash()) as run:
                result = ValueBuilder(self.config.value).run(con)
                run.counts = {
                    "customers": result.customers,
                    "accounts": result.accounts,
                    "estimate": result.estimate,
                    "at_risk": result.at_risk,
                }
                if result.total_clv is not None:  # None: no amounts, purchase counts only
                    run.counts["total_clv"] = round(result.total_clv, 2)
            result.report_path = write_value_report(
                con,
                self.reports_dir,
                result,
                self.config.workspace.name,
                min_group_size=self.config.governance.min_group_size,
                currency=self.currency(con),
            )
        return result

    # -- voice of the customer ----------------------------------------------------------
    def text(self):
        """Sentiment, facets, themes and quotes from every free text (``personae text``).

        Returns a :class:`personae.text.build.TextResult`; writes ``text_docs``,
        ``text_snippets``, ``text_themes``, ``text_profile_attributes`` (also joined onto
        ``profiles``), ``text_models`` and ``reports/text.md``.
        """
        from personae.reports.text_report import write_text_report
        from personae.text.build import TextBuilder

        with self.connect() as con, record_run(con, "text", self._config_hash()) as run:
            builder = TextBuilder(self.config.text, self.config.identity.region)
            result = builder.run(con)
            run.counts = {
                "documents": result.documents,
                "snippets": sum(f.snippets for f in result.facets.values()),
                "themes": sum(len(f.themes) for f in result.facets.values()),
                "profiles_with_text": result.profiles_with_text,
            }
        result.report_path = write_text_report(
            result,
            self.reports_dir,
            self.config.workspace.name,
            min_group_size=self.config.governance.min_group_size,
        )
        return result

    def voice(self, members, **kwargs):
        """Top themes and quotes per facet for a group of profiles: a list of profile ids
        or a SQL predicate on ``profiles`` (see :func:`personae.text.voice.group_voice`)."""
        from personae.text.build import scrubber_for
        from personae.text.voice import group_voice

        s = self.config.text
        with self.connect() as con:
            kwargs.setdefault("quotes", s.quotes)
            kwargs.setdefault("min_chars", s.quote_min_chars)
            kwargs.setdefault("max_chars", s.quote_max_chars)
            kwargs.setdefault("min_group_size", self.config.governance.min_group_size)
            if "scrubber" not in kwargs:
                kwargs["scrubber"] = scrubber_for(con, s.allow, self.config.identity.region)
            return group_voice(con, members, **kwargs)

    # -- segments ---------------------------------------------------------------------
    def segment(self, progress=None):
        """Choose, fit and describe customer segments (``personae segment``).

        Returns a :class:`personae.segments.build.SegmentResult`; writes ``segments``,
        ``segment_descriptions``, ``segment_models`` and ``reports/segments.md``.
        """
        from personae.reports.segment_report import write_segment_report
        from personae.segments.build import Segmenter

        with self.connect() as con, record_run(con, "segment", self._config_hash()) as run:
            currency = self.currency(con)
            segmenter = Segmenter(
                self.config.segments,
                value_horizon_months=self.config.value.horizon_months,
                progress=progress,
                governance=self.config.governance,
                currency=currency,
            )
            result = segmenter.run(con)
            run.message = result.single_group  # why there is one group, if there is
            run.counts = {
                "entities": result.entities,
                "segments": len(result.descriptions),
                "primary": sum(d.role == "primary" for d in result.descriptions),
                "negative": sum(d.role == "negative" for d in result.descriptions),
                "outliers": result.outliers,
            }
        result.report_path = write_segment_report(
            result,
            self.reports_dir,
            self.config.workspace.name,
            min_group_size=self.config.governance.min_group_size,
            currency=currency,
        )
        return result

    def icp(self):
        """Learn the ideal customer profile from the value scores (``personae icp``).

        Writes ``icp`` (the document as JSON), ``icp_scores`` (fit of every customer or
        account), ``reports/icp.md`` and ``reports/icp.json``; returns the profile.
        """
        from personae.value.icp import fit_scores, icp_frame, icp_markdown, learn_icp

        s = self.config.value
        with self.connect() as con, record_run(con, "icp", self._config_hash()) as run:
            frame, entity, families = icp_frame(con)
            icp = learn_icp(
                frame,
                entity,
                families,
                top_share=s.top_share,
                min_lift=s.min_lift,
                min_support=s.min_support,
            )
            scored = fit_scores(icp, frame)
            scored.insert(0, "entity_id", frame["entity_id"].to_numpy())
            scored.insert(1, "entity", entity)
            eng = engine.DuckDBEngine(con)
            eng.register("icp_scores", pa.Table.from_pandas(scored, preserve_index=False))
            con.execute("CREATE OR REPLACE TABLE icp (entity VARCHAR, document VARCHAR)")
            con.execute("INSERT INTO icp VALUES (?, ?)", [entity, icp.to_json()])
            run.counts = {"entities": len(frame), "traits": len(icp.traits)}
            currency = self.currency(con)
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        (self.reports_dir / "icp.md").write_text(
            icp_markdown(icp, self.config.workspace.name, currency), encoding="utf-8"
        )
        (self.reports_dir / "icp.json").write_text(icp.to_json() + "\n", encoding="utf-8")
        return icp

    def score_leads(self, path: str | Path):
        """Score a CSV of leads against the ICP; writes ``<file>.scored.csv`` beside it.

        Returns (output path, scored pandas frame). Learns the ICP first if needed.
        """
        from personae.value.icp import IdealCustomerProfile, icp_frame, score_lead_file

        with self.connect() as con:
            has_icp = engine.DuckDBEngine(con).has_table("icp")
        if not has_icp:
            self.icp()
        with self.connect() as con:
            doc = con.execute("SELECT document FROM icp").fetchall()[0][0]
            icp = IdealCustomerProfile.from_json(doc)
            frame, _, _ = icp_frame(con)
            with record_run(con, "score-leads", self._config_hash()) as run:
                out, scored = score_lead_file(con, icp, frame, Path(path).expanduser().resolve())
                run.inputs = [str(path)]
                run.counts = {"leads": len(scored)}
        return out, scored

    # -- personas and reports -------------------------------------------------------------
    def personas(self, progress: Callable[[str], None] | None = None):
        """Write a persona document per primary and negative segment (``personae personas``).

        Returns a :class:`personae.personas.build.PersonaResult`; stores the documents in the
        ``personas`` table (one row per version; ``current`` marks the latest). ``personae
        report`` writes them out as HTML, Markdown, JSON and PDF.
        """
        from personae.personas.build import PersonaBuilder

        with self.connect() as con, record_run(con, "personas", self._config_hash()) as run:
            builder = PersonaBuilder(
                self.config.personas,
                currency=self.currency(con),
                min_group_size=self.config.governance.min_group_size,
                progress=progress,
            )
            result = builder.build(con)
            run.counts = {
                "personas": len(result.personas),
                "primary": sum(p.role == "primary" for p in result.personas),
                "negative": sum(p.role == "negative" for p in result.personas),
            }
        return result

    def load_personas(self) -> list:
        """The current persona documents (:class:`personae.personas.schema.Persona`)."""
        from personae.personas.build import load_personas

        with self.connect(read_only=True) as con:
            if not engine.DuckDBEngine(con).has_table("personas"):
                return []
            return load_personas(con)

    def report(self, progress: Callable[[str], None] | None = None):
        """Write the persona report (``personae report``): ``reports/personas.html`` with the
        persona cards, their comparison and the customer profile report, plus Markdown, JSON
        and a PDF one-pager per persona. Builds the personas first when there are none or
        when the segments changed since they were built.
        Returns a :class:`personae.reports.persona_report.ReportFiles`."""
        from personae.personas.build import PersonaBuilder
        from personae.personas.journey import overall_journey
        from personae.reports.everyone_report import NO_IDENTITY, anonymous_voice
        from personae.reports.persona_report import write_report
        from personae.reports.profile_report import profile_report
        from personae.segments.build import single_group

        k = self.config.governance.min_group_size
        personas = self.load_personas()
        if personas:
            with self.connect(read_only=True) as con:
                current = PersonaBuilder.data_version(con)
            if any(p.data_version != current for p in personas):
                personas = []  # the segments changed since: the documents are stale
        anonymous = []  # nobody identified: the texts speak for everyone
        if not personas:
            from personae.runs import StepCannotRun

            with self.connect(read_only=True) as con:
                segmented = engine.DuckDBEngine(con).has_table("segments")
                if not segmented:
                    anonymous = anonymous_voice(con, k)
            if not segmented and not anonymous:  # the segment and personas steps said why
                raise StepCannotRun(
                    "no personas to report, because there are no segments yet. Fix: see why "
                    "the segment step did not run (`personae status`), or run `personae "
                    "segment`, then `personae report`."
                )
            try:
                personas = self.personas(progress=progress).personas if segmented else []
            except StepCannotRun as exc:
                raise StepCannotRun(f"no personas to report: {exc}") from None
        if progress:
            progress("Drawing the customer profile report")
        with self.connect() as con, record_run(con, "report", self._config_hash()) as run:
            currency = self.currency(con)
            subtitle = f"{len(personas)} personas from the workspace at {self.path}"
            if anonymous:
                sections, subtitle = anonymous, NO_IDENTITY
            else:
                journeys = {"All customers": overall_journey(con, min_group_size=k)}
                journeys.update({p.title.text: p.journey for p in personas if p.journey})
                labels = {p.segment: p.title.text for p in personas}
                sections = profile_report(
                    con,
                    currency=currency,
                    journeys=journeys,
                    segment_labels=labels,
                    min_group_size=k,
                )
                one = single_group(con)
                if one is not None:
                    subtitle = (
                        f"One persona for everyone in the workspace at {self.path}, because "
                        f"{one[0]}. {one[1]}"
                    )
            if progress:
                progress("Writing HTML, Markdown, JSON and PDF")
            files = write_report(
                personas,
                sections,
                self.reports_dir,
                title=f"Customer personas — {self.config.workspace.name}",
                subtitle=subtitle,
                pdf=self.config.personas.pdf,
                currency=currency,
                data_date=_as_of(con),
            )
            run.counts = {"personas": len(personas), "sections": len(sections)}
        return files

    def run(self, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Every step of the pipeline on this workspace (``personae run``): ingest the
        configured sources, build profiles, text, value, ICP, segments, personas, report.

        A step that cannot run on this data (:class:`personae.runs.StepCannotRun`: no
        orders for the value step, no free text, no identifier ...) is recorded as
        ``skipped`` with its reason and the steps after it go on with what exists. Returns
        each finished step's result by name, and ``skipped``: step -> reason.
        """
        from personae.runs import StepCannotRun, record_skip

        out: dict[str, Any] = {}
        skipped: dict[str, str] = {}

        def say(msg: str) -> None:
            if progress:
                progress(msg)

        def attempt(step: str, message: str, fn: Callable[[], Any]) -> None:
            say(message)
            try:
                out[step] = fn()
            except StepCannotRun as exc:
                skipped[step] = str(exc)
                if not exc.recorded:
                    with self.connect() as con:
                        record_skip(con, step, self._config_hash(), str(exc))

        if self.config.sources:
            say("Ingesting sources")
            out["ingest"] = self.ingest()
            out["ingest"].report_path = self.write_ingest_report()
        if not self._has_records():
            raise WorkspaceError(
                f"nothing is ingested in {self.path} yet. Fix: `personae add FILE... -w "
                f"{self.path}` (or `personae init WS --from FOLDER` for a new workspace), "
                "then `personae run` again."
            )
        attempt("build", "Resolving identities, building profiles", lambda: self.build(
            progress=progress))  # fmt: skip
        attempt("text", "Reading what customers wrote", self.text)
        attempt("value", "Scoring customer value", self.value)
        attempt("icp", "Learning the ideal customer profile", self.icp)
        attempt("segment", "Finding customer segments", lambda: self.segment(progress=progress))
        attempt("personas", "Writing personas", lambda: self.personas(progress=progress))
        attempt("report", "Writing the report", lambda: self.report(progress=progress))
        out["skipped"] = skipped
        return out

    # -- audiences ------------------------------------------------------------------------
    def audiences(self) -> list:
        """The ``[audiences.NAME]`` of ``personae.toml`` with their sizes (``personae
        audiences``): a list of :class:`personae.segments.audiences.Audience`.

        Read-only, so listing never blocks (or is blocked by) a reader elsewhere.
        """
        from personae.segments.audiences import list_audiences

        with self.connect(read_only=True) as con:
            return list_audiences(
                con,
                self.config.audiences,
                self.config.value.horizon_months,
                governance=self.config.governance,
            )

    def export_audience(self, name: str, path: str | Path, fmt: str = "auto") -> int:
        """Write an audience's members (profile_id and its ``columns``) to a csv, parquet or
        jsonl file (``personae audiences export``); returns the row count."""
        from personae.segments.audiences import export_audience

        out = Path(path).expanduser().resolve()
        with self.connect(read_only=True) as con:
            return export_audience(
                con,
                name,
                self.config.audiences,
                out,
                self.config.value.horizon_months,
                fmt,
                governance=self.config.governance,
            )

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a read-only query against the workspace database; an Arrow table."""
        with self.connect() as con:
            return con.sql(query, params=params or None).to_arrow_table()

    def table(self, name: str) -> pa.Table:
        return self.sql(f"SELECT * FROM {engine.quote_ident(name)}")

    def counts(self) -> dict[str, int]:
        """Row counts of every table in the workspace (views such as ``record_profiles``
        are left out: counting one means computing it, minutes at a million customers)."""
        with self.connect() as con:
            names = [
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' "
                    "ORDER BY table_name"
                ).fetchall()
            ]
            return {
                n: con.execute(f"SELECT count(*) FROM {engine.quote_ident(n)}").fetchall()[0][0]
                for n in names
            }

    def quarantine(
        self, *, reason: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> pa.Table:
        """Rejected rows, in file and record order (optionally one reason or kind only)."""
        where, params = self._quarantine_filter(reason, kind)
        lim = f"LIMIT {int(limit)}" if limit else ""
        return self.sql(
            "SELECT kind, source_file, source_row, reason, column_name, detail, raw "
            f"FROM quarantine {where} ORDER BY kind, source_file, source_row {lim}",
            params,
        )

    def export_quarantine(
        self, path: str | Path, *, reason: str | None = None, kind: str | None = None
    ) -> int:
        """Write rejected rows to a CSV file (to fix and re-ingest); returns the row count."""
        where, params = self._quarantine_filter(reason, kind)
        out = Path(path).expanduser().resolve()
        with self.connect() as con:
            con.execute(
                "COPY (SELECT kind, source_file, source_row, reason, column_name, detail, raw "
                f"FROM quarantine {where} ORDER BY kind, source_file, source_row) "
                f"TO {engine.quote_literal(str(out))} (FORMAT csv, HEADER true)",
                params,
            )
            return con.execute(f"SELECT count(*) FROM quarantine {where}", params).fetchall()[0][0]

    @staticmethod
    def _quarantine_filter(reason: str | None, kind: str | None) -> tuple[str, list[str]]:
        clauses, params = [], []
        if reason:
            clauses.append("reason = ?")
            params.append(reason)
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), params

    @property
    def reports_dir(self) -> Path:
        return self.path / "reports"

    def write_ingest_report(self) -> Path:
        """Write ``reports/ingest.md``: sources, rejections with examples, field coverage."""
        from personae.reports import write_ingest_report

        statements = self.locale_statements()
        with self.connect() as con:
            return write_ingest_report(
                con, self.reports_dir, self.config.workspace.name, locale=statements
            )

    def runs(self) -> pa.Table:
        return self.sql("SELECT * FROM runs ORDER BY started_at")
