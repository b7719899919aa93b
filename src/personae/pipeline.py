"""The main job, step by step: today generate demo data, declare it as sources, ingest it.

``personae demo`` runs :func:`run_demo`. Later steps (identity, profiles, value, segments,
personas, reports) append themselves here so the demo always ends with the furthest result
the pipeline can produce.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personae.build import BuildResult
from personae.config import CONFIG_FILE
from personae.ingest.loader import IngestReport
from personae.workspace import Workspace, WorkspaceError

# Demo file stem -> (source name, kind). Event batch files share the events source via a glob.
DEMO_FILES: dict[str, tuple[str, str]] = {
    "crm_accounts": ("crm_accounts", "accounts"),
    "crm_contacts": ("crm_contacts", "contacts"),
    "orders": ("orders", "orders"),
    "events": ("events", "events"),
    "email_activity": ("email_activity", "email_events"),
    "survey_responses": ("surveys", "survey_responses"),
    "support_tickets": ("support_tickets", "tickets"),
    "reviews": ("reviews", "reviews"),
    "social_posts": ("social_posts", "social_posts"),
    "marketing_spend": ("marketing_spend", "marketing_spend"),
}


@dataclass
class DemoResult:
    workspace: Workspace
    data_dir: Path
    report: IngestReport
    customers: int
    scenario: str
    report_path: Path
    build: BuildResult
    text: Any = None  # personae.text.build.TextResult
    value: Any = None  # personae.value.build.ValueResult
    icp: Any = None  # personae.value.icp.IdealCustomerProfile
    leads: Path | None = None  # the demo prospect list, scored
    segments: Any = None  # personae.segments.build.SegmentResult
    personas: Any = None  # personae.personas.build.PersonaResult
    report_files: Any = None  # personae.reports.persona_report.ReportFiles


def demo_sources(data_dir: Path, relative_to: Path) -> list[tuple[str, str, list[str]]]:
    """(source name, kind, path patterns) for every demo file present in ``data_dir``."""
    out = []
    for stem, (name, kind) in DEMO_FILES.items():
        files = sorted(
            p for p in data_dir.iterdir() if p.is_file() and p.name.split(".")[0] == stem
        )
        if not files:
            continue
        patterns = [str(p.relative_to(relative_to)) for p in files]
        if stem == "events" and any(data_dir.glob("events_batch_*.json")):
            patterns.append(str((data_dir / "events_batch_*.json").relative_to(relative_to)))
        out.append((name, kind, patterns))
    return out


def _fresh_folder(path: Path) -> None:
    """Empty a demo folder, refusing to touch one that is not a personae workspace."""
    if not path.exists():
        return
    if not any(path.iterdir()):
        return
    if not (path / CONFIG_FILE).exists():
        raise WorkspaceError(
            f"{path} exists and is not a personae workspace; the demo will not "
            "overwrite it. Fix: choose another folder or remove it."
        )
    shutil.rmtree(path)


def run_demo(
    path: Path,
    *,
    scenario: str = "retail",
    customers: int = 5000,
    seed: int = 42,
    fmt: str = "auto",
    on_generate: Callable[[int, int], None] | None = None,
    on_ingest: Callable[[Path, int, int], None] | None = None,
    on_build: Callable[[str], None] | None = None,
    fuzzy: bool = True,
    memory_limit: str | None = None,
) -> DemoResult:
    """Generate the demo into a fresh workspace at ``path`` and run the pipeline on it."""
    from personae.demo import generate

    path = Path(path).expanduser().resolve()
    _fresh_folder(path)
    ws = Workspace.init(path, name=f"personae demo ({scenario})")
    data_dir = path / "data"
    generate(scenario, customers, seed, data_dir, fmt=fmt, progress=on_generate)
    for name, kind, patterns in demo_sources(data_dir, path):
        ws.add_source(name, kind, patterns)
    if fuzzy:
        enable_fuzzy_matching(ws)
    set_brand(ws, scenario)
    if memory_limit:
        set_memory_limit(ws, memory_limit)
    report = ws.ingest(progress=on_ingest)
    report_path = ws.write_ingest_report()
    built = ws.build(progress=on_build)
    if on_build:
        on_build("Reading what customers wrote")
    text = ws.text()
    if on_build:
        on_build("Scoring customer value")
    value = ws.value()
    icp = ws.icp()
    leads, _ = ws.score_leads(data_dir / "prospects.csv")
    if on_build:
        on_build("Finding customer segments")
    segments = ws.segment(progress=on_build)
    if on_build:
        on_build("Writing personas")
    personas = ws.personas(progress=on_build)
    report_files = ws.report(progress=on_build)
    return DemoResult(
        ws,
        data_dir,
        report,
        customers,
        scenario,
        report_path,
        built,
        text,
        value,
        icp,
        leads,
        segments,
        personas,
        report_files,
    )


def set_brand(ws: Workspace, scenario: str) -> None:
    """Tell ``[text]`` the demo brand: its name is no theme, its handle is no PII."""
    from personae.config import toml_string
    from personae.demo.catalog import BRAND

    brand = BRAND[scenario]
    path = ws.path / CONFIG_FILE
    text = path.read_text(encoding="utf-8")
    allow = ", ".join(toml_string(a) for a in brand["allow"])
    text = text.replace(
        "stop_words = []", f"stop_words = [{toml_string(brand['name'])}]", 1
    ).replace("allow = []", f"allow = [{allow}]", 1)
    path.write_text(text, encoding="utf-8")
    ws.reload()


def set_memory_limit(ws: Workspace, limit: str) -> None:
    """Set ``[engine] memory_limit`` (DuckDB's buffer pool; its default is 80% of RAM)."""
    from personae.config import toml_string

    path = ws.path / CONFIG_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('memory_limit = ""', f"memory_limit = {toml_string(limit)}", 1),
        encoding="utf-8",
    )
    ws.reload()
    if ws.config.engine.memory_limit != limit:
        raise WorkspaceError(f"could not set [engine] memory_limit to {limit!r}")


def enable_fuzzy_matching(ws: Workspace) -> None:
    """Turn on ``[identity.fuzzy] enabled`` in the workspace's personae.toml (the demo's CRM
    has duplicates with typos and no shared identifier, which only fuzzy matching finds)."""
    path = ws.path / CONFIG_FILE
    text = path.read_text(encoding="utf-8")
    head, sep, tail = text.partition("[identity.fuzzy]")
    if not sep:
        return
    tail = tail.replace("enabled = false", "enabled = true", 1)
    path.write_text(head + sep + tail, encoding="utf-8")
    ws.reload()
