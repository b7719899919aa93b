"""Decide each file's kind and column mapping, and what is left to ask.

Order of evidence, strongest first: a vendor's header signature (a preset), values that
are another file's identifiers (relate.py), then each column's contents and header
(score.py). A decision below :data:`~personae.ingest.discover.score.CONFIDENT` is not
taken: it becomes a :class:`Question` naming the file, the choices and the setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from personae.engine import connect
from personae.identity.identifiers import DEFAULT_FIELDS
from personae.ingest import parsers
from personae.ingest.discover import wide
from personae.ingest.discover.expect import expectation, expectations, header_score, one_of
from personae.ingest.discover.fit import content_fit
from personae.ingest.discover.model import Discovery, FileDecision, Question, SourcePlan
from personae.ingest.discover.presets import Preset, match_preset, preset_columns, timezone_of
from personae.ingest.discover.profile import ColumnProfile, profile_sample
from personae.ingest.discover.relate import Relation, find_relations, identifier_override
from personae.ingest.discover.sample import (
    SampleError,
    expand_archive,
    is_data_file,
    read_sample,
)
from personae.ingest.discover.score import CONFIDENT, FieldChoice, KindFit, fit_kind
from personae.ingest.errors import IngestError
from personae.ingest.mapping import resolve_columns
from personae.ingest.schema import KINDS, ROW_KEYED

# The field naming each kind's own records: a column that refers to another file's
# identifiers is not it.
OWN_KEY = {k.name: next((f.name for f in k.fields if f.required), "") for k in KINDS.values()}
FIRST_TIMES = ("order_date", "created_at", "submitted_at", "timestamp")
KIND_MARGIN = 0.12  # kind scores closer than this to the best are real alternatives


def data_files(paths: Iterable[Path], skip: Iterable[Path] = ()) -> list[Path]:
    """The files to look at: named files as given, folders walked (data files only)."""
    skip_set = {p.resolve() for p in skip}
    out: list[Path] = []
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and is_data_file(p)
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found = [p for p in found if not any(_inside(p, s) for s in skip_set)]
        else:
            found = [path]
        for p in found:
            out.extend(expand_archive(p) if p.suffix.lower() == ".zip" else [p])
    seen: set[Path] = set()
    unique = []
    for p in out:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    return unique


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def _profile(d: FileDecision, name: str) -> ColumnProfile:
    return next(p for p in d.profiles if p.name == name)


# --- one file --------------------------------------------------------------------------------
def read_file(path: Path, sample_rows: int = 2000) -> FileDecision:
    """Sample and profile a file (the decision is still empty)."""
    d = FileDecision(path)
    try:
        d.sample = read_sample(path, limit=sample_rows)
    except SampleError as exc:
        d.error = str(exc)
        return d
    if not d.sample.columns:
        d.error = "no columns found"
        return d
    d.profiles = profile_sample(d.sample)
    d.notes += d.sample.notes
    return d


def decide_file(d: FileDecision, kind: str | None = None) -> FileDecision:
    """Decide the kind (unless given) and the mapping of a sampled file."""
    if d.error:
        return d
    matched = match_preset(d.columns, {p.name: p.counts for p in d.profiles})
    if matched is not None and kind in (None, matched[0].kind):
        wide.drop_header_rows(d, matched[0])
        _apply_preset(d, *matched)
        if matched[0].layout == "wide":
            wide.settle_preset(d, matched[0])
    elif kind in (None, wide.KIND) and wide.detect(d):
        pass  # a wide survey with no preset (discover/wide.py)
    else:
        _choose_kind(d, kind)
    if d.kind is not None:
        _break_time_ties(d)
        settle(d)
        wide.settled(d)
    return d


def _apply_preset(d: FileDecision, preset: Preset, share: float) -> None:
    conf = preset.confidence(share)
    fixed: dict[str, FieldChoice] = {}
    for field_name, column in preset_columns(preset, d.columns).items():
        p, e = _profile(d, column), expectation(preset.kind, field_name)
        fit, why = content_fit(p, e)
        choice_conf = conf
        if p.non_null and fit < e.floor:
            d.notes.append(
                f"{column!r} is {field_name} in the {preset.title}, but its sampled values "
                f"do not look like it ({why})"
            )
            choice_conf = min(conf, CONFIDENT)
        fixed[field_name] = FieldChoice(
            field_name, column, 1.0, choice_conf, [f"{preset.vendor} layout", why], source="preset"
        )
    ignored = {c.lower() for c in preset.ignore}
    profiles = [p for p in d.profiles if p.name.lower() not in ignored]
    # beyond the layout, only columns whose header names a field (a custom column)
    fit = fit_kind(profiles, preset.kind, fixed=fixed, file_name=d.path.name, min_header=0.8)
    listed = len(preset.required) + len(preset.optional)
    d.kind, d.preset, d.confidence = preset.kind, preset, conf
    d.evidence = [
        f"header signature of the {preset.title} ({round(share * listed)} of {listed} "
        "documented headers)"
    ]
    d.mapping = fit.mapping
    d.notes += fit.notes
    d.identifiers = dict(preset.identifiers)
    shape = preset.row_shape
    if shape.get("note"):
        d.notes.append(shape["note"])
    if preset.constants:
        consts = ", ".join(f'{k} = "{v}"' for k, v in preset.constants.items())
        d.notes.append(f"the layout implies {consts} for every row")
    zone = timezone_of(preset, d.columns)
    if zone is not None:  # the export's times are wall-clock times in the zone it names
        d.settings["timezone"] = zone
        d.notes.append(f"the times are read in {zone}, the time zone the headers name")


def _choose_kind(d: FileDecision, kind: str | None) -> None:
    kinds = [kind] if kind else list(KINDS)
    fits = sorted(
        (fit_kind(d.profiles, k, file_name=d.path.name) for k in kinds),
        key=lambda f: -f.score,
    )
    d.ranking = [(f.kind, f.score) for f in fits]
    best = fits[0]
    second = fits[1].score if len(fits) > 1 else 0.0
    if kind:
        d.confidence = 1.0
        d.evidence = [f"kind {kind} as asked"]
    else:
        few = min(1.0, d.sample.rows / 10) if d.sample else 0.0  # one record proves little
        d.confidence = round(
            min(1.0, best.score / 0.5) * min(1.0, (best.score - second) / KIND_MARGIN) * few, 2
        )
        d.evidence = _kind_evidence(best)
        if few < 1:
            d.evidence.append(f"only {d.sample.rows if d.sample else 0} records to judge from")
    if d.confidence < CONFIDENT or best.score < 0.25:
        close = [f for f in fits if best.score - f.score < KIND_MARGIN][:3]
        if len(close) < 2:
            close = fits[:2]
        reason = " or ".join(f"{f.kind} ({f.score:.2f}: {_brief(f)})" for f in close)
        d.questions.append(Question(d.path, "kind", [f.kind for f in close], reason, True))
        d.mapping = best.mapping
        return
    d.kind = best.kind
    d.mapping = best.mapping
    d.notes += best.notes


def _brief(fit: KindFit) -> str:
    top = sorted(fit.mapping.values(), key=lambda c: -c.score)[:3]
    return ", ".join(f"{c.field} ← {c.column!r}" for c in top) or "nothing fits"


def _kind_evidence(fit: KindFit) -> list[str]:
    top = sorted(fit.mapping.values(), key=lambda c: -c.score)[:4]
    return [f"{c.field} ← {c.column!r} ({c.evidence[0]})" for c in top]


def _earlier_share(d: FileDecision, a: str, b: str) -> float | None:
    """Share of rows (both present) where column ``a``'s time is on or before ``b``'s."""
    assert d.sample is not None
    con = connect()
    try:
        parsers.install(con)
        con.register(
            "_t", pa.table({"a": pa.array(d.sample.column(a)), "b": pa.array(d.sample.column(b))})
        )
        got = con.execute(
            "SELECT count_if(ta <= tb), count(*) FROM (SELECT personae_timestamp(a, 'UTC', false) "
            "AS ta, personae_timestamp(b, 'UTC', false) AS tb FROM _t) "
            "WHERE ta IS NOT NULL AND tb IS NOT NULL"
        ).fetchall()[0]
    finally:
        con.close()
    return got[0] / got[1] if got[1] >= 3 else None


def _break_time_ties(d: FileDecision) -> None:
    """When two time columns fit a 'when it started' field equally, the one that comes
    first in (nearly) every row is it: orders are placed before they ship, tickets opened
    before they are solved."""
    assert d.kind is not None
    for name in FIRST_TIMES:
        choice = d.mapping.get(name)
        if choice is None or choice.confidence >= CONFIDENT or not choice.alternatives:
            continue
        candidates = [choice.column, *choice.alternatives]
        for cand in candidates:
            others = [c for c in candidates if c != cand]
            shares = [_earlier_share(d, cand, o) for o in others]
            if shares and all(s is not None and s >= 0.95 for s in shares):
                why = f"on or before {others[0]!r} in {min(shares):.0%} of rows"
                fixed = {k: v for k, v in d.mapping.items() if v.source != "discovered"}
                refit = fit_kind(
                    d.profiles,
                    d.kind,
                    fixed=fixed,
                    boosts={(cand, name): (0.2, why)},
                    file_name=d.path.name,
                    min_header=0.8 if d.preset else 0.0,
                )
                d.mapping = refit.mapping
                break


def settle(d: FileDecision) -> None:
    """Turn low-confidence field choices and missing required fields into questions."""
    assert d.kind is not None
    d.questions = [q for q in d.questions if q.subject == "kind"]
    computed = set(d.preset.computed) if d.preset is not None else set()  # ingest/nested.py
    for e in expectations(d.kind):
        choice = d.mapping.get(e.field)
        if choice is not None and (choice.confidence >= CONFIDENT or choice.source != "discovered"):
            continue
        if choice is not None:
            del d.mapping[e.field]
            cols = [choice.column, *choice.alternatives]
            reason = _tie_reason(d, e.field, cols, choice)
            d.questions.append(Question(d.path, e.field, cols, reason, e.required))
        elif e.required and e.field not in d.mapping and e.field not in computed:
            if e.field == OWN_KEY.get(d.kind) and e.field in ROW_KEYED:
                # ingest keys each row by file name and row: a record of its own
                d.notes.append(f"no {e.field} column: each row is a record of its own")
                continue
            near = _near_misses(d, e.field)
            reason = (
                "no column looks like it; the closest: "
                + ", ".join(f"{c!r} ({why})" for c, why in near)
                if near
                else "no column looks like it"
            )
            d.questions.append(Question(d.path, e.field, [c for c, _ in near], reason, True))
    for group in one_of(d.kind):
        # a field the preset computes at ingest (Klaviyo's profile id from a nested path)
        # fills the group as a mapped column would
        if not any(f in d.mapping or f in computed for f in group) and not any(
            q.subject in group for q in d.questions
        ):
            near = _near_misses(d, group[0])
            reason = f"each row needs one of {', '.join(group)}, and no column looks like any"
            d.questions.append(Question(d.path, group[0], [c for c, _ in near], reason, True))


def _tie_reason(d: FileDecision, field_name: str, columns: list[str], choice: FieldChoice) -> str:
    e = expectation(d.kind or "", field_name)
    parts = [f"{c!r} ({content_fit(_profile(d, c), e)[1]})" for c in columns[:3]]
    if len(parts) > 1:
        return " and ".join(parts) + " fit it equally well"
    if choice.rival:
        return f"{parts[0]} fits {choice.rival} as well as {field_name}"
    return f"{parts[0]} is the only candidate, and a weak one"


def _near_misses(d: FileDecision, field_name: str) -> list[tuple[str, str]]:
    e = expectation(d.kind or "", field_name)
    used = {c.column for c in d.mapping.values()}
    scored = [(content_fit(p, e), p.name) for p in d.profiles if p.name not in used]
    scored.sort(key=lambda t: -t[0][0])
    return [(name, fit[1]) for fit, name in scored[:3] if fit[0] > 0.1]


# --- across files ----------------------------------------------------------------------------
def apply_relations(decisions: list[FileDecision]) -> None:
    """Re-decide the mapping of files whose columns hold another file's identifiers."""
    for i, rels in find_relations(decisions).items():
        d = decisions[i]
        assert d.kind is not None
        fixed = {k: v for k, v in d.mapping.items() if v.source != "discovered"}
        boosts = {}
        forbid = set()
        for rel in rels:
            if rel.field in fixed:  # a layout's own column: only its identifier type is news
                if fixed[rel.field].column == rel.column:
                    d.identifiers.update(identifier_override(d.kind, rel))
                    fixed[rel.field].evidence.append(rel.why)
                continue
            named = _named_identifier(d, rel)
            if named is not None:  # the header says which field, the values which type
                choice = d.mapping[named]
                choice.source, choice.confidence = "relation", max(choice.confidence, 0.8)
                choice.evidence.append(f"{rel.why}, so read as {rel.id_type} identifiers")
                d.identifiers.update(identifier_override(d.kind, replace(rel, field=named)))
                fixed[named] = choice
                continue
            boosts[(rel.column, rel.field)] = (0.35, rel.why)
            own = OWN_KEY.get(d.kind)
            if own and own != rel.field:
                forbid.add((rel.column, own))
        if not boosts:
            continue
        refit = fit_kind(
            d.profiles,
            d.kind,
            fixed=fixed,
            boosts=boosts,
            forbid=forbid,
            file_name=d.path.name,
            min_header=0.8 if d.preset else 0.0,
        )
        d.mapping = refit.mapping
        for rel in rels:
            choice = d.mapping.get(rel.field)
            if choice is not None and choice.column == rel.column:
                choice.source = "relation" if choice.source == "discovered" else choice.source
                choice.confidence = max(choice.confidence, 0.8)
                d.identifiers.update(identifier_override(d.kind, rel))
        settle(d)
        wide.settled(d)  # a wide survey's answers come from its question columns


def _named_identifier(d: FileDecision, rel: Relation) -> str | None:
    """The identifier field the relation's column already feeds because its header is the
    field's own spelling (ingest would match it too), when that is not the relation's field.

    Why: a B2B invoice export's "Customer ID" holds the accounts' ids (the invoice is billed
    to a company). The header names customer_id, the values are account ids: both readings
    are evidence, and they agree once the column stays customer_id and is typed as the
    account ids it holds ([sources.X.identifiers]), which is how identity reads such a
    column on its own. Boosting account_id instead made the two fields tie, and the
    orders' customer key was asked for rather than decided.
    """
    assert d.kind is not None
    ids = DEFAULT_FIELDS.get(d.kind, {})
    for name, choice in d.mapping.items():
        if name == rel.field or name not in ids or choice.column != rel.column:
            continue
        named = header_score(rel.column, expectation(d.kind, name))[0] >= 1.0
        if named and choice.source == "discovered" and choice.confidence >= CONFIDENT:
            return name
    return None


_STEM_DIGITS = re.compile(r"[_\-. ]*\d+$")
_SHARD_DIGITS = re.compile(r"_\d{6,}$")


def _stem(path: Path) -> str:
    name = path.name
    for _ in range(2):
        if "." in name:
            name = name.rsplit(".", 1)[0]
    return name


def source_name(path: Path, taken: set[str]) -> str:
    """A TOML-friendly source name from the file name, unique among ``taken``."""
    base = re.sub(r"[^0-9a-z]+", "_", _stem(path).lower()).strip("_") or "source"
    # a shard or date number (events-000000000000, events_20251104) names no source
    base = _SHARD_DIGITS.sub("", base) or base
    if base[0].isdigit():
        base = f"s_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _group_key(d: FileDecision) -> tuple:
    """Files of one export split in parts: same folder, name but for a number, format,
    kind and required columns (events_1.json, events_2.json)."""
    stem = _STEM_DIGITS.sub("", _stem(d.path).lower())
    required = {f.name for f in KINDS[d.kind or "contacts"].fields if f.required}
    return (
        d.kind,
        d.preset.name if d.preset else None,
        tuple(sorted((f, c.column) for f, c in d.mapping.items() if f in required)),
        d.sample.fmt if d.sample else None,
        stem,
        str(d.path.parent),
    )


def _common_mapping(files: list[FileDecision]) -> None:
    """One source has one mapping: keep the fields every file maps to the same column (a
    field only some parts have is still found there by its header at ingest)."""
    first = files[0]
    first.mapping = {
        f: c
        for f, c in first.mapping.items()
        if all(f in o.mapping and o.mapping[f].column == c.column for o in files[1:])
    }


def _exclusions(d: FileDecision) -> None:
    """Fields ingest would map by header spelling alone where discovery decided against
    it (values that do not fit, a column the layout ignores, an open question): they are
    written as ``field = ""`` so that ingest reads exactly what was reviewed."""
    if d.kind is None:
        return
    explicit = {f: c.column for f, c in d.mapping.items()}
    explicit.update({q.subject: "" for q in d.questions if q.subject != "kind"})
    auto = resolve_columns(KINDS[d.kind], d.columns, explicit, d.path, require=False)
    for field_name, column in auto.items():
        if field_name in explicit:
            continue
        if d.preset and field_name in d.preset.computed:  # ingest/nested.py makes it
            d.excluded[field_name] = (
                f"computed at ingest by the {d.preset.title} layout, not read from "
                f"{column!r} as it stands"
            )
            continue
        e = expectation(d.kind, field_name)
        _, why = content_fit(_profile(d, column), e)
        if d.preset and column.lower() in {h.lower() for h in d.preset.ignore}:
            why = f"the {d.preset.title} layout does not use it for this; {why}"
        d.excluded[field_name] = f"{column!r} is not read as {field_name}: {why}"


def plan_sources(decisions: list[FileDecision], taken: set[str]) -> list[SourcePlan]:
    """Group files of the same shape (events_1.json, events_2.json) into one source each."""
    groups: dict[tuple, list[FileDecision]] = {}
    for d in decisions:
        if d.error or d.context:
            continue
        key = _group_key(d) if d.kind is not None and not d.blocked else (id(d),)
        groups.setdefault(key, []).append(d)
    plans = []
    for files in groups.values():
        first = files[0]
        _exclusions(first)
        path = first.path
        if len(files) > 1:
            _common_mapping(files)
            stem = _STEM_DIGITS.sub("", _stem(path)) or _stem(path)
            path = path.with_name(stem)
        name = source_name(path, taken)
        for f in files:
            f.source = name
            for q in f.questions:
                q.source = name
        plans.append(SourcePlan(name, first.kind, files))
    return plans


def discover(
    paths: Sequence[Path],
    *,
    kind: str | None = None,
    context: Mapping[str, tuple[str, list[Path], Mapping[str, str]]] | None = None,
    taken: Iterable[str] = (),
    skip: Iterable[Path] = (),
    sample_rows: int = 2000,
) -> Discovery:
    """Look at ``paths`` (files and folders) and decide a source for each data file.

    ``context`` holds the workspace's existing sources (name -> kind, files, columns):
    their files are matched against but not added again. ``kind`` forces the kind of
    every file (``personae add --kind``).
    """
    out = Discovery()
    context = context or {}
    known: dict[Path, str] = {}
    ctx_decisions: list[FileDecision] = []
    for name, (ctx_kind, files, columns) in context.items():
        for f in files:
            known[f.resolve()] = name
            d = read_file(f, sample_rows)
            if d.error:
                continue
            d.kind, d.context, d.source = ctx_kind, True, name
            try:
                resolved = resolve_columns(
                    KINDS[ctx_kind], d.columns, columns, f, source_name=name, require=False
                )
            except IngestError:
                continue
            d.mapping = {
                field: FieldChoice(field, col, 1.0, 1.0, ["in personae.toml"], source="config")
                for field, col in resolved.items()
            }
            ctx_decisions.append(d)
    decisions: list[FileDecision] = []
    for path in data_files(paths, skip):
        if path.resolve() in known:
            out.already.append((path, known[path.resolve()]))
            continue
        d = read_file(path, sample_rows)
        if d.error:
            out.skipped.append((path, d.error))
            continue
        decisions.append(decide_file(d, kind))
    apply_relations(decisions + ctx_decisions)
    out.sources = plan_sources(decisions, set(taken) | set(context))
    return out
