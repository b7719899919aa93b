"""What discovery decided: per file, per source, and what it could not decide."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from personae.ingest.discover.presets import Preset
from personae.ingest.discover.profile import ColumnProfile
from personae.ingest.discover.sample import Sample
from personae.ingest.discover.score import FieldChoice


@dataclass
class Question:
    """A decision discovery would not guess: what, the choices, and the setting that
    settles it. ``blocking``: without an answer the file cannot be ingested (its kind, a
    required field); otherwise the column is left unmapped meanwhile."""

    path: Path
    subject: str  # "kind" or a field name
    choices: list[str]  # kinds, or columns
    reason: str
    blocking: bool
    source: str = ""  # the source name, once known

    def setting(self) -> str:
        name = self.source or "<name>"
        if self.subject == "kind":
            alts = " or ".join(f'"{c}"' for c in self.choices)
            return f"[sources.{name}] kind = {alts}"
        first = f'"{self.choices[0]}"' if self.choices else '"<column>"'
        rest = "".join(f' (or "{c}")' for c in self.choices[1:3])
        return f"[sources.{name}.columns] {self.subject} = {first}{rest}"

    def message(self) -> str:
        what = "its kind" if self.subject == "kind" else f"which column is {self.subject}"
        return f"{self.path.name}: cannot tell {what}: {self.reason}"


@dataclass
class FileDecision:
    """Everything discovery found out about one file."""

    path: Path
    sample: Sample | None = None
    profiles: list[ColumnProfile] = field(default_factory=list)
    kind: str | None = None
    confidence: float = 0.0
    evidence: list[str] = field(default_factory=list)
    preset: Preset | None = None
    mapping: dict[str, FieldChoice] = field(default_factory=dict)
    identifiers: dict[str, str] = field(default_factory=dict)
    ranking: list[tuple[str, float]] = field(default_factory=list)  # kinds, best first
    questions: list[Question] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)  # field -> why it has no column
    error: str | None = None  # the file could not be read
    source: str | None = None  # the source it became
    context: bool = False  # already a source: read to relate, not added
    # source settings beyond kind and columns (a wide survey: layout, header_rows, metadata)
    settings: dict = field(default_factory=dict)
    answers_from: list[str] = field(default_factory=list)  # a wide survey's question columns

    @property
    def columns(self) -> list[str]:
        return self.sample.columns if self.sample else []

    @property
    def unmapped(self) -> list[str]:
        used = {c.column for c in self.mapping.values()} | set(self.answers_from)
        return [c for c in self.columns if c not in used]

    @property
    def blocked(self) -> bool:
        return self.error is None and any(q.blocking for q in self.questions)


@dataclass
class SourcePlan:
    """A source to add: one or more files of the same shape."""

    name: str
    kind: str | None
    files: list[FileDecision]

    @property
    def decision(self) -> FileDecision:
        return self.files[0]

    @property
    def columns(self) -> dict[str, str]:
        return {f: c.column for f, c in self.decision.mapping.items()}

    @property
    def blocked(self) -> bool:
        return any(f.blocked for f in self.files) or self.kind is None


@dataclass
class Discovery:
    """The result of looking at a set of files."""

    sources: list[SourcePlan] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not data, unreadable
    already: list[tuple[Path, str]] = field(default_factory=list)  # already a source (name)

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sources for f in s.files for q in f.questions]

    @property
    def blocking(self) -> list[Question]:
        return [q for q in self.questions if q.blocking]
