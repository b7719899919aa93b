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
recognises by their headers.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from personae.demo.generator import DemoManifest, generate
from personae.ingest.discover.presets import Preset, presets
from personae.ingest.mapping import resolve_columns
from personae.ingest.schema import KINDS

EXPORTS_DIR = "exports"
ENCODING = "utf-8"
ERRORS = "surrogateescape"  # planted latin-1 bytes (bad_encoding rows) survive as they are


@dataclass(frozen=True)
class VendorFile:
    """One native demo file and the vendor export it is written as."""

    native: str  # native file name
    kind: str
    preset: str  # preset file name (without .toml)
    name: str  # the vendor file's name, as the vendor names its downloads
    drop: tuple[str, ...] = ()  # native fields the vendor layout cannot carry at all


# Which vendor writes which native file, per scenario. A preset not (yet) shipped leaves the
# file native. Shopify has no line number: the row order within an order is the line.
VENDOR_FILES: dict[str, tuple[VendorFile, ...]] = {
    "retail": (
        VendorFile("crm_contacts.csv", "contacts", "hubspot_contacts", "hubspot-contacts.csv"),
        VendorFile(
            "orders.csv", "orders", "shopify_orders", "orders_export_1.csv", ("line_number",)
        ),
        VendorFile("support_tickets.jsonl", "tickets", "zendesk_tickets", "zendesk-tickets.csv"),
    ),
    "saas": (
        VendorFile("crm_contacts.csv", "contacts", "hubspot_contacts", "hubspot-contacts.csv"),
        VendorFile("support_tickets.jsonl", "tickets", "zendesk_tickets", "zendesk-tickets.csv"),
    ),
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


def _available() -> dict[str, Preset]:
    return {p.name: p for p in presets()}


def vendor_files(scenario: str) -> list[VendorFile]:
    """The vendor files of a scenario whose preset is shipped (the others stay native)."""
    shipped = _available()
    return [v for v in VENDOR_FILES[scenario] if v.preset in shipped]


def layout(spec: VendorFile, preset: Preset, native_header: list[str]) -> Layout:
    """Invert the preset: field -> the preset's first header, native header -> field."""
    if preset.kind != spec.kind:
        raise ValueError(f"preset {preset.name} is for {preset.kind}, not {spec.kind}")
    fields = resolve_columns(KINDS[spec.kind], native_header, {}, Path(spec.native))
    index = {h: i for i, h in enumerate(native_header)}
    header: list[str] = []
    source: list[int | None] = []
    native_to_vendor: dict[str, str] = {}
    field_col: dict[str, int] = {}

    def add(vendor: str, native: str | None, field_name: str | None) -> None:
        if vendor in header:
            return
        header.append(vendor)
        source.append(index[native] if native is not None else None)
        if native is not None:
            native_to_vendor[native] = vendor
        if field_name is not None:
            field_col[field_name] = len(header) - 1

    by_vendor = {cands[0]: f for f, cands in preset.columns.items()}
    for req in preset.required:  # the signature's headers, in the vendor's order
        f = by_vendor.get(req)
        add(req, fields.get(f) if f else None, f)
    for f, cands in preset.columns.items():
        if f in fields and f not in spec.drop:
            add(cands[0], fields[f], f)
    for f, native in fields.items():  # no vendor column: a custom property / field
        if f not in preset.columns and f not in spec.drop:
            add(native, native, f)
    shape = preset.row_shape
    group = field_col.get(shape.get("group_by", ""))
    first_only = {field_col[f] for f in shape.get("fill_down", ()) if f in field_col}
    return Layout(
        header, source, native_to_vendor, group, first_only if group is not None else set()
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
    count = 0
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
                previous = key
            if len(row) > width:  # planted column_count faults stay what they were
                values.append("EXTRA")
            elif len(row) < width:
                values = values[:-1]
            writer.writerow(values)
    return count, lay


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
        for row in reader:
            row[0] = renames.get(row[0], row[0])
            writer.writerow(row)
    tmp.replace(records)
    bad = truth / "bad_rows.csv"
    with open(bad, encoding=ENCODING, newline="") as fh:
        rows = list(csv.reader(fh))
    kept = rows[:1]
    for row in rows[1:]:
        old = row[0]
        if old in renames:
            lay = layouts[old]
            row[0] = renames[old]
            if row[2] == "bad_json":  # the broken record became a row without its key
                row[2], row[3] = "missing_required", lay.header[0]
            else:
                row[3] = lay.native_to_vendor.get(row[3], row[3])
            first_only = {lay.header[c] for c in lay.first_only}
            if row[3] in first_only and int(row[1]) in lay.later_rows:
                continue  # the planted value sat in a column the layout leaves blank there
        kept.append(row)
    with open(bad, "w", encoding=ENCODING, newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(kept)


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
        count, lay = convert(spec, shipped[spec.preset], native, folder / spec.name)
        if count != rows:
            raise RuntimeError(f"{name}: {rows} records written but {count} converted")
        native.unlink()
        renames[name], layouts[name] = spec.name, lay
        files[spec.name] = count
    _rewrite_truth(out / "truth", renames, layouts)
    manifest.fmt = "exports"
    manifest.files = files
    data = manifest.to_json()
    data["data"] = EXPORTS_DIR
    data["vendor_files"] = {spec.name: shipped[spec.preset].title for spec in converted.values()}
    (out / "manifest.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return manifest
