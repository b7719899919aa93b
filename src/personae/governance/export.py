"""Subject-access export: everything the workspace holds on one person, as JSON and CSVs.

The rows are chosen by the same filters erasure deletes with
(:func:`personae.governance.subject.row_filters`), so what a person is shown is exactly
what an erasure would remove. The export is deterministic — rows in a fixed order, no
clock in the document — so two exports of unchanged data are byte-identical.

Files written to ``out_dir``: ``subject.json`` (the whole document) and one CSV per table
that holds rows about the person (``<table>.csv``), plus ``quoted_in.csv`` (their words
quoted in themes and persona documents) and ``tracking_log.csv`` (their lines in the
tracking API's event log) when there are any.

Records that *mention* them (their e-mail, phone in any format or id in the text of a
record that is not theirs; see :mod:`personae.governance.mentions`) are listed under
``mentions`` with their rows (``mentions_<table>.csv``) whatever ``[governance]
erase_mentions`` says; with ``"delete"`` they are among ``records`` too, since erasure
deletes them with the person's own.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from personae.config import Config
from personae.engine import quote_ident as q
from personae.engine import quote_literal as lit
from personae.governance.subject import (
    Subject,
    columns,
    find_subject,
    has_relation,
    log_lines,
    persona_quotes,
    row_filters,
    workspace_settings,
)

DOCUMENT = "subject.json"
FORMAT_VERSION = "1.0"

# Where each table's rows go in the document (tables not named here go under "other").
SECTIONS: dict[str, tuple[str, ...]] = {
    "profile": ("profiles", "profile_sources", "account_links"),
    "identifiers": ("identity_map",),
    "consent": ("consent_events", "consent_state"),
    "scores": ("value_scores", "value_orders", "icp_scores"),
    "segment": ("segments",),
    "text": ("text_docs", "text_snippets", "text_profile_attributes"),
    "identity": ("identity_signatures", "identity_occurrences", "identity_audit"),
}


@dataclass
class SubjectExport:
    """What :func:`export_subject` wrote."""

    subject: Subject
    out_dir: Path
    json_path: Path
    csv_paths: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.subject.found

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _plain(value: Any) -> Any:
    """A JSON-ready value (dates as ISO text, decimals as numbers)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _rows(con: duckdb.DuckDBPyConnection, table: str, cond: str) -> list[dict[str, Any]]:
    types = columns(con, table)
    wide = [c for c, t in types.items() if t in ("HUGEINT", "UHUGEINT")]  # Arrow: doubles
    star = "*" + (
        " REPLACE (" + ", ".join(f"CAST({q(c)} AS BIGINT) AS {q(c)}" for c in wide) + ")"
        if wide
        else ""
    )
    got = con.sql(f"SELECT {star} FROM {q(table)} t WHERE {cond} ORDER BY ALL").to_arrow_table()
    rows = got.to_pylist()
    json_cols = [c for c, t in types.items() if t == "JSON"]
    for row in rows:
        for c in json_cols:
            if isinstance(row.get(c), str):
                with contextlib.suppress(json.JSONDecodeError):
                    row[c] = json.loads(row[c])
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(
                [
                    json.dumps(v, ensure_ascii=False, sort_keys=True)
                    if isinstance(v, dict | list)
                    else ("" if v is None else v)
                    for v in row
                ]
            )
    os.replace(tmp, path)


def _quoted_in(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if has_relation(con, "text_themes"):
        for facet, theme, label, quote in con.execute(
            "SELECT facet, theme_id, label, quote FROM text_themes WHERE quote IS NOT NULL AND "
            "(quote_snippet_id IN (SELECT unnest($s::VARCHAR[])) "
            "OR quote_record_id IN (SELECT unnest($r::VARCHAR[]))) ORDER BY ALL",
            {"s": subject.snippet_ids, "r": subject.record_ids},
        ).fetchall():
            out.append(
                {"where": "text_themes", "item": f"{facet} theme {theme} ({label})", "text": quote}
            )
    if has_relation(con, "personas"):
        ids = set(subject.record_ids)
        for pid, version, doc in con.execute(
            "SELECT id, version, document FROM personas ORDER BY id, version"
        ).fetchall():
            for text in sorted(set(persona_quotes(json.loads(doc), ids))):
                out.append({"where": "personas", "item": f"{pid} v{version}", "text": text})
    return out


def _segment_names(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Add the persona standing for each of their segments (what the segment is called)."""
    if not rows or not has_relation(con, "personas"):
        return
    names = {
        seg: {"persona_id": pid, "persona_title": title}
        for seg, pid, title in con.execute(
            "SELECT segment, id, title FROM personas WHERE current ORDER BY ALL"
        ).fetchall()
    }
    for row in rows:
        row.update(names.get(row.get("segment"), {}))


def _clear_previous(out_dir: Path) -> None:
    """Remove the files a previous export to this folder wrote (and only those)."""
    previous = out_dir / DOCUMENT
    if not previous.exists():
        return
    try:
        listed = json.loads(previous.read_text(encoding="utf-8")).get("files", [])
    except (json.JSONDecodeError, AttributeError):
        listed = []
    for name in listed:
        target = out_dir / Path(name).name
        if target.suffix == ".csv" and target.exists():
            target.unlink()


def export_subject(
    con: duckdb.DuckDBPyConnection,
    workspace_path: str | Path,
    id_type: str,
    value: str,
    out_dir: str | Path,
    *,
    settings: Config | None = None,
) -> SubjectExport:
    """Write everything held on the person behind ``id_type:value`` to ``out_dir``.

    ``settings`` defaults to the workspace's ``personae.toml``. A person the workspace does
    not know still gets a document (saying so), which is the honest answer to a request.
    """
    settings = workspace_settings(workspace_path, settings)
    subject = find_subject(con, id_type, value, settings)
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    _clear_previous(out)
    result = SubjectExport(subject, out, out / DOCUMENT)
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "request": {"id_type": id_type, "value": value},
        "found": subject.found,
        "subject": {
            "profile_ids": subject.profile_ids,
            "identifiers": [{"type": t, "value": v} for t, v in subject.identifiers],
            "names": [{"first_name": f, "last_name": la} for f, la in subject.names],
        },
    }
    sections: dict[str, dict[str, list[dict[str, Any]]]] = {}
    subject.register(con)
    try:
        filters = row_filters(con, subject) if subject.found else {}
        for table, cond in filters.items():
            rows = _rows(con, table, cond)
            if not rows:
                continue
            if table == "segments":
                _segment_names(con, rows)
            section = next((s for s, names in SECTIONS.items() if table in names), None)
            if table.startswith("raw_"):
                section = "records"
            sections.setdefault(section or "other", {})[table] = rows
            result.counts[table] = len(rows)
            path = out / f"{table}.csv"
            header = list(rows[0])
            _write_csv(path, header, [[r.get(c) for c in header] for r in rows])
            result.csv_paths[table] = path
        quoted = _quoted_in(con, subject) if subject.found else []
        mentions = _mention_rows(con, subject)
    finally:
        subject.unregister(con)
    for table, rows in mentions.items():
        name = f"mentions_{table}"
        result.counts[name] = len(rows)
        path = out / f"{name}.csv"
        header = list(rows[0])
        _write_csv(path, header, [[r.get(c) for c in header] for r in rows])
        result.csv_paths[name] = path
    for name in ("profile", "identifiers", "records", "consent", "scores", "segment", "text"):
        doc[name] = sections.get(name, {})
    doc["identity"] = sections.get("identity", {})
    doc["other"] = sections.get("other", {})
    doc["mentions"] = mentions
    doc["quoted_in"] = quoted
    if quoted:
        result.counts["quoted_in"] = len(quoted)
        path = out / "quoted_in.csv"
        _write_csv(
            path, ["where", "item", "text"], [[x["where"], x["item"], x["text"]] for x in quoted]
        )
        result.csv_paths["quoted_in"] = path
    lines = log_lines(workspace_path, subject) if subject.found else []
    doc["tracking_log"] = [_log_entry(Path(workspace_path), line) for line in lines]
    if lines:
        result.counts["tracking_log"] = len(lines)
        path = out / "tracking_log.csv"
        _write_csv(
            path,
            ["segment", "line", "message"],
            [[e["segment"], e["line"], e["message"]] for e in doc["tracking_log"]],
        )
        result.csv_paths["tracking_log"] = path
    doc["files"] = sorted(p.name for p in result.csv_paths.values())
    doc["counts"] = dict(sorted(result.counts.items()))
    tmp = result.json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, result.json_path)
    return result


def _mention_rows(
    con: duckdb.DuckDBPyConnection, subject: Subject
) -> dict[str, list[dict[str, Any]]]:
    """The rows of the raw records that mention them, by table."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, keys in sorted(subject.mentions.items()):
        table = f"raw_{kind}"
        if kind == "quarantine" or not keys or not has_relation(con, table):
            continue
        files = ", ".join(lit(f) for f in sorted({f for f, _ in keys}))
        wanted = {(f, r) for f, r in keys}
        rows = [
            r
            for r in _rows(con, table, f"t._source_file IN ({files})")
            if (r.get("_source_file"), r.get("_source_row")) in wanted
        ]
        if rows:
            out[table] = rows
    return out


def _log_entry(workspace: Path, line: Any) -> dict[str, Any]:
    try:
        message: Any = json.loads(line.data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        message = line.data.decode("utf-8", "replace")
    try:
        segment = str(line.path.relative_to(workspace))
    except ValueError:
        segment = str(line.path)
    entry = {"segment": segment, "line": line.number, "message": message}
    if line.mentions:
        entry["mentions_only"] = True  # not their event: a line that mentions them
    return entry


__all__ = ["DOCUMENT", "SubjectExport", "export_subject"]
