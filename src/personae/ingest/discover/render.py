"""Write discovered sources as ``[sources.NAME]`` blocks, each decision's evidence a comment.

Every decided field is written as an explicit ``[sources.NAME.columns]`` entry, so what
ingest reads is exactly what was reviewed, not a second guess by header. A source whose
kind is undecided is written commented out, with the choices; an undecided column is a
commented line naming the choices. Removing the ``#`` and picking is all it takes.
"""

from __future__ import annotations

import os
from pathlib import Path

from personae.config import toml_string
from personae.ingest.discover.model import SourcePlan

WIDTH = 92


def relative_path(path: Path, base: Path) -> str:
    """``path`` relative to the workspace folder where it can be (config paths are)."""
    try:
        return os.path.relpath(path.resolve(), base.resolve())
    except ValueError:  # another drive
        return str(path.resolve())


def _comment(text: str, indent: str = "# ") -> list[str]:
    """``text`` as comment lines no wider than :data:`WIDTH`."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(indent) + len(line) + 1 + len(w) > WIDTH:
            lines.append(indent + line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(indent + line)
    return lines


def _pad(line: str, comment: str) -> str:
    return f"{line:<34} # {comment}" if comment else line


def source_block(plan: SourcePlan, base: Path) -> str:
    """The TOML text for one discovered source (a leading blank line included)."""
    d = plan.decision
    paths = [relative_path(f.path, base) for f in plan.files]
    names = ", ".join(Path(p).name for p in paths)
    head = f"# --- {names}: {plan.kind or 'kind undecided'} "
    out = ["", head + "-" * max(3, WIDTH - len(head))]
    if d.kind is not None:
        out += _comment(f"kind {d.kind}, confidence {d.confidence:.2f}: " + "; ".join(d.evidence))
    for note in d.notes:
        out += _comment(f"note: {note}")
    path_line = "paths = [" + ", ".join(toml_string(p) for p in paths) + "]"
    kind_q = next((q for q in d.questions if q.subject == "kind"), None)
    if kind_q is not None:
        out += _comment(f"undecided: {kind_q.reason}")
        out += _comment(
            "Fix: remove the leading '# ' from the lines below and keep one kind, or run "
            f"`personae add {paths[0]} --kind KIND`."
        )
        out += [f"# [sources.{plan.name}]", f"# kind = {toml_string(kind_q.choices[0])}"]
        out.append("#   (or " + ", ".join(toml_string(k) for k in kind_q.choices[1:]) + ")")
        out.append(f"# {path_line}")
        return "\n".join(out) + "\n"
    out += [f"[sources.{plan.name}]", f"kind = {toml_string(plan.kind or '')}", path_line]
    out += [f"{k} = {_toml_value(v)}" for k, v in d.settings.items()]
    shape = d.preset.row_shape if d.preset is not None else {}
    if shape.get("group_by") and shape.get("fill_down"):
        # the layout gives a record's own fields on its first row only: ingest fills them
        # down over the record's other rows (ingest/fill_down.py)
        out.append(f"group_by = {toml_string(shape['group_by'])}")
        out.append("fill_down = [" + ", ".join(toml_string(f) for f in shape["fill_down"]) + "]")
    if d.preset is not None and d.preset.computed:
        # fields the layout implies or nests, computed by ingest from the preset's data
        out.append(f"preset = {toml_string(d.preset.name)}")
    if d.identifiers:
        out.append(f"[sources.{plan.name}.identifiers]")
        out += [f"{k} = {toml_string(v)}" for k, v in d.identifiers.items()]
    out.append(f"[sources.{plan.name}.columns]")
    for field, choice in d.mapping.items():
        why = f"{choice.confidence:.2f} {choice.source}: " + "; ".join(choice.evidence)
        out.append(_pad(f"{field} = {toml_string(choice.column)}", why))
    for q in d.questions:
        if q.subject == "kind":
            continue
        choices = " or ".join(toml_string(c) for c in q.choices[:3]) or "a column"
        state = "needed" if q.blocking else "optional"
        out.append(_pad(f'{q.subject} = ""', f"undecided ({state}): set {choices}. {q.reason}"))
    for field, why in d.excluded.items():
        out.append(_pad(f'{field} = ""', why))
    if d.unmapped:
        listed = ", ".join(repr(c) for c in d.unmapped)
        out += _comment(f"not mapped (kept in the _extra column): {listed}")
    return "\n".join(out) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(toml_string(str(v)) for v in value) + "]"
    if isinstance(value, bool | int):
        return str(value).lower()
    return toml_string(str(value))


def blocks(plans: list[SourcePlan], base: Path) -> str:
    return "".join(source_block(p, base) for p in plans)
