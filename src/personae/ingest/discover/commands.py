"""What ``personae init --from``, ``personae add`` and ``personae sources check`` print.

The commands in cli.py call these; each returns the exit code: 0 when everything was
decided, 2 when something needs the user (the message names the file, the choices and
the setting), as for any other input that stops a command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from personae.config import CONFIG_FILE
from personae.ingest.discover.model import Discovery, Question
from personae.ingest.discover.render import relative_path
from personae.ingest.discover.review import file_table, print_discovery

if TYPE_CHECKING:
    from personae.workspace import Workspace


def _fix(q: Question, ws: Workspace) -> str:
    config = ws.path / CONFIG_FILE
    if q.subject == "kind":
        path = relative_path(q.path, Path.cwd())
        return (
            f"run `personae add {path} -w {relative_path(ws.path, Path.cwd())} --kind "
            f"{q.choices[0]}` (or --kind {' / '.join(q.choices[1:])}), or un-comment "
            f"[sources.{q.source}] in {config} and keep one kind"
        )
    return f"set {q.setting()} in {config}"


def report_questions(questions: list[Question], ws: Workspace, out: Console, err: Console) -> int:
    """Print the questions; 2 when one blocks a file, else 0."""
    blocking = [q for q in questions if q.blocking]
    optional = [q for q in questions if not q.blocking]
    for q in optional:
        text = f"{escape(q.message())}\n  To map it: {escape(_fix(q, ws))}"
        out.print(f"[yellow]left unmapped:[/] {text}", highlight=False)
    if not blocking:
        return 0
    n = len(blocking)
    err.print(
        f"[bold red]error:[/] {n} decision{'s' if n > 1 else ''} could not be made from the "
        "data; nothing was guessed:",
        highlight=False,
    )
    for q in blocking:
        err.print(f"  {escape(q.message())}\n    Fix: {escape(_fix(q, ws))}", highlight=False)
    return 2


def _summary(found: Discovery, ws: Workspace, out: Console, wrote: bool) -> None:
    ready = [s for s in found.sources if not s.blocked]
    if not found.sources:
        out.print("No new data files found.")
        return
    verb = "Added" if wrote else "Would add"
    names = ", ".join(s.name for s in ready) or "none"
    out.print(
        f"{verb} {len(ready)} of {len(found.sources)} sources to "
        f"{escape(str(ws.path / CONFIG_FILE))}: {names}.",
        highlight=False,
    )


def add_and_review(
    ws: Workspace,
    paths: Sequence[Path],
    out: Console,
    err: Console,
    *,
    kind: str | None = None,
    dry_run: bool = False,
) -> int:
    """Discover sources in ``paths``, print the review, write them (unless ``dry_run``)."""
    found = ws.discover(paths, kind=kind) if dry_run else ws.add_files(paths, kind=kind)
    print_discovery(out, found, Path.cwd())
    _summary(found, ws, out, wrote=not dry_run)
    code = report_questions(found.questions, ws, out, err)
    if code == 0 and found.sources and not dry_run:
        out.print(
            f"Next: `personae sources check -w {relative_path(ws.path, Path.cwd())}` to review, "
            f"then `personae run -w {relative_path(ws.path, Path.cwd())}`."
        )
    return code


def check_and_review(ws: Workspace, out: Console, err: Console) -> int:
    """``personae sources check``: print what ingest would read; 2 when a file would stop."""
    from personae.ingest.discover.check import check_sources

    if not ws.config.sources:
        out.print(
            "No sources are declared. Add some with `personae add FILE... -w "
            f"{relative_path(ws.path, Path.cwd())}`."
        )
        return 0
    checked = check_sources(ws)
    questions: list[Question] = []
    broken = 0
    for src in checked:
        if src.error:
            err.print(f"[bold red]error:[/] [sources.{src.name}]: {escape(src.error)}")
            broken += 1
            continue
        for d in src.files:
            where = escape(relative_path(d.path, Path.cwd()))
            if d.error:
                err.print(f"[bold red]error:[/] {where}: {escape(d.error)}", highlight=False)
                broken += 1
                continue
            title = f"[bold]{where}[/] → [bold]{src.kind}[/] as [cyan]{src.name}[/]"
            out.print(file_table(d, title), highlight=False)
            for note in d.notes:
                out.print(f"  [yellow]note:[/] {escape(note)}", highlight=False)
            out.print()
            questions += d.questions
    code = report_questions(questions, ws, out, err)
    if broken:
        return 2
    if code == 0:
        out.print("Every source can be ingested as shown (`personae ingest` reads them).")
    return code
