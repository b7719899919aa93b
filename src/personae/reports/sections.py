"""The pieces a report is made of, independent of the format it is written in.

The customer profile report (:mod:`personae.reports.profile_report`) produces sections;
the HTML, Markdown and PDF writers (:mod:`personae.reports.persona_report`) render them.
Keeping the content format-free means one computation serves every output.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chart:
    """A chart rendered offline to a self-contained SVG string (no external references)."""

    key: str  # unique within the report; used as the HTML id and the file name of exports
    title: str
    svg: str
    alt: str  # what the chart shows, in one sentence, for screen readers and Markdown
    caption: str = ""  # how to read it / where the numbers come from


@dataclass(frozen=True)
class Table:
    """A small table of already formatted cells."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)  # right-align these columns
    note: str = ""


@dataclass(frozen=True)
class ReportSection:
    """One section of the customer profile report."""

    key: str
    title: str
    intro: str
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
