"""The demo written as the vendors' own exports (``personae demo-data --format exports``).

Why: the demo's native files are laid out the way personae names things; real users bring
a Shopify orders export, a HubSpot contacts export, a Zendesk tickets export. Writing the
same people in those layouts lets discovery (``personae init WS --from DIR/exports``) be
judged against the demo's ground truth.

The exporter knows no vendor. Each vendor file is the inverse of its preset
(``personae/ingest/presets/*.toml``): the native file's headers are resolved to fields with
the ingest's own aliases, each field is written under the preset's first header for it,
the preset's required headers are always present (blank when the demo has no value), and
the preset's ``[row_shape]`` is applied (``fill_down`` fields are written on the first row
of each ``group_by`` group only, as Shopify writes an order's own fields on its first line).
A native field the vendor layout has no column for is kept under its native header, as a
custom property or custom field would be in the vendor's export.

The native files are generated first (``generate(fmt="csv")``) and converted row for row, so
every record keeps its 1-based row number and the ground truth only needs its file names
(and, for bad rows, its column names) rewritten. A native JSON Lines record that is not
valid JSON (a planted ``bad_json`` row) becomes a vendor row without its key, planted as
``missing_required``. Kinds without a preset stay in their native files, which discovery
recognises by their headers. The fields a preset's ``[constants]`` imply are not written
(Trustpilot's platform): the layout says them for every row.

The truth's ``bad_rows.csv`` gains a ``caused_by`` column: the rows expected in quarantine
because of a planted row (the later lines of a group whose first line, the one carrying the
group's own fields, is planted bad) are listed with that row's number.

A preset with ``layout = "wide"`` (survey exports) turns the long native file, one row per
answer, into one row per respondent with a column per question (:func:`convert_wide`); its
rows are renumbered, so the truth's records and bad rows are rewritten through its row map.
So are the layouts with a writer of their own: GA4's nested events
(:mod:`personae.demo.ga4`) and Stripe's payments, one row per invoice rather than per line
(:mod:`personae.demo.stripe`).
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from personae.demo.ga4 import convert_ga4
from personae.demo.generator import DemoManifest, generate
from personae.demo.stripe import convert_stripe_payments
from personae.ingest.discover.presets import Preset, presets
from personae.ingest.mapping import resolve_columns
from personae.ingest.schema import KINDS, FieldType
from personae.ingest.wide import ANSWER_FIELDS

EXPORTS_DIR = "exports"
ENCODING = "utf-8"
ERRORS = "surrogateescape"  # planted latin-1 bytes (bad_encoding rows) survive as they are


FORMS_NAME = "Customer survey.csv"  # Forms names its download after the form


@dataclass(frozen=True)
class VendorFile:
    """One native demo file and the vendor export it is written as."""

    native: str  # native file name
    kind: str
    preset: str  # preset file name (without .toml)
    name: str  # the vendor file's name, as the vendor names its downloads
    drop: tuple[str, ...] = ()  # native fields the vendor layout cannot carry at all
    # a layout with a writer of its own ("ga4": personae.demo.ga4, "stripe": .stripe)
    writer: str = ""


CONTACTS = VendorFile("crm_contacts.csv", "contacts", "hubspot_contacts", "hubspot-contacts.csv")
TICKETS = VendorFile("support_tickets.jsonl", "tickets", "zendesk_tickets", "zendesk-tickets.csv")
REVIEWS = VendorFile("reviews.csv", "reviews", "trustpilot_reviews", "trustpilot-reviews.csv")
# Mailchimp's email-activity API has no send rows; the demo's sends are kept in the file (an
# open rate needs them), under the same columns.
EMAIL = VendorFile(
    "email_activity.csv", "email_events", "mailchimp_email_activity", "reports_email_activity.csv"
)
# Shopify has no line number: the row order within an order is the line.
SHOPIFY = VendorFile(
    "orders.csv", "orders", "shopify_orders", "orders_export_1.csv", ("line_number",)
)
# The survey as Google Forms writes it (one row per respondent, see convert_wide). Its NPS
# question is recognised by its wording (ingest/questions.toml), so profiles keep survey_nps.
# Saas only: pivoted, the retail survey has too few lines per planted latin-1 row, so the
# whole file reads as cp1252 and its bad_encoding rows are not quarantined (the encoding is
# decided per file, not per row).
FORMS = VendorFile("survey_responses.csv", "survey_responses", "google_forms_responses", FORMS_NAME)
# The events as GA4's BigQuery export, extracted as bq extract names its shards. Segment's
# batch file (events_batch_*.json) stays as it is: a shop sending through Segment's HTTP
# API alongside GA4's web tag.
GA4 = VendorFile(
    "events.jsonl", "events", "ga4_bigquery_events", "events-000000000000.json", writer="ga4"
)
# The saas invoices as Stripe's Payments > Export: one row per invoice's charge, its total as
# the Amount (personae.demo.stripe); the lines' products, seats and coupon are not in it.
STRIPE = VendorFile(
    "orders.csv", "orders", "stripe_payments", "unified_payments.csv", writer="stripe"
)

# Which vendor writes which native file, per scenario. A preset not (yet) shipped leaves the
# file native; so do the kinds whose vendor layout would lose what the demo has. Saas
# events stay Segment's: a B2B product's events carry group calls, which GA4 has not.
VENDOR_FILES: dict[str, tuple[VendorFile, ...]] = {
    "retail": (CONTACTS, SHOPIFY, TICKETS, REVIEWS, EMAIL, GA4),
    "saas": (CONTACTS, STRIPE, TICKETS, REVIEWS, EMAIL, FORMS),
}


@dataclass
class Layout:
    """The vendor file's header and where each of its columns comes from."""

    header: list[str]
    source: list[int | None]  # native column index per vendor column (None: blank)
    native_to_vendor: dict[str, str]  # native header -> vendor header (for the truth)
    group_col: int | None  # vendor column whose runs form one group (row_shape group_by)
    first_only: set[int]  # vendor columns written on a group's first row only
    later_rows: set[int] = field(default_factory=set)  # 1-based rows written without them
    later_of: dict[int, list[int]] = field(default_factory=dict)  # group's first row -> later
    required_first: str | None = None  # vendor column of the first required fill-down field
    # a wide layout (one row per respondent): native row -> vendor row, and the vendor
    # file's planted bad rows (row, reason, vendor column), decided while pivoting
    row_map: dict[int, int] | None = None
    bad_rows: list[tuple[int, str, str]] | None = None


def _available() -> dict[str, Preset]:
    return {p.name: p for p in presets()}


def vendor_files(scenario: str) -> list[VendorFile]:
    """The vendor files of a scenario whose preset is shipped (the others stay native)."""
    shipped = _available()
    return [v for v in VENDOR_FILES[scenario] if v.preset in shipped]


def layout(
    spec: VendorFile, preset: Preset, native_header: list[str], skip: Iterable[str] = ()
) -> Layout:
    """Invert the preset: field -> the preset's first header, native header -> field.

    ``skip``: fields not written as columns (a wide layout's answers become the question
    columns). A header the preset gives to several fields (Google Forms' Timestamp is the
    response's time and stands for its id) is written with the typed field's value: a time
    can serve as an id, an id cannot serve as a time."""
    if preset.kind != spec.kind:
        raise ValueError(f"preset {preset.name} is for {preset.kind}, not {spec.kind}")
    kind = KINDS[spec.kind]
    fields = resolve_columns(kind, native_header, {}, Path(spec.native))
    for f in skip:
        fields.pop(f, None)
    index = {h: i for i, h in enumerate(native_header)}
    header: list[str] = []
    source: list[int | None] = []
    native_to_vendor: dict[str, str] = {}
    field_col: dict[str, int] = {}

    def add(vendor: str, native: str | None, field_name: str | None) -> None:
        if vendor in header:
            if native is not None:  # a shared column: its faults are that column's
                native_to_vendor.setdefault(native, vendor)
            return
        header.append(vendor)
        source.append(index[native] if native is not None else None)
        if native is not None:
            native_to_vendor[native] = vendor
        if field_name is not None:
            field_col[field_name] = len(header) - 1

    types = {f.name: f.type for f in kind.fields}
    by_vendor: dict[str, str] = {}
    for f, cands in preset.columns.items():
        if by_vendor.get(cands[0]) is None or types[by_vendor[cands[0]]] == FieldType.STRING:
            by_vendor[cands[0]] = f
    for req in preset.required:  # the signature's headers, in the vendor's order
        f = by_vendor.get(req)
        add(req, fields.get(f) if f else None, f)
    for f, cands in preset.columns.items():
        if f in fields and f not in spec.drop:
            add(cands[0], fields[f], f)
    for f, native in fields.items():  # no vendor column: a custom property / field
        if f not in preset.columns and f not in spec.drop and f not in preset.computed:
            add(native, native, f)
    shape = preset.row_shape
    group = field_col.get(shape.get("group_by", ""))
    fill_down = shape.get("fill_down", ())
    first_only = {field_col[f] for f in fill_down if f in field_col}
    required = [f.name for f in kind.fields if f.required and f.name in fill_down]
    return Layout(
        header,
        source,
        native_to_vendor,
        group,
        first_only if group is not None else set(),
        required_first=next((header[field_col[f]] for f in required if f in field_col), None),
    )


def _native_rows(path: Path) -> tuple[list[str], Iterator[list[str] | None]]:
    """The native file's header and rows as lists (None for a record that is not JSON)."""
    if path.suffix == ".csv":
        fh = open(path, encoding=ENCODING, errors=ERRORS, newline="")  # noqa: SIM115
        reader = csv.reader(fh)
        header = next(reader)

        def csv_rows() -> Iterator[list[str] | None]:
            with fh:
                yield from reader

        return header, csv_rows()
    lines = path.read_text(ENCODING, errors=ERRORS).splitlines()
    keys: dict[str, None] = {}
    records: list[dict | None] = []
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            records.append(None)
            continue
        keys.update(dict.fromkeys(rec))
        records.append(rec)
    header = list(keys)

    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return v if isinstance(v, str) else json.dumps(v)

    return header, (None if r is None else [cell(r.get(k)) for k in header] for r in records)


def convert(spec: VendorFile, preset: Preset, native: Path, out: Path) -> tuple[int, Layout]:
    """Write ``native`` as the vendor file ``out``; returns the row count and the layout."""
    header, rows = _native_rows(native)
    lay = layout(spec, preset, header)
    width = len(header)
    count = start = 0
    previous: str | None = None
    with open(out, "w", encoding=ENCODING, errors=ERRORS, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(lay.header)
        for row in rows:
            count += 1
            if row is None:  # a planted broken JSON record: a row without its key
                writer.writerow([""] * len(lay.header))
                previous = None
                continue
            values = [row[i] if i is not None and i < len(row) else "" for i in lay.source]
            if lay.group_col is not None:
                key = values[lay.group_col]
                if key and key == previous:
                    for c in lay.first_only:
                        values[c] = ""
                    lay.later_rows.add(count)
                    lay.later_of.setdefault(start, []).append(count)
                else:
                    start = count
                previous = key
            if len(row) > width:  # planted column_count faults stay what they were
                values.append("EXTRA")
            elif len(row) < width:
                values = values[:-1]
            writer.writerow(values)
    return count, lay


# Line-level faults first: the reader meets them before any value is checked.
_FAULT_ORDER = ("bad_encoding", "column_count")
CAUSED_BY = "caused_by"  # truth column: the planted row a row's quarantine follows from
MULTI_SEPARATOR = ", "  # how wide exports join the options of a multi-select answer


def convert_wide(
    spec: VendorFile,
    preset: Preset,
    native: Path,
    out: Path,
    planted: dict[int, tuple[str, str]],
) -> tuple[int, Layout]:
    """Write a long native file (one row per answer) as a wide vendor export: one row per
    respondent, its own columns (the preset's inverse, as :func:`layout`), then one column
    per question headed by its full text, answers to the same question joined as the
    vendors join a multi-select's options.

    ``planted`` holds the native file's bad rows (row -> reason, native column). A
    respondent row holds all its answers, so a planted fault in any of them is the
    respondent row's fault: the row is written with it (the bad time in its time column,
    an extra or missing cell, undecodable bytes in its answer) and planted once; a native
    row without its respondent's key cannot join its respondent and becomes a respondent
    row of its own without that key. Returns the native row count and the layout."""
    header, rows = _native_rows(native)
    fields = resolve_columns(KINDS[spec.kind], header, {}, Path(spec.native))
    missing = [f for f in ("response_id", "question", "answer") if f not in fields]
    if missing:
        raise ValueError(f"{spec.native}: a wide layout needs {missing} in the long file")
    lay = layout(spec, preset, header, skip=ANSWER_FIELDS)
    width = len(header)
    key_col = header.index(fields["response_id"])
    q_col, a_col = header.index(fields["question"]), header.index(fields["answer"])
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    questions: dict[str, None] = {}
    count = 0
    for row in rows:
        count += 1
        if row is None:
            continue
        key = row[key_col].strip() if key_col < len(row) else ""
        groups.setdefault(key or f"\0{count}", []).append((count, row))
        if len(row) == width and row[q_col]:
            questions.setdefault(row[q_col])
    q_index = {q: i for i, q in enumerate(questions)}
    lay.header = [*lay.header, *questions]
    lay.row_map, lay.bad_rows = {}, []
    with open(out, "w", encoding=ENCODING, errors=ERRORS, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(lay.header)
        for n, members in enumerate(groups.values(), start=1):
            faults = sorted(
                (m for m in members if m[0] in planted),
                key=lambda m: (planted[m[0]][0] not in _FAULT_ORDER, m[0]),
            )
            first = faults[0] if faults else members[0]
            own = [first[1][i] if i is not None and i < len(first[1]) else "" for i in lay.source]
            answers = [""] * len(questions)
            for _, row in members:
                if len(row) <= max(q_col, a_col) or row[q_col] not in q_index:
                    continue  # a cell short: its answer is not where the header says
                i = q_index[row[q_col]]
                answers[i] = MULTI_SEPARATOR.join(x for x in (answers[i], row[a_col]) if x)
            if not first[1][key_col].strip():  # no key: the vendor's key column is blank
                for h in preset.columns.get("response_id", ()):
                    if h in lay.header:
                        own[lay.header.index(h)] = ""
            values = own + answers
            if faults:
                reason, column = planted[first[0]]
                if reason == "column_count":
                    values = [*values, "EXTRA"] if len(first[1]) > width else values[:-1]
                vendor_col = lay.native_to_vendor.get(column, column)
                lay.bad_rows.append((n, reason, vendor_col))
            for row_no, _ in members:
                lay.row_map[row_no] = n
            writer.writerow(values)
    return count, lay


def planted_rows(truth: Path, name: str) -> dict[int, tuple[str, str]]:
    """The native file's planted bad rows: row -> (reason, column)."""
    with open(truth / "bad_rows.csv", encoding=ENCODING, newline="") as fh:
        return {
            int(r["source_row"]): (r["reason"], r["column"])
            for r in csv.DictReader(fh)
            if r["source_file"] == name
        }


def _rewrite_truth(truth: Path, renames: dict[str, str], layouts: dict[str, Layout]) -> None:
    """Point the truth at the vendor files: file names, and bad rows' columns and reasons."""
    records = truth / "records.csv"
    tmp = records.with_suffix(".tmp")
    with (
        open(records, encoding=ENCODING, newline="") as src,
        open(tmp, "w", encoding=ENCODING, newline="") as dst,
    ):
        reader = csv.reader(src)
        writer = csv.writer(dst, lineterminator="\n")
        writer.writerow(next(reader))
        seen: set[tuple[str, str]] = set()
        for row in reader:
            lay = layouts.get(row[0])
            row[0] = renames.get(row[0], row[0])
            if lay is not None and lay.row_map is not None:  # answers -> their respondent
                row[1] = str(lay.row_map[int(row[1])])
                if (row[0], row[1]) in seen:
                    continue
                seen.add((row[0], row[1]))
            writer.writerow(row)
    tmp.replace(records)
    dups = truth / "duplicates.csv"  # a copy and its original, each in its vendor file
    if dups.exists():
        with open(dups, encoding=ENCODING, newline="") as fh:
            lines = list(csv.reader(fh))
        for row in lines[1:]:
            for f, r in ((0, 1), (2, 3)):
                lay = layouts.get(row[f])
                if lay is not None and lay.row_map is not None:
                    row[r] = str(lay.row_map[int(row[r])])
                row[f] = renames.get(row[f], row[f])
        with open(dups, "w", encoding=ENCODING, newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(lines)
    bad = truth / "bad_rows.csv"
    with open(bad, encoding=ENCODING, newline="") as fh:
        rows = list(csv.reader(fh))
    kept = [[*rows[0], CAUSED_BY]]
    for row in rows[1:]:
        row.append("")
        old = row[0]
        if old in renames:
            lay = layouts[old]
            if lay.bad_rows is not None:  # decided while pivoting (convert_wide)
                continue
            row[0] = renames[old]
            if row[2] == "bad_json":  # the broken record became a row without its key
                row[2], row[3] = "missing_required", lay.header[0]
            else:
                row[3] = lay.native_to_vendor.get(row[3], row[3])
            first_only = {lay.header[c] for c in lay.first_only}
            if row[3] in first_only and int(row[1]) in lay.later_rows:
                continue  # the planted value sat in a column the layout leaves blank there
            kept.append(row)
            kept += _consequences(lay, row, first_only)
            continue
        kept.append(row)
    for old, lay in layouts.items():
        kept += [[renames[old], str(r), why, col, ""] for r, why, col in lay.bad_rows or ()]
    planted = {(r[0], r[1]) for r in kept[1:] if not r[4]}
    kept = [r for r in kept if not r[4:5] or not r[4] or (r[0], r[1]) not in planted]
    with open(bad, "w", encoding=ENCODING, newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(kept)


def _consequences(lay: Layout, row: list[str], first_only: set[str]) -> list[list[str]]:
    """The later rows of a group whose first row is a planted bad row, when they are
    quarantined because of it (``caused_by`` names it): they take the order's own fields
    from the first row, so a bad value there is filled down into them (the same reason),
    and a first row that cannot be read at all leaves them without the first required
    field it carries (missing_required). A bad value in a line's own column (a quantity)
    is that line's alone."""
    later = lay.later_of.get(int(row[1]), [])
    reason, column = row[2], row[3]
    if reason in _FAULT_ORDER and lay.required_first is not None:
        reason, column = "missing_required", lay.required_first
    elif column not in first_only:
        return []
    return [[row[0], str(r), reason, column, row[1]] for r in later]


# Layouts with a writer of their own: (native, out, planted) -> (rows, row map, bad rows).
_WRITERS = {"ga4": convert_ga4, "stripe": convert_stripe_payments}


def generate_exports(
    scenario: str,
    customers: int,
    seed: int,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
) -> DemoManifest:
    """Generate the demo into ``out`` with its data files in ``out/exports``, written as
    the vendors' exports where a preset exists; truth, manifest and prospects stay in
    ``out`` so that ``personae init WS --from out/exports`` sees customer data only."""
    out = Path(out)
    manifest = generate(scenario, customers, seed, out, fmt="csv", progress=progress)
    folder = out / EXPORTS_DIR
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    shipped = _available()
    renames: dict[str, str] = {}
    layouts: dict[str, Layout] = {}
    files: dict[str, int] = {}
    converted = {v.native: v for v in vendor_files(scenario)}
    for name, rows in manifest.files.items():
        native = out / name
        spec = converted.get(name)
        if spec is None:
            shutil.move(native, folder / name)
            files[name] = rows
            continue
        preset = shipped[spec.preset]
        if spec.writer in _WRITERS:
            planted = planted_rows(out / "truth", name)
            count, row_map, bad = _WRITERS[spec.writer](native, folder / spec.name, planted)
            lay = Layout([], [], {}, None, set(), row_map=row_map, bad_rows=bad)
        elif preset.layout == "wide":
            planted = planted_rows(out / "truth", name)
            count, lay = convert_wide(spec, preset, native, folder / spec.name, planted)
        else:
            count, lay = convert(spec, preset, native, folder / spec.name)
        if count != rows:
            raise RuntimeError(f"{name}: {rows} records written but {count} converted")
        native.unlink()
        renames[name], layouts[name] = spec.name, lay
        files[spec.name] = len(set(lay.row_map.values())) if lay.row_map else count
    _rewrite_truth(out / "truth", renames, layouts)
    manifest.fmt = "exports"
    manifest.files = files
    data = manifest.to_json()
    data["data"] = EXPORTS_DIR
    data["vendor_files"] = {spec.name: shipped[spec.preset].title for spec in converted.values()}
    (out / "manifest.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return manifest
