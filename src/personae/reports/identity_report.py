"""The identity report: ``reports/identity.md`` in the workspace, written by every build.

What an analyst checks before trusting the profiles: how many people were found (and how
many visitors stayed anonymous), how much of each source links to someone, which
identifiers the merge guards stopped and why, what fuzzy matching added, how big profiles
get, and how complete the main attributes are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from personae.reports.ingest_report import _md_table

COVERAGE = (
    "first_name",
    "gender",
    "age",
    "city",
    "country",
    "job_title",
    "account_id",
    "orders",
    "revenue",
    "sessions",
    "emails_sent",
    "support_tickets",
    "reviews",
    "survey_responses",
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def write_identity_report(con: duckdb.DuckDBPyConnection, reports_dir: Path, result) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    out = [
        "# Identity and profiles",
        "",
        f"Built {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {result.engine} in "
        f"{result.seconds:.1f} s; time-based attributes are as of {result.as_of}.",
        "",
        f"- **{result.profiles - result.anonymous_profiles:,} people** with a name, login, "
        f"email, phone or CRM record, and {result.anonymous_profiles:,} anonymous visitors "
        "(web or app sessions never identified).",
        f"- {result.accounts:,} B2B accounts.",
        f"- {result.linked_records:,} records linked to a profile; {result.unlinked_records:,} "
        "carry no usable identifier (missing, junk or ambiguous).",
        f"- {result.conflicts:,} identifiers stopped by merge guards; {result.fuzzy_links:,} "
        "links found by fuzzy matching.",
        "",
        "## Records per source",
        "",
    ]
    rows = _rows(
        con,
        """
        SELECT kind, CAST(sum(n_records) AS BIGINT),
               CAST(sum(CASE WHEN profile_id IS NOT NULL THEN n_records ELSE 0 END) AS BIGINT)
        FROM identity_signatures GROUP BY kind ORDER BY 2 DESC
        """,
    )
    out.append(
        _md_table(
            ["source kind", "records", "linked to a profile", "share"],
            [
                [k, f"{n:,}", f"{linked:,}", f"{linked / n:.1%}" if n else "—"]
                for k, n, linked in rows
            ],
        )
    )
    out += ["", "## Identifiers", ""]
    rows = _rows(
        con,
        """
        SELECT id_type, count(*), count(*) FILTER (WHERE status = 'linked'),
               count(*) FILTER (WHERE status = 'conflict'),
               count(*) FILTER (WHERE status = 'split')
        FROM identity_map GROUP BY id_type, priority ORDER BY priority
        """,
    )
    out.append(
        _md_table(
            ["type", "distinct values", "linking", "stopped: conflict", "stopped: split"],
            [[t, f"{n:,}", f"{a:,}", f"{b:,}", f"{c:,}"] for t, n, a, b, c in rows],
        )
    )
    out += [
        "",
        "## Merge-guard decisions",
        "",
        "An identifier seen with more identifiers of a higher-priority type than that type's "
        "limit links nothing (a shared device, a shared inbox); links that would put too many "
        "identifiers of a type in one profile are cut. Up to 15 examples; "
        "`personae identity explain TYPE:VALUE` tells the whole story of any of them.",
        "",
    ]
    rows = _rows(
        con,
        """
        SELECT rule, id_type || ':' || id_value, coalesce(detail, ''),
               coalesce(other_type || ':' || other_value, ''),
               coalesce(example_kind || ' ' || example_file || ' row '
                        || CAST(example_row AS VARCHAR), '')
        FROM identity_audit
        WHERE rule IN ('conflict', 'split_cut', 'split_tie', 'split_unreached')
        ORDER BY rule, id_type, id_value LIMIT 15
        """,
    )
    out.append(
        _md_table(
            ["decision", "identifier", "because", "e.g. with", "example record"],
            [
                [
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    Path(r[4].split(" row ")[0]).name
                    + (" row " + r[4].split(" row ")[1] if " row " in r[4] else "")
                    if r[4]
                    else "",
                ]
                for r in rows
            ],
        )
        if rows
        else "No identifier was stopped."
    )
    fuzzy = _rows(
        con,
        "SELECT count(*), min(match_probability), median(match_probability) "
        "FROM identity_audit WHERE rule = 'fuzzy_match'",
    )[0]
    out += ["", "## Fuzzy matching", ""]
    if fuzzy[0]:
        cut = _rows(
            con,
            "SELECT count(*) FROM identity_audit WHERE rule = 'split_cut' "
            "AND detail LIKE 'link (fuzzy_match)%'",
        )[0][0]
        out.append(
            f"{fuzzy[0]:,} CRM records linked by name, birth date and address (match "
            f"probability {fuzzy[1]:.3f} to 1, median {fuzzy[2]:.4f}); {cut:,} of the links "
            "found were cut by the merge guards because they would have joined two user ids."
        )
    else:
        out.append("Off, or no match above the threshold (`[identity.fuzzy]` in personae.toml).")
    size = _rows(
        con,
        """
        SELECT quantile_cont(records, 0.5), quantile_cont(records, 0.9),
               quantile_cont(records, 0.99), max(records), max(identifiers)
        FROM profiles WHERE NOT anonymous
        """,
    )[0]
    out += [
        "",
        "## Profile sizes (named people)",
        "",
        _md_table(
            ["records: median", "90th pct", "99th pct", "max", "most identifiers"],
            [[f"{v:,.0f}" if v is not None else "—" for v in size]],
        ),
        "",
        "## Attribute coverage (named people)",
        "",
    ]
    cols = {r[0] for r in _rows(con, "SELECT column_name FROM (DESCRIBE profiles)")}
    present = [c for c in COVERAGE if c in cols]
    if present:
        counts = _rows(
            con,
            "SELECT count(*), "
            + ", ".join(
                f"count(*) FILTER (WHERE {c} IS NOT NULL "
                f"AND CAST({c} AS VARCHAR) NOT IN ('0', '0.0'))"
                for c in present
            )
            + " FROM profiles WHERE NOT anonymous",
        )[0]
        total = counts[0] or 1
        out.append(
            _md_table(
                ["attribute", "profiles with a value", "share"],
                [
                    [c, f"{n:,}", f"{n / total:.1%}"]
                    for c, n in zip(present, counts[1:], strict=True)
                ],
            )
        )
    path = reports_dir / "identity.md"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
