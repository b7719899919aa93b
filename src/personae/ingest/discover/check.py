"""``personae sources check``: what ingest would read from each configured source, without
ingesting: file → kind, column → field as ingest resolves it (the config's mapping,
then header spellings), how well each column's contents fit its field, what is left
unmapped, and what stops a file (a required field without a column, with the columns
that would fit it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from personae.ingest.discover.decide import decide_file, read_file
from personae.ingest.discover.expect import expectation
from personae.ingest.discover.fit import content_fit
from personae.ingest.discover.model import FileDecision, Question
from personae.ingest.discover.score import CONFIDENT, FieldChoice, pair_score
from personae.ingest.errors import IngestError
from personae.ingest.loader import expand_paths
from personae.ingest.mapping import resolve_columns
from personae.ingest.schema import KINDS

if TYPE_CHECKING:
    from personae.workspace import Workspace


@dataclass
class CheckedSource:
    name: str
    kind: str
    files: list[FileDecision]
    error: str | None = None  # the paths match nothing

    @property
    def ok(self) -> bool:
        return self.error is None and not any(f.error or f.blocked for f in self.files)


def _check_file(name: str, kind: str, path, explicit: dict[str, str]) -> FileDecision:
    d = read_file(path)
    if d.error:
        return d
    d.kind, d.source, d.confidence = kind, name, 1.0
    d.evidence = ["set in personae.toml"]
    resolved = resolve_columns(KINDS[kind], d.columns, explicit, path, require=False)
    by_name = {p.name: p for p in d.profiles}
    for field, column in resolved.items():
        e = expectation(kind, field)
        pr = pair_score(by_name[column], e)
        content, why = content_fit(by_name[column], e)
        how = "config" if field in explicit else "header"
        conf = round(min(1.0, 0.5 + 0.5 * content), 2) if content >= e.floor else 0.0
        d.mapping[field] = FieldChoice(field, column, pr.score, conf, [why], source=how)
        if by_name[column].non_null and content < e.floor:
            d.notes.append(
                f"{column!r} is read as {field}, but its sampled values do not look like it "
                f'({why}); set [sources.{name}.columns] {field} = "<column>" if another '
                "column holds it"
            )
    missing = [f.name for f in KINDS[kind].fields if f.required and f.name not in resolved]
    if missing:
        suggestion = decide_file(read_file(path), kind)
        for field in missing:
            got = suggestion.mapping.get(field)
            choices = [got.column, *got.alternatives] if got else []
            why = f"contents suggest {got.column!r} ({got.evidence[0]})" if got else ""
            d.questions.append(
                Question(
                    path,
                    field,
                    choices,
                    f"no column is set or named for this required field; {why}".rstrip("; "),
                    True,
                    name,
                )
            )
    low = [c for c in d.mapping.values() if c.confidence < CONFIDENT]
    for c in low:
        d.notes.append(f"{c.column!r} → {c.field}: low confidence ({c.evidence[0]})")
    return d


def check_sources(ws: Workspace) -> list[CheckedSource]:
    """Check every configured source's files (read-only)."""
    out = []
    for name, src in ws.config.sources.items():
        try:
            files = expand_paths(src.paths, ws.path)
        except IngestError as exc:
            out.append(CheckedSource(name, src.kind, [], f"{exc.problem} ({exc.path})"))
            continue
        checked = []
        for path in files:
            try:
                checked.append(_check_file(name, src.kind, path, dict(src.columns)))
            except IngestError as exc:
                d = FileDecision(path, kind=src.kind, source=name)
                d.error = f"{exc.problem}. Fix: {exc.fix}"
                checked.append(d)
        out.append(CheckedSource(name, src.kind, checked))
    return out
