"""The data-quality report of the ingested sources: ``reports/ingest.md`` in the workspace.

What a data owner checks before trusting anything built on top: did every row arrive, what
was rejected and why (with an example of each), how complete every field is, and which
period each source covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from personae.engine import quote_ident as q
from personae.ingest.decisions import latest_decisions
from personae.ingest.schema import KINDS, FieldType

# The timestamp that dates a record of each kind.
_TIME_FIELD = {
    "contacts": "created_at",
    "accounts": "created_at",
    "orders": "order_date",
    "events": "timestamp",
    "email_events": "timestamp",
    "survey_responses": "submitted_at",
    "tickets": "created_at",
    "reviews": "created_at",
    "social_posts": "created_at",
    "marketing_spend": "month",
}


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += [
        "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in r) + " |" for r in rows
    ]
    return "\n".join(lines)


def _n(x: int | None) -> str:
    return f"{x or 0:,}"


def render_ingest_report(
    con: duckdb.DuckDBPyConnection, workspace_name: str, locale: Sequence[str] = ()
) -> str:
    """Markdown for the current state of the workspace's raw tables and quarantine.

    ``locale``: how the reporting currency and the phone region were decided, one line each.
    """
    out = [
        f"# Data intake report — {workspace_name}",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Every file ever ingested into "
        "this workspace is counted once per ingest run; rows in = ingested + rejected + "
        "duplicates skipped, for every file.",
    ]

    ledger = con.execute("""
        SELECT kind, coalesce(source, '(command line)') AS source, count(DISTINCT source_file),
               sum(rows_in), sum(ingested), sum(rejected), sum(duplicates)
        FROM ingest_files GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
    out.append("## Sources")
    if not ledger:
        out.append("Nothing has been ingested yet.")
        return "\n\n".join(out) + "\n"
    out.append(
        _md_table(
            ["kind", "source", "files", "rows in", "ingested", "rejected", "duplicates"],
            [[k, s, _n(f), _n(i), _n(g), _n(r), _n(d)] for k, s, f, i, g, r, d in ledger],
        )
    )

    if locale:
        out.append("## Currency and phone region")
        out.append(
            "Settings left empty are decided from the data (currency codes, symbols and "
            "header hints in the money columns; `+44` prefixes and country columns for phone "
            "numbers); reports and personas show money in the reporting currency."
        )
        out.append("\n".join(f"- {line}" for line in locale))
        out += _locale_rows(con)
    out += _reading_sections(con)

    out.append("## Rejected rows")
    reasons = con.execute("""
        SELECT kind, reason, count(*) AS n, arg_min(source_file, source_row),
               min(source_row), arg_min(column_name, source_row), arg_min(detail, source_row)
        FROM quarantine GROUP BY 1, 2 ORDER BY 1, n DESC""").fetchall()
    if reasons:
        out.append(
            "Every rejected row is kept in the `quarantine` table with its file, record "
            "number, column, reason and raw text (`personae quarantine`). One example "
            "per reason:"
        )
        out.append(
            _md_table(
                ["kind", "reason", "rows", "example", "column", "detail"],
                [
                    [k, r, _n(n), f"{Path(f).name}:{row}", c or "", (d or "")[:120]]
                    for k, r, n, f, row, c, d in reasons
                ],
            )
        )
    else:
        out.append("None: every row was readable.")

    out.append("## Field coverage")
    out.append(
        "Share of ingested rows with a value, per field (fields no file provided are left out)."
    )
    for kind in KINDS.values():
        total = con.execute(f"SELECT count(*) FROM {kind.table}").fetchall()[0][0]
        if not total:
            continue
        fields = [f for f in kind.fields]
        counts = con.execute(
            "SELECT " + ", ".join(f"count({q(f.name)})" for f in fields) + f" FROM {kind.table}"
        ).fetchall()[0]
        rows = [
            [f"`{f.name}`", f.type.value, f"{c / total:.0%}"]
            for f, c in zip(fields, counts, strict=True)
            if c
        ]
        period = ""
        tf = _TIME_FIELD.get(kind.name)
        if tf and kind.field(tf).type in (FieldType.TIMESTAMP, FieldType.DATE, FieldType.MONTH):
            lo, hi = con.execute(f"SELECT min({q(tf)}), max({q(tf)}) FROM {kind.table}").fetchall()[
                0
            ]
            if lo is not None:
                period = f", {tf} from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}"
        out.append(f"### {kind.name} ({_n(total)} rows{period})")
        out.append(_md_table(["field", "type", "filled"], rows))
    return "\n\n".join(out) + "\n"


def _reading_sections(con: duckdb.DuckDBPyConnection) -> list[str]:
    """How each file was read (encoding, delimiter, header, sheet) and how each date and
    number column was decided (docs/input-data.md, "How files are read")."""
    rows = latest_decisions(con)
    if not rows:
        return []
    out = ["## How the files were read"]
    files: dict[str, dict[str, str]] = {}
    for f, topic, _, decision, evidence, _ in rows:
        if topic in ("sheet", "encoding", "delimiter", "header"):
            files.setdefault(f, {})[topic] = f"{decision} ({evidence})"
    if files:
        out.append(
            _md_table(
                ["file", "sheet", "encoding", "delimiter", "header"],
                [
                    [
                        Path(f).name,
                        d.get("sheet", ""),
                        d.get("encoding", ""),
                        d.get("delimiter", ""),
                        d.get("header", "first row"),
                    ]
                    for f, d in files.items()
                ],
            )
        )
    dates = [r for r in rows if r[1] in ("date_order", "excel_serial")]
    if dates:
        out.append("### Date columns")
        out.append(
            "The order of day and month is decided for each date column from all of its "
            "values: one value with a first part above 12 settles day-first (DMY), one with "
            "a second part above 12 month-first (MDY). A column with no deciding value uses "
            "the date_order setting; a column that mixes both is an error and its day/month "
            "rows are quarantined."
        )
        out.append(
            _md_table(
                ["file", "column", "read as", "how it was decided"],
                [
                    [
                        Path(f).name,
                        c or "",
                        ("**error: mixed**" if sev == "error" else d),
                        e,
                    ]
                    for f, _, c, d, e, sev in dates
                ],
            )
        )
    unused = [r for r in rows if r[1] == "unmapped"]
    if unused:
        out.append("### Columns not used")
        out.append(
            "No field reads these columns; their values are kept in each record's `_extra` "
            'JSON. Map one with `[sources.NAME.columns] field = "column"` in personae.toml.'
        )
        out.append(
            _md_table(
                ["file", "column", "closest field"],
                [[Path(f).name, c or "", e] for f, _, c, _, e, _ in unused],
            )
        )
    numbers = [r for r in rows if r[1] == "decimal"]
    if numbers:
        out.append("### Number columns")
        out.append(
            _md_table(
                ["file", "column", "decimal separator", "how it was decided"],
                [[Path(f).name, c or "", d, e] for f, _, c, d, e, _ in numbers],
            )
        )
    return out


def _locale_rows(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What each file showed about its currency and phone region."""
    rows = [r for r in latest_decisions(con) if r[1] in ("currency", "phone_region")]
    if not rows:
        return []
    return [
        _md_table(
            ["file", "column", "topic", "decided", "evidence"],
            [[Path(f).name, c or "", t.replace("_", " "), d, e] for f, t, c, d, e, _ in rows],
        )
    ]


def write_ingest_report(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    workspace_name: str,
    locale: Sequence[str] = (),
) -> Path:
    """Write ``folder/ingest.md`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ingest.md"
    path.write_text(render_ingest_report(con, workspace_name, locale), encoding="utf-8")
    return path
