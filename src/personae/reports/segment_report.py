"""``reports/segments.md``: the segments, what sets each apart, and how they were chosen.

Minimum group size (k): a segment of fewer than k shows "< k" for its size and no figures;
its description (from :func:`personae.segments.describe.describe_segments` with the same k)
says it is not described.
"""

from __future__ import annotations

from pathlib import Path

from personae.governance.kanon import DEFAULT_MIN_GROUP_SIZE, check_k, fewer_than, small
from personae.locale.money import money_text
from personae.segments.models import ALGORITHM_TITLES


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def render_segment_report(
    result,
    workspace_name: str,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    currency: str = "USD",
) -> str:
    k = check_k(min_group_size)
    if result.choice is None:  # one group for everyone: nothing was chosen
        return _render_single_group(result, workspace_name, k, currency)
    win = result.choice.winner
    lines = [
        f"# Segments — {workspace_name}",
        "",
        f"{result.entities:,} {result.entity}s in {len(result.descriptions)} segments, found "
        f"by **{ALGORITHM_TITLES.get(win.algorithm, win.algorithm)}** with k = {win.k}. "
        f"{'Every segment kept' if win.stable else 'Not every segment kept'} its shape under "
        f"bootstrap resampling: lowest per-segment Jaccard {win.min_jaccard:.2f}, mean "
        f"{win.mean_jaccard:.2f}, "
        f"agreement between bootstrap refits and the chosen fit (adjusted Rand index) "
        f"{win.bootstrap_ari:.2f}.",
        "",
        "| # | segment | role | size | share | revenue share | mean value | stability |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    few = [d.segment for d in result.descriptions if small(d.size, k)]
    for d in result.descriptions:
        if d.segment in few:
            lines.append(f"| {d.segment} | {d.name} | {d.role} | < {k:,} | – | – | – | – |")
            continue
        lines.append(
            f"| {d.segment} | {d.name} | {d.role} | {d.size:,} | {_pct(d.share)} | "
            f"{_pct(d.revenue_share)} | {money_text(d.mean_value, currency)} | "
            f"{result.stability.get(d.segment, 0):.2f} |"
        )
    if few:
        lines += [
            "",
            f"Segment{'s' if len(few) > 1 else ''} {', '.join(map(str, few))}: "
            f"{fewer_than(k, result.entity + 's')}, so no figures are shown (minimum group "
            "size).",
        ]
    lines.append("")
    for d in result.descriptions:
        lines += [f"## {d.segment}. {d.name} ({d.role})", ""]
        if d.segment in few:
            lines += [
                f"Not described: {fewer_than(k, result.entity + 's')} (minimum group size).",
                "",
            ]
            continue
        for reason in d.reasons:
            lines.append(f"*{reason}*")
        if d.reasons:
            lines.append("")
        lines += [f"- {sentence}" for sentence in d.sentences]
        if d.differences:
            lines += [
                "",
                "| attribute | value | segment | everyone | lift / std. diff. | p (adj.) |",
                "|---|---|---:|---:|---:|---:|",
            ]
            for x in d.differences:
                if x.kind == "category":
                    seg, allv, eff = _pct(x.segment_value), _pct(x.overall_value), f"{x.lift:.1f}×"
                else:
                    seg, allv = f"{x.segment_value:,.2f}", f"{x.overall_value:,.2f}"
                    eff = f"{x.std_diff:+.2f} sd"
                lines.append(
                    f"| {x.label} | {x.level or ''} | {seg} | {allv} | {eff} | {x.p_value:.1e} |"
                )
        lines.append("")
    lines += [
        "## How the segments were chosen",
        "",
        f"Rule: {result.choice.rule}. Chosen on a seeded sample of {result.sample:,} "
        f"{result.entity}s; a candidate is rejected when any segment's bootstrap Jaccard "
        "is under the `[segments] min_jaccard` threshold.",
        "",
        "| algorithm | k | criterion | value | separation | min Jaccard | mean Jaccard | "
        "bootstrap ARI | verdict |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in result.choice.candidates:
        verdict = c.note or ("stable" if c.stable else "")
        mark = "**" if c.chosen else ""
        lines.append(
            f"| {mark}{c.algorithm}{mark} | {c.k} | {c.criterion_name} | {c.criterion:,.3f} | "
            f"{c.separation:.3f} | {c.min_jaccard:.2f} | {c.mean_jaccard:.2f} | "
            f"{c.bootstrap_ari:.2f} | {verdict} |"
        )
    lines += [
        "",
        f"Numeric attributes ({len(result.numeric)}): {', '.join(result.numeric) or '–'}.",
        "",
        f"Categorical attributes ({len(result.categorical)}): "
        f"{', '.join(result.categorical) or '–'}.",
        "",
    ]
    if result.dropped:
        lines.append(
            "Left out: " + "; ".join(f"{k} ({v})" for k, v in sorted(result.dropped.items())) + "."
        )
        lines.append("")
    lines += [f"Outliers: {result.outlier_note}.", ""]
    return "\n".join(lines)


def _render_single_group(result, workspace_name: str, k: int, currency: str) -> str:
    """The report of a step that kept one group for everyone: its size, value and why."""
    (d,) = result.descriptions
    lines = [f"# Segments — {workspace_name}", "", result.single_group, ""]
    if small(d.size, k):
        lines += [f"Not described: {fewer_than(k, result.entity + 's')} (minimum group size).", ""]
        return "\n".join(lines)
    lines += [
        "| # | segment | role | size | share | revenue share | mean value |",
        "|---|---|---|---:|---:|---:|---:|",
        f"| {d.segment} | {d.name} | {d.role} | {d.size:,} | {_pct(d.share)} | "
        f"{_pct(d.revenue_share)} | {money_text(d.mean_value, currency)} |",
        "",
        "No algorithm was fitted and nothing was resampled, so there is no stability figure; "
        "personas and the report describe this one group.",
        "",
    ]
    return "\n".join(lines)


def write_segment_report(
    result,
    reports_dir: Path,
    workspace_name: str,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    currency: str = "USD",
) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / "segments.md"
    text = render_segment_report(result, workspace_name, min_group_size, currency)
    path.write_text(text, encoding="utf-8")
    return path
