"""The review printed by ``personae init --from``, ``add`` and ``sources check``: file →
kind, column → field with confidence and evidence, what is left unmapped, and every
question with the setting that settles it."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from personae.ingest.discover.model import Discovery, FileDecision, Question


def _conf(x: float) -> str:
    colour = "green" if x >= 0.8 else "yellow" if x >= 0.5 else "red"
    return f"[{colour}]{x:.2f}[/]"


def file_table(d: FileDecision, title: str) -> Table:
    """column → field rows of one file, then its undecided and unmapped columns."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    t.add_column("column", overflow="fold")
    t.add_column("field", overflow="fold")
    t.add_column("conf", justify="right", no_wrap=True)
    t.add_column("evidence", overflow="fold")
    for field, c in sorted(d.mapping.items(), key=lambda kv: d.columns.index(kv[1].column)):
        t.add_row(escape(c.column), field, _conf(c.confidence), escape("; ".join(c.evidence[:2])))
    for q in d.questions:
        if q.subject != "kind":
            t.add_row(
                escape(" or ".join(q.choices[:3]) or "—"),
                f"[red]{q.subject}?[/]",
                "",
                escape(q.reason),
            )
    if d.unmapped:
        t.add_row(escape(", ".join(d.unmapped)), "[dim]not mapped[/]", "", "kept in _extra")
    return t


def print_discovery(console: Console, found: Discovery, base: Path) -> None:
    """The review of what was found and what will be written."""
    from personae.ingest.discover.render import relative_path

    for plan in found.sources:
        d = plan.decision
        files = ", ".join(relative_path(f.path, base) for f in plan.files)
        if d.kind is None:
            head = f"[bold]{escape(files)}[/] → [red]kind undecided[/]"
        else:
            via = f" ({escape(d.preset.title)})" if d.preset else ""
            head = (
                f"[bold]{escape(files)}[/] → [bold]{d.kind}[/]{via} as "
                f"[cyan]{plan.name}[/], confidence {_conf(d.confidence)}"
            )
        console.print(file_table(d, head), highlight=False)
        if d.kind is not None and d.evidence and not d.preset:
            console.print(f"  [dim]why: {escape('; '.join(d.evidence[:3]))}[/]", highlight=False)
        for note in d.notes:
            console.print(f"  [yellow]note:[/] {escape(note)}", highlight=False)
        console.print()
    for path, name in found.already:
        console.print(f"[dim]{escape(str(path))}: already the source {name}[/]", highlight=False)
    for path, why in found.skipped:
        console.print(f"[yellow]skipped[/] {escape(str(path))}: {escape(why)}", highlight=False)


def question_lines(questions: list[Question], config: Path) -> list[str]:
    """One paragraph per question: file, what is undecided, the choices, the fix."""
    out = []
    for q in questions:
        out.append(f"{q.message()}\n  Fix: set {q.setting()} in {config}")
    return out
