"""The ``personae`` command line: one Typer app whose commands mirror :class:`Workspace`.

Exit codes: 0 success; 1 rows were rejected under ``--strict``; 2 bad input (a file, a
mapping or a setting that stops the command, with the message naming the fix).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from personae import __version__
from personae.config import ConfigError
from personae.ingest.errors import IngestError
from personae.ingest.loader import IngestReport
from personae.ingest.schema import KINDS, get_kind
from personae.runs import StepCannotRun
from personae.web import commands as web
from personae.workspace import Workspace, WorkspaceError

app = typer.Typer(
    help="personae: unified customer profiles and evidence-backed buyer personas from raw "
    "customer data.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = typer.Option(
    Path(os.environ.get("PERSONAE_WORKSPACE", ".")),
    "--workspace",
    "-w",
    help="Workspace folder (default: $PERSONAE_WORKSPACE or the current folder).",
    show_default=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"personae {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """personae turns CRM, orders, events, email, surveys, tickets, reviews and social posts
    into unified customer profiles and personas."""
    warnings.showwarning = _show_warning


_SHOWN: set[str] = set()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A library warning (a model fit on a ridge) as one note line, once, without the source
    path and line a user cannot act on."""
    text = str(message)
    if text in _SHOWN:
        return
    _SHOWN.add(text)
    err_console.print(f"[yellow]note:[/] {escape(text)}", highlight=False, soft_wrap=True)


def _error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Print input problems as one clear message and exit 2, never a traceback."""
    try:
        yield
    except (IngestError, WorkspaceError, ConfigError, StepCannotRun) as exc:
        _error(str(exc))
        raise typer.Exit(2) from None
    except KeyError as exc:
        _error(str(exc.args[0]))
        raise typer.Exit(2) from None
    except Exception as exc:
        from personae.segments.audiences import AudienceError
        from personae.segments.build import SegmentStepError
        from personae.text.build import TextStepError
        from personae.text.voice import VoiceError
        from personae.value.build import ValueStepError
        from personae.value.icp import IcpError

        if isinstance(exc, AudienceError | SegmentStepError):
            _error(str(exc))
            raise typer.Exit(2) from None
        if not isinstance(exc, ValueStepError | IcpError | TextStepError | VoiceError):
            raise
        _error(str(exc))
        raise typer.Exit(2) from None


def _open(path: Path) -> Workspace:
    with _user_errors():
        return Workspace(path)


@contextmanager
def _file_progress() -> Iterator[Callable[[Path, int, int], None]]:
    """A Rich bar per file, advanced by bytes read."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[Path, TaskID] = {}

        def update(path: Path, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = progress.add_task(path.name, total=max(total, 1))
            progress.update(tasks[path], completed=done)

        yield update


def _print_report(report: IngestReport, top: int = 5) -> None:
    """One row per file, or per source when a source spans several files (event batches)."""
    rows: dict[tuple[str, str], list[int]] = {}
    for f in report.files:
        siblings = sum(1 for g in report.files if g.source == f.source and g.kind == f.kind)
        label = f"{f.source} ({{n}} files)" if siblings > 1 and f.source else Path(f.path).name
        acc = rows.setdefault((f.kind, label), [0, 0, 0, 0, 0])
        for i, v in enumerate((f.rows_in, f.ingested, f.rejected, f.duplicates, 1)):
            acc[i] += v
    wide = console.width >= 100  # the kind column only where it fits
    table = Table(title="Ingest", title_justify="left")
    for col in (["kind"] if wide else []) + [
        "source",
        "rows in",
        "ingested",
        "rejected",
        "duplicates",
    ]:
        if col in ("kind", "source"):
            table.add_column(col, overflow="fold")
        else:
            table.add_column(col, justify="right", no_wrap=True)
    for (kind, label), (n_in, n_ok, n_bad, n_dup, n_files) in rows.items():
        cells = [
            escape(label.replace("{n}", str(n_files))),
            f"{n_in:,}",
            f"{n_ok:,}",
            f"[red]{n_bad:,}[/]" if n_bad else "0",
            f"{n_dup:,}",
        ]
        table.add_row(*([kind] if wide else []), *cells)
    total = [
        f"{len(report.files)} files",
        f"[bold]{report.rows_in:,}",
        f"[bold]{report.ingested:,}",
        f"[bold]{report.rejected:,}",
        f"[bold]{report.duplicates:,}",
    ]
    table.add_row(*(["[bold]total"] if wide else []), *total)
    console.print(table)
    _print_reading(report)
    if report.rejected:
        reasons = ", ".join(f"{r} {n:,}" for r, n in report.reasons.most_common(top))
        console.print(f"Top rejection reasons: {reasons}")
        console.print(
            "Rejected rows are kept in the [bold]quarantine[/] table: "
            "`personae quarantine` lists them with file, row, column and reason."
        )


def _print_reading(report: IngestReport) -> None:
    """How each file was read, where it is not plain UTF-8 with commas, and how every date
    column's day/month order was decided (errors in red): docs/input-data.md."""
    lines: list[str] = []
    for f in report.files:
        name = escape(Path(f.path).name)
        plain = {"encoding": ("UTF-8", "UTF-8 with BOM"), "delimiter": (",",)}
        notes = [
            f"{d.topic} {d.decision!r}" if d.topic == "delimiter" else f"{d.topic} {d.decision}"
            for d in f.decisions
            if d.topic in ("encoding", "delimiter", "sheet", "header")
            and d.decision not in plain.get(d.topic, ())
        ]
        commas = [d.column for d in f.decisions if d.topic == "decimal" and "comma" in d.decision]
        if commas:
            notes.append("decimal comma in " + ", ".join(repr(c) for c in commas[:4]))
        if notes:
            lines.append(f"{name}: " + escape("; ".join(notes)))
        unused = [
            f"{d.column} (closest field: {d.field})" if d.field else str(d.column)
            for d in f.decisions
            if d.topic == "unmapped"
        ]
        if unused:
            shown = ", ".join(unused[:8]) + (
                f" and {len(unused) - 8} more" if len(unused) > 8 else ""
            )
            lines.append(escape(f"{name}: not used (kept in _extra): {shown}"))
        for d in f.decisions:
            if d.topic not in ("date_order", "excel_serial") or d.decision == "YMD":
                continue
            text = escape(f"{name} · {d.column}: {d.decision}: {d.evidence}")
            lines.append(f"[bold red]error:[/] {text}" if d.severity == "error" else text)
    if lines:
        console.print("Read as:")
        for line in lines:
            console.print(f"  {line}")


@app.command()
def init(
    path: Path = typer.Argument(..., help="Folder to create (or reuse)."),
    name: str = typer.Option(None, help="Workspace name (default: the folder name)."),
    from_: list[Path] = typer.Option(
        None,
        "--from",
        help="A folder (or file) of exports: each data file in it is added as a source, its "
        "kind and columns decided from headers and contents (repeatable).",
    ),
) -> None:
    """Create a workspace: a folder with a documented personae.toml and a DuckDB database;
    with --from, the sources too."""
    with _user_errors():
        ws = Workspace.init(path, name=name)
    console.print(f"Workspace ready at [bold]{ws.path}[/]")
    console.print(f"  settings: {ws.path / 'personae.toml'}\n  database: {ws.database_path}")
    if from_:
        from personae.ingest.discover.commands import add_and_review

        with _user_errors():
            code = add_and_review(ws, from_, console, err_console)
        raise typer.Exit(code)
    console.print(
        "Next: `personae add FOLDER -w WS` to find the sources in your exports, or declare "
        "them in personae.toml and run `personae ingest`."
    )


@app.command()
def add(
    paths: list[Path] = typer.Argument(..., help="Data files or folders of them (zip works)."),
    workspace: Path = WorkspaceOpt,
    kind: str = typer.Option(
        None, help=f"Take every file as this kind ({', '.join(KINDS)}) instead of deciding."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the review, write nothing."),
) -> None:
    """Add sources to a workspace: each file's kind and column mapping are decided from its
    headers and contents, written to personae.toml with the evidence as comments; what
    cannot be decided is named with the setting that settles it (exit 2)."""
    from personae.ingest.discover.commands import add_and_review

    ws = _open(workspace)
    with _user_errors():
        if kind is not None:
            get_kind(kind)
        code = add_and_review(ws, paths, console, err_console, kind=kind, dry_run=dry_run)
    raise typer.Exit(code)


sources_app = typer.Typer(help="The sources declared in personae.toml.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def sources_check(workspace: Path = WorkspaceOpt) -> None:
    """Show what would be ingested, without ingesting: file → kind, column → field with
    confidence, unmapped columns, and what would stop a file (exit 2)."""
    from personae.ingest.discover.commands import check_and_review

    ws = _open(workspace)
    with _user_errors():
        code = check_and_review(ws, console, err_console)
    raise typer.Exit(code)


@sources_app.command("remove")
def sources_remove(
    name: str = typer.Argument(..., help="The source's name, as in \\[sources.NAME]."),
    workspace: Path = WorkspaceOpt,
) -> None:
    """Remove a source: its \\[sources.NAME] block from personae.toml and its rows,
    quarantine entries and ledger entries from the workspace."""
    ws = _open(workspace)
    with _user_errors():
        done = ws.remove_source(name)
    r = done.removed
    where = "personae.toml and " if done.declared else ""
    extra = f" and {r.quarantined:,} quarantine rows" if r.quarantined else ""
    console.print(
        escape(f"Removed source {name!r} from {where}the workspace: {r.rows:,} rows{extra} "
               f"from {r.files:,} files.")
    )  # fmt: skip
    if not done.declared:
        console.print(f"({name!r} was no longer declared in personae.toml; its rows were.)")
    if r.rows:
        console.print(
            "Profiles, segments and personas built with them are stale: run `personae run` "
            "to rebuild them."
        )


@app.command("demo-data")
def demo_data(
    scenario: str = typer.Option("retail", help="retail (B2C shop) or saas (B2B software)."),
    customers: int = typer.Option(5000, min=10, help="Customers (accounts for saas)."),
    seed: int = typer.Option(42, help="Random seed; the same seed gives the same files."),
    out: Path = typer.Option(Path("demo-data"), help="Output folder."),
    fmt: str = typer.Option(
        "auto",
        "--format",
        help="csv (CSV + JSON Lines + Segment batch JSON), parquet, auto "
        "(parquet above 50,000 customers), or exports (the vendors' own export layouts "
        "in OUT/exports, for `personae init WS --from OUT/exports`).",
    ),
) -> None:
    """Generate realistic multi-source demo data with planted ground truth (in OUT/truth)."""
    from functools import partial

    from personae.demo import generate
    from personae.demo.exports import EXPORTS_DIR, generate_exports

    if scenario not in ("retail", "saas"):
        _error("--scenario must be retail or saas")
        raise typer.Exit(2)
    if fmt not in ("csv", "parquet", "auto", "exports"):
        _error("--format must be csv, parquet, auto or exports")
        raise typer.Exit(2)
    make = generate_exports if fmt == "exports" else partial(generate, fmt=fmt)
    with Progress(
        TextColumn("[bold]generating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} customers"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("gen", total=customers)
        manifest = make(
            scenario,
            customers,
            seed,
            out,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    data = Path(out) / EXPORTS_DIR if fmt == "exports" else Path(out)
    table = Table(title=f"Demo data in {data}", title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in manifest.files.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(f"Ground truth (never read by the pipeline): {Path(out) / 'truth'}")
    if fmt == "exports":
        console.print(f"Next: personae init WORKSPACE --from {data}")


@app.command()
def ingest(
    kind: str = typer.Argument(
        None,
        help=f"Source kind: {', '.join(KINDS)}. Omit to ingest "
        "every source declared in personae.toml.",
    ),
    paths: list[Path] = typer.Argument(
        None, help="Files (CSV, JSON Lines, JSON, Parquet; .gz works) or glob patterns."
    ),
    workspace: Path = WorkspaceOpt,
    map_: list[str] = typer.Option(None, "--map", help="Column mapping FIELD=COLUMN (repeatable)."),
    fmt: str = typer.Option("auto", "--format", help="auto, csv, jsonl, json or parquet."),
    strict: bool = typer.Option(
        None,
        "--strict/--no-strict",
        help="Exit 1 when any row is rejected (default from \\[ingest] strict).",
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="Replace the rows earlier ingests of the same files (same paths) wrote, even "
        "when the mapping and settings are unchanged or the files changed since.",
    ),
) -> None:
    """Ingest files into the workspace; bad rows go to quarantine. Re-ingesting a file adds
    nothing, unless its mapping or settings changed: then its earlier rows and quarantine
    entries are replaced by the new read ("replaced N rows")."""
    ws = _open(workspace)
    mapping: dict[str, str] = {}
    for item in map_ or []:
        if "=" not in item:
            _error(f"--map {item!r} must look like FIELD=COLUMN")
            raise typer.Exit(2)
        field, column = item.split("=", 1)
        mapping[field.strip()] = column.strip()
    with _user_errors():
        if kind is not None:
            get_kind(kind)
        started = time.perf_counter()
        with _file_progress() as progress:
            report = ws.ingest(
                kind,
                [str(p) for p in paths or []] or None,
                mapping=mapping,
                fmt=fmt,
                progress=progress,
                replace=replace,
            )
    _print_report(report)
    _print_replaced(report, forced=replace)
    report_path = ws.write_ingest_report()
    console.print(f"Data intake report: {report_path}")
    console.print(f"Done in {time.perf_counter() - started:.1f} s (run {report.run_id}).")
    if report.rejected and (strict if strict is not None else ws.config.ingest.strict):
        err_console.print(f"[bold red]strict:[/] {report.rejected:,} rows were rejected")
        raise typer.Exit(1)
    _exit_if_all_rejected(report)


def _print_replaced(report: IngestReport, *, forced: bool, rebuilt: bool = False) -> None:
    """Which files replaced the rows of their earlier reads, and what is stale now
    (``rebuilt``: the command rebuilt them, as ``personae run`` does)."""
    why = "--replace" if forced else "read with another mapping or settings than before"
    shown = False
    for f in report.files:
        if not (f.replaced or f.replaced_quarantined):
            continue
        extra = f" and {f.replaced_quarantined:,} quarantine rows" if f.replaced_quarantined else ""
        console.print(
            escape(f"{Path(f.path).name}: replaced {f.replaced:,} rows{extra} of its earlier "
                   f"ingests ({why})")
        )  # fmt: skip
        shown = True
    for f in report.files:
        for name in f.sources:
            console.print(
                escape(f"{Path(f.path).name}: the source {name!r} ingested this file too; "
                       "a command-line ingest leaves its rows as they are. To correct its "
                       f"mapping, edit [sources.{name}.columns] in personae.toml and run "
                       "`personae ingest`.")
            )  # fmt: skip
        if f.read_otherwise:
            console.print(
                escape(f"{Path(f.path).name}: {f.read_otherwise:,} rows from earlier versions "
                       "of this file were read with another mapping or settings and are kept; "
                       "`personae ingest --replace` replaces them with this read.")
            )  # fmt: skip
    if shown and not rebuilt:
        console.print(
            "Profiles, segments and personas built before are stale: run `personae run` to "
            "rebuild them."
        )


def _exit_if_all_rejected(report: IngestReport) -> None:
    """A file none of whose rows could be read is a failed ingest, not a quiet success."""
    lost = [f for f in report.files if f.rows_in and f.rejected == f.rows_in]
    for f in lost:
        top = ", ".join(f"{r} ×{n}" for r, n in f.reasons.most_common(2))
        _error(
            f"{f.path}: every one of its {f.rows_in:,} rows was rejected ({top}). Fix: see "
            "`personae quarantine` for examples and check the file's column mapping."
        )
    if lost:
        raise typer.Exit(1)


@app.command()
def quarantine(
    workspace: Path = WorkspaceOpt,
    reason: str = typer.Option(None, help="Only this reason (e.g. bad_timestamp)."),
    kind: str = typer.Option(None, help="Only this source kind (e.g. orders)."),
    limit: int = typer.Option(20, help="How many rows to show (0 = all)."),
    export: Path = typer.Option(
        None, help="Write the selected rows to a CSV file (all of them, not just --limit)."
    ),
) -> None:
    """List rejected rows: file, record number, column, reason, detail and the raw record."""
    ws = _open(workspace)
    summary = ws.sql("SELECT reason, count(*) AS n FROM quarantine GROUP BY 1 ORDER BY 2 DESC")
    if summary.num_rows == 0:
        console.print("Quarantine is empty: every row was ingested.")
        return
    counts = zip(summary["reason"].to_pylist(), summary["n"].to_pylist(), strict=True)
    console.print("Rejected rows by reason: " + ", ".join(f"{r} {n:,}" for r, n in counts))
    if export is not None:
        n = ws.export_quarantine(export, reason=reason, kind=kind)
        console.print(f"Wrote {n:,} rows to {export}")
        return
    rows = ws.quarantine(reason=reason, kind=kind, limit=limit or None).to_pylist()
    for r in rows:
        where = f"{Path(r['source_file']).name}:{r['source_row']}"
        column = f" [bold]{escape(r['column_name'])}[/]:" if r["column_name"] else ""
        console.print(
            f"[cyan]{escape(where)}[/] [red]{r['reason']}[/]{column} {escape(r['detail'] or '')}",
            highlight=False,
        )
        console.print(f"    [dim]{escape((r['raw'] or '')[:300])}[/]", highlight=False)
    shown = len(rows)
    total = ws.sql("SELECT count(*) AS n FROM quarantine")["n"][0].as_py()
    if shown < total:
        console.print(
            f"({shown:,} of {total:,} shown; --limit 0 for all, --export FILE.csv to save them)"
        )


@app.command()
def status(workspace: Path = WorkspaceOpt) -> None:
    """Show the workspace's tables with row counts, and the latest runs."""
    ws = _open(workspace)
    table = Table(title=f"Workspace {ws.path}", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in ws.counts().items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    runs = ws.sql(
        "SELECT step, started_at, round(seconds, 2) AS s, status, counts FROM runs "
        "ORDER BY started_at DESC LIMIT 5"
    ).to_pylist()
    for r in runs:
        console.print(
            f"{r['started_at']:%Y-%m-%d %H:%M:%S}  {r['step']:<8} {r['status']:<6} "
            f"{r['s']:>7.2f}s  {r['counts']}"
        )


@app.command()
def kinds(kind: str = typer.Argument(None, help="Show the fields of one kind.")) -> None:
    """List the source kinds, or the fields (and accepted spellings) of one kind."""
    if kind is None:
        table = Table(title="Source kinds", title_justify="left")
        table.add_column("kind")
        table.add_column("table")
        table.add_column("what it holds")
        for k in KINDS.values():
            table.add_row(k.name, k.table, k.description)
        console.print(table)
        return
    with _user_errors():
        k = get_kind(kind)
    table = Table(title=f"{k.name}: {k.description}", title_justify="left")
    for col in ("field", "type", "required", "also recognised as"):
        table.add_column(col, overflow="fold")
    for f in k.fields:
        table.add_row(f.name, f.type.value, "yes" if f.required else "", ", ".join(f.aliases))
    console.print(table)


def _print_build(result, ws: Workspace, examples: int = 3) -> None:
    """The build summary and a few example profiles as readable tables."""
    table = Table(title="Identity and profiles", title_justify="left", show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    rows = [
        ("engine", result.engine),
        ("as of", str(result.as_of)),
        ("profiles (people)", f"{result.profiles:,}"),
        (
            "  named (a login, email, phone, CRM record, …)",
            f"{result.profiles - result.anonymous_profiles:,}",
        ),
        ("  anonymous visitors (never identified)", f"{result.anonymous_profiles:,}"),
        ("accounts (B2B)", f"{result.accounts:,}"),
        ("identifiers", f"{result.identifiers:,}"),
        ("records linked to a profile", f"{result.linked_records:,}"),
        ("records with no usable identifier", f"{result.unlinked_records:,}"),
        ("identifiers stopped by merge guards", f"{result.conflicts:,}"),
        ("fuzzy (Splink) links", f"{result.fuzzy_links:,}"),
        ("time", f"{result.seconds:.1f} s"),
    ]
    consent = getattr(result, "consent", None)
    if consent is not None:
        rows.append(("consent choices read (linked to no profile)", f"{consent.choices:,} "
                     f"({consent.unlinked:,})"))  # fmt: skip
        for use, n in consent.excluded.items():
            rows.append((f"  left out of {use.replace('_', ' ')} (no consent)", f"{n:,}"))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    if result.report_path:
        console.print(f"Identity report: [bold]{result.report_path}[/]")
    if examples:
        _print_profiles(ws, examples=examples)


PROFILE_SHOWN = (
    ("who", ("first_name", "last_name", "gender", "age", "city", "country", "email")),
    (
        "work",
        ("job_title", "seniority", "buying_role", "account_name", "industry", "employee_band"),
    ),
    (
        "buying",
        (
            "orders",
            "revenue",
            "avg_order_value",
            "recency_days",
            "top_category_1",
            "preferred_channel",
            "discount_share",
            "return_rate",
        ),
    ),
    (
        "engagement",
        (
            "sessions",
            "top_device",
            "interest_1",
            "email_open_rate",
            "support_tickets",
            "reviews",
            "mean_rating",
        ),
    ),
    ("identity", ("identifiers", "records")),
)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _print_profiles(ws: Workspace, *, examples: int = 3, where: str = "", params=None) -> None:
    cols = {
        r["column_name"]
        for r in ws.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'profiles'"
        ).to_pylist()
    }
    listing = not where
    order = "records DESC, profile_id" if listing else "profile_id"
    if listing and "anonymous" in cols:
        where = "WHERE NOT anonymous"
    rows = ws.sql(
        f"SELECT * FROM profiles {where} ORDER BY {order} LIMIT {int(examples)}", params
    ).to_pylist()
    if not rows:
        console.print("No profile found.")
        return
    table = Table(title="Example profiles" if listing else "Profile", title_justify="left")
    table.add_column("attribute", style="dim")
    for r in rows:
        table.add_column(r["profile_id"], overflow="fold")
    for section, names in PROFILE_SHOWN:
        present = [n for n in names if n in cols and any(r.get(n) is not None for r in rows)]
        for i, name in enumerate(present):
            table.add_row(
                f"{section} · {name}" if i == 0 else f"  {name}",
                *(escape(_fmt(r.get(name))) for r in rows),
            )
    console.print(table)


@app.command()
def build(
    workspace: Path = WorkspaceOpt,
    engine: str = typer.Option(
        None, "--engine", help="duckdb or spark (default: \\[engine] backend in personae.toml)."
    ),
    examples: int = typer.Option(3, help="Example profiles to print."),
) -> None:
    """Resolve identities and build unified profiles (people and B2B accounts)."""
    ws = _open(workspace)
    if engine not in (None, "duckdb", "spark"):
        _error(f"--engine {engine!r}: use duckdb or spark")
        raise typer.Exit(2)
    with _user_errors(), console.status("building") as status:
        result = ws.build(backend=engine, progress=lambda msg: status.update(msg))
    _print_build(result, ws, examples)


def _value_basis_line(result) -> str:
    """What the value figures rest on, in plain words ('' for a model that fitted)."""
    from personae.value.estimate import ValueBasis

    return ValueBasis(result.estimate, result.monetary, result.estimate_note).sentence()


@app.command()
def value(workspace: Path = WorkspaceOpt) -> None:
    """Customer value: RFM, lifetime value, churn risk, upsell and acquisition cost."""
    ws = _open(workspace)
    with _user_errors(), console.status("scoring customer value"):
        result = ws.value()
    t = Table(title="value_scores", show_header=True, header_style="bold")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("as of", result.as_of)
    t.add_row("buying customers", f"{result.customers:,}")
    if result.accounts:
        t.add_row("accounts", f"{result.accounts:,}")
    t.add_row("model", result.estimate or result.model)
    for k, v in result.params.items():
        t.add_row(f"  {k}", f"{v:.4f}")
    if result.total_clv is None:
        t.add_row("expected purchases", f"{result.expected_purchases:,.0f}")
    else:
        t.add_row("total predicted CLV", f"{result.total_clv:,.2f}")
    t.add_row("high churn risk (≥ 60%)", f"{result.at_risk:,}")
    console.print(t)
    basis = _value_basis_line(result)
    if basis:
        console.print(basis)
    if "spend_frequency_correlation" in result.checks:
        check = result.checks["spend_frequency_correlation"]
        console.print(
            f"Gamma-Gamma independence: r = {check['pearson_r']:.3f} — {check['verdict']}"
        )
    console.print(f"Report: [bold]{result.report_path}[/]")


@app.command()
def text(workspace: Path = WorkspaceOpt) -> None:
    """Voice of the customer: sentiment, facets, themes and quotes from every free text."""
    from personae.text.facets import FACET_TITLES

    ws = _open(workspace)
    with _user_errors(), console.status("reading what customers wrote"):
        result = ws.text()
    sources = ", ".join(f"{k} {v:,}" for k, v in result.by_source.items())
    console.print(
        f"{result.documents:,} texts ({sources})"
        f"; {result.linked:,} linked to a profile; {result.profiles_with_text:,} profiles "
        f"wrote something; mean sentiment {result.sentiment.get('all', {}).get('mean', 0):+.2f}"
    )
    t = Table(title="top themes per facet", show_header=True, header_style="bold")
    t.add_column("facet")
    t.add_column("snippets", justify="right")
    t.add_column("themes", justify="right")
    t.add_column("largest themes")
    for facet, fr in result.facets.items():
        top = sorted(fr.themes, key=lambda th: -th["snippets"])[:3]
        t.add_row(
            FACET_TITLES[facet],
            f"{fr.snippets:,}",
            str(len(fr.themes)),
            "; ".join(f"{th['label']} ({th['snippets']:,})" for th in top) or fr.note,
        )
    console.print(t)
    console.print(f"Report: [bold]{result.report_path}[/]")


@app.command()
def quotes(
    workspace: Path = WorkspaceOpt,
    where: str = typer.Option(
        "true", "--where", help='SQL on profile columns selecting the group, e.g. "age >= 60".'
    ),
    facet: list[str] = typer.Option(
        None, "--facet", help="goal, motivation, pain_point, frustration or objection (repeat)."
    ),
    n: int = typer.Option(5, "--n", min=1, help="Quotes per facet."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Top themes and real, PII-free quotes per facet for a group of profiles."""
    import dataclasses
    import json

    from personae.text.facets import FACET_TITLES, FACETS

    ws = _open(workspace)
    with _user_errors():
        voice = ws.voice(where, facets=tuple(facet or FACETS), quotes=n)
    if as_json:
        print(json.dumps(dataclasses.asdict(voice), indent=2, default=str))
        return
    console.print(
        f"{voice.members:,} profiles; {voice.with_text:,} wrote {voice.documents:,} texts"
        + (f"; mean sentiment {voice.sentiment:+.2f}" if voice.sentiment is not None else "")
    )
    for f in facet or FACETS:
        themes = voice.themes.get(f, [])
        console.print(f"\n[bold]{FACET_TITLES[f]}[/] ({voice.writers.get(f, 0):,} writers)")
        if themes:
            console.print(
                "  themes: "
                + "; ".join(f"{th.label} ({th.share:.0%}, {th.lift:.1f}x)" for th in themes)
            )
        for q in voice.quotes.get(f, []):
            console.print(f"  “{escape(q.text)}” [dim]— {q.source} {q.record_id}[/]")


def _icp_line(profile) -> str:
    best: dict = {}
    for t in profile.traits:
        best.setdefault(t.attribute, t)
    return "; ".join(f"{t.attribute} {t.value} ({t.lift:.1f}x)" for t in list(best.values())[:3])


@app.command()
def icp(workspace: Path = WorkspaceOpt) -> None:
    """Learn and print the ideal customer profile (what the most valuable customers share)."""
    from personae.value.icp import icp_summary_sentence

    ws = _open(workspace)
    with _user_errors():
        profile = ws.icp()
    who = "customers" if profile.entity == "customer" else "accounts"
    console.rule(f"[bold]ideal customer profile[/] · top {profile.top_share:.0%} of {who}")
    console.print(
        f"{profile.top_count:,} of {profile.population:,} {who}; mean predicted CLV "
        f"{profile.top_mean_clv:,.2f} vs {profile.mean_clv:,.2f}; "
        f"{profile.top_revenue_share:.0%} of revenue."
    )
    t = Table(show_header=True, header_style="bold")
    for col in ("attribute", "value", "top", "all", "lift", "p"):
        t.add_column(col, justify="right" if col in ("top", "all", "lift", "p") else "left")
    for tr in profile.traits[:15]:
        t.add_row(
            tr.attribute,
            tr.value,
            f"{tr.top_share:.0%}",
            f"{tr.base_share:.0%}",
            f"{tr.lift:.1f}x",
            "<0.001" if tr.p_value < 0.001 else f"{tr.p_value:.3f}",
        )
    console.print(t)
    console.print(icp_summary_sentence(profile))
    docs = ws.reports_dir
    console.print(f"Document: [bold]{docs / 'icp.md'}[/]  ·  {docs / 'icp.json'}")


@app.command("score-leads")
def score_leads(
    file: Path = typer.Argument(..., help="CSV of leads with demographic or firmographic columns."),
    workspace: Path = WorkspaceOpt,
    top: int = typer.Option(10, help="Best leads to print."),
) -> None:
    """Score leads for fit with the ideal customer profile (0-100, tier A-D, reasons)."""
    ws = _open(workspace)
    with _user_errors():
        out, scored = ws.score_leads(file)
    tiers = scored["fit_tier"].value_counts().to_dict()
    console.print(
        f"Scored {len(scored):,} leads: " + ", ".join(f"{k} {tiers.get(k, 0):,}" for k in "ABCD")
    )
    best = scored.sort_values("fit_score", ascending=False, kind="stable").head(top)
    t = Table(show_header=True, header_style="bold")
    t.add_column(str(scored.columns[0]))
    t.add_column("fit", justify="right")
    t.add_column("tier")
    t.add_column("reasons")
    for _, row in best.iterrows():
        t.add_row(str(row.iloc[0]), f"{row['fit_score']:.0f}", row["fit_tier"], row["fit_reasons"])
    console.print(t)
    console.print(f"Written: [bold]{out}[/]")


def print_segments(result) -> None:
    """The segment table and the choice line, shared by `segment` and `demo`."""
    if result.choice is None:  # one group for everyone: say why, there was no choice
        console.print(escape(result.single_group), highlight=False)
        return
    win = result.choice.winner
    t = Table(
        title=f"{len(result.descriptions)} segments of {result.entities:,} {result.entity}s",
        show_header=True,
        header_style="bold",
    )
    t.add_column("#", justify="right")
    t.add_column("segment")
    t.add_column("role")
    t.add_column("share", justify="right")
    t.add_column("revenue", justify="right")
    t.add_column("mean value", justify="right")
    t.add_column("stability", justify="right")
    t.add_column("what sets them apart")
    for d in result.descriptions:
        t.add_row(
            str(d.segment),
            d.name,
            d.role,
            f"{d.share:.0%}",
            "–" if d.revenue_share is None else f"{d.revenue_share:.0%}",
            "–" if d.mean_value is None else f"{d.mean_value:,.0f}",
            f"{result.stability.get(d.segment, 0):.2f}",
            (d.reasons[0] + " " if d.role == "negative" and d.reasons else "")
            + "; ".join(d.sentences[:2]),
        )
    console.print(t)
    runners = [c for c in result.choice.candidates if c.stable and not c.chosen]
    runners.sort(key=lambda c: -c.separation)
    console.print(
        f"Chosen: {win.algorithm}, k={win.k} ({win.criterion_name} {win.criterion:,.1f}; "
        f"bootstrap Jaccard min {win.min_jaccard:.2f}, ARI {win.bootstrap_ari:.2f}) out of "
        f"{len(result.choice.candidates)} candidates"
        + (
            "; runners-up: "
            + ", ".join(f"{c.algorithm} k={c.k} (sep. {c.separation:.2f})" for c in runners[:3])
            if runners
            else ""
        )
    )


@app.command()
def segment(workspace: Path = WorkspaceOpt) -> None:
    """Customer segments: choose algorithm and k by fit and bootstrap stability, describe them."""
    ws = _open(workspace)
    with _user_errors(), console.status("segmenting") as status:
        result = ws.segment(progress=lambda msg: status.update(msg))
    print_segments(result)
    console.print(f"Report: [bold]{result.report_path}[/]")


audiences_app = typer.Typer(
    help="Rule-based audiences (\\[audiences.NAME] in personae.toml): list them with their "
    "sizes, or export one.",
    invoke_without_command=True,
)
app.add_typer(audiences_app, name="audiences")


@audiences_app.callback()
def audiences_list(
    ctx: typer.Context,
    workspace: Path = WorkspaceOpt,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the audiences: members, share of all known people, condition, description."""
    import dataclasses
    import json

    if ctx.invoked_subcommand is not None:
        ctx.obj = workspace  # `audiences -w WS export NAME` works as well as `export -w WS`
        return
    ws = _open(workspace)
    with _user_errors():
        found = ws.audiences()
    if as_json:
        print(json.dumps([dataclasses.asdict(a) for a in found], indent=2))
        return
    if not found:
        console.print(
            "No audiences defined. Add one table per audience to "
            f"{escape(str(ws.path / 'personae.toml'))}, e.g.\n\n"
            + escape(
                '[audiences.lapsed_vip]\nwhere = "clv_12m > 500 and recency_days > 90"\n'
                'description = "High-value customers who have not bought for three months"'
            ),
            highlight=False,
        )
        return
    t = Table(title="audiences", show_header=True, header_style="bold")
    t.add_column("name")
    t.add_column("members", justify="right")
    t.add_column("share", justify="right")
    t.add_column("where", overflow="fold")
    t.add_column("description", overflow="fold")
    for a in found:
        t.add_row(
            escape(a.name),
            f"{a.members:,}",
            f"{a.share:.1%}",
            escape(a.where),
            escape(a.description),
        )
    console.print(t)
    console.print(
        escape("Export one: personae audiences export NAME [-o FILE] [--format parquet|jsonl]")
    )


@audiences_app.command("export")
def audiences_export(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The audience (\\[audiences.NAME] in personae.toml)."),
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        help="Workspace folder (default: $PERSONAE_WORKSPACE or the current folder).",
        show_default=False,
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: exports/NAME.csv in the workspace)."
    ),
    fmt: str = typer.Option(
        "auto", "--format", help="csv, parquet or jsonl (default: from the file name, else csv)."
    ),
) -> None:
    """Export an audience's members (profile_id and its columns), ordered by profile_id."""
    import re

    ws = _open(workspace or ctx.obj or WorkspaceOpt.default)
    if output is None:
        ext = "csv" if fmt == "auto" else fmt
        safe = re.sub(r"[^\w.-]", "_", name)  # a file name, whatever the TOML key holds
        output = ws.path / "exports" / f"{safe}.{ext}"
    with _user_errors():
        rows = ws.export_audience(name, output, fmt)
    console.print(f"Exported {rows:,} profiles of {escape(name)} to [bold]{escape(str(output))}[/]")
    excluded = getattr(rows, "excluded", 0)
    if excluded:
        console.print(f"{excluded:,} left out: no {getattr(rows, 'purpose', '')} consent")


identity_app = typer.Typer(help="Look into identity resolution.", no_args_is_help=True)
app.add_typer(identity_app, name="identity")


def _explain(ws: Workspace, identifier: str):
    """The identity explanation of TYPE:VALUE, or exit 2 with the reason."""
    from personae.identity.explain import ExplainError, explain

    try:
        with ws.connect(read_only=True) as con:
            return explain(con, ws.config.identity, identifier)
    except ExplainError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None


@identity_app.command("explain")
def identity_explain(
    identifier: str = typer.Argument(..., help="TYPE:VALUE, e.g. email:ann@example.com"),
    workspace: Path = WorkspaceOpt,
    limit: int = typer.Option(20, help="Links to list (0: all)."),
) -> None:
    """Why an identifier belongs to its profile: identifiers, links (with the record that
    made each one), merge-guard decisions and fuzzy matches."""
    from personae.identity.explain import story

    e = _explain(_open(workspace), identifier)
    for line in story(e):
        console.print(escape(line), highlight=False)
    if e.identifiers:
        t = Table(title="Identifiers", title_justify="left")
        for c in ("type", "value", "records"):
            t.add_column(c, justify="right" if c == "records" else "left")
        for r in e.identifiers:
            t.add_row(r["id_type"], escape(r["id_value"]), f"{r['records']:,}")
        console.print(t)
    if e.links:
        t = Table(title="Links (why these identifiers are one profile)", title_justify="left")
        for c in ("rule", "identifier", "linked to", "records", "example record"):
            t.add_column(c, overflow="fold")
        shown = e.links if limit == 0 else e.links[:limit]
        for r in shown:
            rule = r["rule"]
            if r["match_probability"] is not None:
                rule += f" (p={r['match_probability']:.3f})"
            example = (
                f"{r['example_kind']} {Path(r['example_file'] or '').name} row {r['example_row']}"
            )
            t.add_row(
                rule,
                escape(f"{r['id_type']}:{r['id_value']}"),
                escape(f"{r['other_type']}:{r['other_value']}"),
                f"{r['records']:,}",
                escape(example),
            )
        console.print(t)
        if len(shown) < len(e.links):
            console.print(f"({len(shown)} of {len(e.links)} links shown; --limit 0 for all)")
    if e.guards:
        t = Table(title="Merge-guard decisions", title_justify="left")
        for c in ("decision", "identifier", "because", "example record"):
            t.add_column(c, overflow="fold")
        for r in e.guards:
            example = (
                f"{r['example_kind']} {Path(r['example_file']).name} row {r['example_row']}"
                if r["example_file"]
                else ""
            )
            t.add_row(
                r["rule"],
                escape(f"{r['id_type']}:{r['id_value']}"),
                escape(r["detail"] or ""),
                escape(example),
            )
        console.print(t)
    if e.accounts:
        accounts = ", ".join(f"{a['account_id']} ({a['rule']})" for a in e.accounts)
        console.print(f"Accounts: {escape(accounts)}")


@app.command()
def profiles(
    identifier: str = typer.Argument(
        None, help="A profile id or TYPE:VALUE to show one profile (default: the largest)."
    ),
    workspace: Path = WorkspaceOpt,
    limit: int = typer.Option(3, help="Profiles to show."),
) -> None:
    """Show unified profiles as readable tables."""
    ws = _open(workspace)
    if identifier is None:
        _print_profiles(ws, examples=limit)
        return
    if ":" not in identifier:
        _print_profiles(ws, examples=1, where="WHERE profile_id = ?", params=[identifier])
        return
    e = _explain(ws, identifier)
    if not e.profile_id:
        console.print(f"{escape(identifier)}: no profile ({e.status}).")
        raise typer.Exit(1)
    _print_profiles(ws, examples=1, where="WHERE profile_id = ?", params=[e.profile_id])


@app.command()
def demo(
    path: Path = typer.Argument(
        Path("demo-workspace"), help="Workspace folder for the demo (recreated each run)."
    ),
    scenario: str = typer.Option("retail", help="retail or saas."),
    customers: int = typer.Option(5000, min=50, help="Customers to generate."),
    seed: int = typer.Option(42, help="Random seed."),
    memory_limit: str = typer.Option(
        "",
        "--memory-limit",
        help="DuckDB memory limit for the demo workspace, e.g. 6GB (default: 80% of RAM).",
    ),
) -> None:
    """The main job on generated data: demo data -> workspace -> the whole pipeline ->
    the persona report."""
    from personae.pipeline import run_demo

    started = time.perf_counter()
    console.rule(f"[bold]personae demo[/] · {scenario} · {customers:,} customers · seed {seed}")
    with (
        _user_errors(),
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        gen = progress.add_task("1/3 generate demo data", total=customers)
        ing = progress.add_task("2/3 ingest sources", total=None)
        bld = progress.add_task("3/3 resolve identities, build profiles", total=None)
        sizes: dict[Path, tuple[int, int]] = {}

        def on_ingest(p: Path, done: int, total: int) -> None:
            sizes[p] = (done, total)
            progress.update(
                ing,
                completed=sum(d for d, _ in sizes.values()),
                total=sum(t for _, t in sizes.values()),
            )

        result = run_demo(
            path,
            scenario=scenario,
            customers=customers,
            seed=seed,
            on_generate=lambda d, t: progress.update(gen, completed=d, total=t),
            on_ingest=on_ingest,
            on_build=lambda msg: progress.update(bld, description=f"3/3 {msg.lower()}"),
            memory_limit=memory_limit or None,
        )
        progress.update(bld, total=1, completed=1)
    _print_report(result.report)
    _print_build(result.build, result.workspace)
    if result.segments is not None:
        print_segments(result.segments)
    ws = result.workspace
    console.rule("[bold]summary")
    console.print(f"Workspace:    [bold]{ws.path}[/]")
    console.print(f"Database:     {ws.database_path}")
    console.print(f"Demo data:    {result.data_dir}  (ground truth in {result.data_dir / 'truth'})")
    console.print(
        f"Rows:         {result.report.rows_in:,} read, {result.report.ingested:,} "
        f"ingested, {result.report.rejected:,} quarantined, "
        f"{result.report.duplicates:,} duplicates skipped"
    )
    console.print(
        f"Profiles:     {result.build.profiles - result.build.anonymous_profiles:,} people "
        f"(+{result.build.anonymous_profiles:,} anonymous visitors)"
        + (f", {result.build.accounts:,} accounts" if result.build.accounts else "")
        + f" from {result.report.ingested:,} records"
    )
    if result.text is not None:
        t = result.text
        top = []
        for facet in ("goal", "pain_point", "objection"):
            fr = t.facets.get(facet)
            if fr and fr.themes:
                big = max(fr.themes, key=lambda th: th["snippets"])
                top.append(f"{facet.replace('_', ' ')} “{big['label']}”")
        console.print(
            f"Voice:        {t.documents:,} texts from {t.profiles_with_text:,} people; "
            + "; ".join(top)
        )
    if result.value is not None:
        v = result.value
        who = "accounts" if v.model == "contractual" else "customers"
        worth = (
            f"{v.expected_purchases:,.0f} purchases expected"
            if v.total_clv is None
            else f"predicted {v.total_clv:,.0f}"
        )
        console.print(
            f"Value:        {worth} over the next "
            f"{ws.config.value.horizon_months} months; {v.at_risk:,} {who} at high churn risk"
        )
        basis = _value_basis_line(v)
        if basis:
            console.print(f"              {basis}")
    if result.icp is not None and result.icp.traits:
        console.print(f"Ideal customer: {_icp_line(result.icp)}")
    if result.segments is not None and result.segments.choice is not None:
        sr = result.segments
        primary = [d.name for d in sr.descriptions if d.role == "primary"]
        negative = [d.name for d in sr.descriptions if d.role == "negative"]
        console.print(
            f"Segments:     {len(sr.descriptions)} ({sr.choice.winner.algorithm}, bootstrap "
            f"Jaccard ≥ {sr.choice.winner.min_jaccard:.2f}); primary: {'; '.join(primary)}"
            + (f"; negative: {'; '.join(negative)}" if negative else "")
        )
    console.print(f"Explore:      personae status -w {path}   ·   personae quarantine -w {path}")
    console.print(
        f"              personae profiles -w {path}   ·   "
        f"personae identity explain email:ADDRESS -w {path}"
    )
    console.print(
        f"Report:       [bold]{result.report_path}[/]  (data intake: sources, "
        "rejections, field coverage)"
    )
    if result.build.report_path:
        console.print(
            f"              [bold]{result.build.report_path}[/]  (identity: people found, "
            "links, merge guards, attribute coverage)"
        )
    if result.text is not None and result.text.report_path:
        console.print(
            f"              [bold]{result.text.report_path}[/]  (voice of the customer: "
            "sentiment, goals, pain points, objections, quotes)"
        )
    if result.segments is not None and result.segments.report_path:
        console.print(
            f"              [bold]{result.segments.report_path}[/]  (segments: who they are, "
            "value, stability, how they were chosen)"
        )
    if result.value is not None and result.value.report_path:
        console.print(
            f"              [bold]{result.value.report_path}[/]  (value: CLV, RFM, churn, "
            "acquisition cost, cross-sell)"
        )
        console.print(
            f"              [bold]{ws.reports_dir / 'icp.md'}[/]  (ideal customer profile)"
        )
    if result.leads is not None:
        console.print(f"Leads:        [bold]{result.leads}[/]  (demo prospects scored for fit)")
    if result.personas is not None:
        print_personas(result.personas.personas)
    if result.report_files is not None:
        print_report_files(result.report_files)
    console.print(f"Finished in {time.perf_counter() - started:.1f} s.")


def print_personas(personas) -> None:
    """The persona summary table, shared by `personas`, `report`, `run` and `demo`."""
    from personae.personas.build import summary_rows

    if not personas:
        console.print("No personas: no primary or negative segment was found.")
        return
    t = Table(
        title=f"{len(personas)} personas", show_header=True, header_style="bold", box=box.SIMPLE
    )
    for col, justify in (
        ("persona", "left"),
        ("role", "left"),
        ("size", "right"),
        ("share", "right"),
        ("revenue", "right"),
        ("mean CLV", "right"),
        ("prevalence", "right"),
    ):
        t.add_column(col, justify=justify, no_wrap=col != "persona")  # type: ignore[arg-type]
    for row in summary_rows(personas):
        row.pop("stability")
        t.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()))
    console.print(t)
    for p in personas:
        goal = p.goals[0].label if p.goals else "–"
        pain = (
            (p.pain_points or p.frustrations)[0].label if (p.pain_points or p.frustrations) else "–"
        )
        console.print(f"  [bold]{p.title.text}[/]: goal “{goal}”; pain point “{pain}”")


def print_report_files(files) -> None:
    console.print(f"Persona report: [bold]{files.html}[/]")
    console.print(f"                {files.markdown}  ·  {files.json}")
    if files.pdfs:
        console.print(f"                {len(files.pdfs)} PDF one-pagers in {files.pdfs[0].parent}")
    for w in getattr(files, "warnings", []) or []:
        console.print(f"[yellow]warning:[/] {w}")


@app.command()
def personas(
    workspace: Path = WorkspaceOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the documents as JSON."),
    schema: bool = typer.Option(False, "--schema", help="Print the persona JSON Schema."),
) -> None:
    """Persona documents: one per primary and negative segment, every claim with evidence."""
    if schema:
        from personae.personas.schema import persona_json_schema

        typer.echo(json.dumps(persona_json_schema(), indent=2))
        return
    ws = _open(workspace)
    with _user_errors(), console.status("writing personas") as status:
        result = ws.personas(progress=lambda msg: status.update(msg))
    if as_json:
        typer.echo(json.dumps([p.model_dump(mode="json") for p in result.personas], indent=2))
        return
    print_personas(result.personas)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    console.print("Next: [bold]personae report[/] writes them as HTML, Markdown, JSON and PDF.")


@app.command()
def report(workspace: Path = WorkspaceOpt) -> None:
    """The persona report: persona cards, comparison and the customer profile report."""
    ws = _open(workspace)
    with _user_errors(), console.status("writing the report") as status:
        files = ws.report(progress=lambda msg: status.update(msg))
    print_personas(ws.load_personas())
    print_report_files(files)


@app.command("run")
def run_all(workspace: Path = WorkspaceOpt) -> None:
    """Every step on an existing workspace: ingest, build, text, value, ICP, segment,
    personas, report."""
    ws = _open(workspace)
    started = time.perf_counter()
    with _user_errors(), console.status("running") as status:
        out = ws.run(progress=lambda msg: status.update(msg))
    if "ingest" in out:
        _print_reading(out["ingest"])
        _print_replaced(out["ingest"], forced=False, rebuilt=True)
    if "segment" in out:
        print_segments(out["segment"])
    if "personas" in out:
        print_personas(out["personas"].personas)
    if "report" in out:
        print_report_files(out["report"])
    done = [s for s in ("build", "text", "value", "icp", "segment", "personas", "report")
            if s in out]  # fmt: skip
    if not done:  # nothing could run: the first reason says what to do
        _error(next(iter(out["skipped"].values()), "nothing to run"))
        raise typer.Exit(2)
    for step, reason in out["skipped"].items():
        console.print(f"[yellow]skipped {step}:[/yellow] {escape(reason)}", highlight=False)
    if "value" in out and _value_basis_line(out["value"]):
        console.print(f"[yellow]value:[/yellow] {escape(_value_basis_line(out['value']))}")
    if "ingest" in out:
        _exit_if_all_rejected(out["ingest"])
    console.print(
        f"Finished in {time.perf_counter() - started:.1f} s: "
        f"{', '.join(done) or 'no step'} done"
        + (f"; {len(out['skipped'])} skipped (see above)." if out["skipped"] else ".")
    )


# -- the web app ------------------------------------------------------------------------------
@app.command()
def serve(
    folder: Path = typer.Argument(None, help="Workspace folder (or use -w)."),
    workspace: Path = WorkspaceOpt,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    live: bool = typer.Option(
        True, help="Apply tracked events to identities and profiles as they arrive."
    ),
) -> None:
    """The persona library, the Segment-compatible tracking API and the profile API."""
    web.serve(folder or workspace, host=host, port=port, live=live)


@web.keys_app.command("create")
def keys_create(
    name: str = typer.Argument(..., help="What the key is for (e.g. website, crm-sync)."),
    role: str = typer.Option(..., help=web.KEY_ROLE_HELP),
    workspace: Path = WorkspaceOpt,
) -> None:
    """Create an API key (printed once; only its hash is kept)."""
    web.keys_create(workspace, name, role)


@web.keys_app.command("list")
def keys_list(workspace: Path = WorkspaceOpt) -> None:
    """The keys, their roles and whether they are revoked."""
    web.keys_list(workspace)


@web.keys_app.command("revoke")
def keys_revoke(
    key_id: str = typer.Argument(..., help="The key id from `keys list`."),
    workspace: Path = WorkspaceOpt,
) -> None:
    """Revoke a key at once (a running server notices within seconds)."""
    web.keys_revoke(workspace, key_id)


@web.users_app.command("add")
def users_add(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., help=web.ROLE_HELP),
    password_env: str = typer.Option(
        None, help="Read the password from this environment variable instead of a prompt."
    ),
    workspace: Path = WorkspaceOpt,
) -> None:
    """Add a login for the persona library (or reset its password and role)."""
    web.users_add(workspace, username, role, password_env)


@web.users_app.command("list")
def users_list(workspace: Path = WorkspaceOpt) -> None:
    """The logins and their roles."""
    web.users_list(workspace)


app.add_typer(web.keys_app, name="keys")
app.add_typer(web.users_app, name="users")


@app.command()
def audit(
    workspace: Path = WorkspaceOpt,
    action: str = typer.Option(None, help="Only this action (erase, login, key_create, ...)."),
    limit: int = typer.Option(50, help="How many entries, newest first."),
) -> None:
    """The audit log of administrative actions: erasures, exports, logins, keys, config."""
    from rich.table import Table

    from personae.governance.audit import AuditLog

    ws = _open(workspace)
    table = Table("when (UTC)", "who", "action", "target", "detail")
    for e in AuditLog(ws.path).entries(action, limit):
        table.add_row(e["at"], e["actor"], e["action"], e["target"] or "", e["detail"] or "")
    console.print(table)


def _subject(value: str) -> tuple[str, str]:
    id_type, sep, rest = value.partition(":")
    if not sep or not rest:
        _error(f"{value!r} is not TYPE:VALUE. Fix: e.g. email:ann@example.com or user_id:C1001")
        raise typer.Exit(2)
    return id_type, rest


@app.command()
def erase(
    subject: str = typer.Argument(..., help="Any identifier of the person, as TYPE:VALUE."),
    workspace: Path = WorkspaceOpt,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase a person from every table, file, report and log of the workspace (GDPR art. 17),
    leave a tombstone so re-ingested files cannot bring them back, and verify."""
    from personae.governance.audit import AuditLog, cli_actor
    from personae.governance.erase import erase_workspace_subject

    ws = _open(workspace)
    id_type, value = _subject(subject)
    if not yes:
        typer.confirm(
            f"Erase everything held on {id_type}:{value}? This cannot be undone", abort=True
        )
    with _user_errors(), console.status("erasing"):
        try:
            report = erase_workspace_subject(ws, id_type, value)
        except ValueError as exc:
            _error(f"{exc}")
            raise typer.Exit(2) from None
        AuditLog(ws.path).record(
            cli_actor(), "erase", report.target, found=report.found, via="cli",
            records=sum(report.records.values()),
        )  # fmt: skip
        rerendered = False
        if report.found and ws.load_personas():
            ws.report()
            rerendered = True
    console.print(escape(report.summary()))
    if rerendered:
        console.print("Reports re-rendered without them.")
    if report.findings:
        raise typer.Exit(1)


@app.command("export-subject")
def export_subject_cmd(
    subject: str = typer.Argument(..., help="Any identifier of the person, as TYPE:VALUE."),
    out: Path = typer.Option(..., "--out", help="Folder for subject.json and the CSVs."),
    workspace: Path = WorkspaceOpt,
) -> None:
    """Everything held on one person, across all their identifiers (GDPR art. 15): one JSON
    document plus one CSV per table."""
    from personae.governance.audit import AuditLog, cli_actor
    from personae.governance.export import export_subject
    from personae.governance.keys import keyed_hash

    ws = _open(workspace)
    id_type, value = _subject(subject)
    with _user_errors(), ws.connect(read_only=True) as con:
        try:
            done = export_subject(con, ws.path, id_type, value, out, settings=ws.config)
        except ValueError as exc:
            _error(f"{exc}")
            raise typer.Exit(2) from None
    target = keyed_hash(ws.secret_key(), f"{id_type}:{value.strip().lower()}")
    AuditLog(ws.path).record(cli_actor(), "export_subject", target, found=done.found, via="cli")
    if not done.found:
        console.print(f"Nobody is known by {escape(id_type)}:…; wrote an empty export.")
    console.print(f"Subject export: [bold]{done.json_path}[/] and {len(done.csv_paths)} CSV files")
    for table, n in sorted(done.counts.items()):
        console.print(f"  {table}: {n:,}")


@app.command()
def compact(workspace: Path = WorkspaceOpt) -> None:
    """Rewrite the database file so deleted data (e.g. after an erasure through the API)
    leaves no bytes behind. Stop `personae serve` first."""
    from personae.governance.erase import compact_database

    ws = _open(workspace)
    with _user_errors():
        before, after = compact_database(ws.database_path)
    console.print(f"Compacted {ws.database_path}: {before:,} → {after:,} bytes")


if __name__ == "__main__":  # pragma: no cover
    app()
