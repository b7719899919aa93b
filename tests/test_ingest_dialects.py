"""Real exports in their own dialects: encodings, delimiters, decimal commas, spreadsheets,
archives, Excel serial dates — and dates whose day/month order is decided per column.

Every fixture is built here from Python values (the truth), written the way the exporting
tool writes it, ingested into a real workspace, and the stored values compared with the
truth value for value; rows in = ingested + quarantined on each. The fixtures are shaped
unlike the demo: a German shop's line-item export (cp1252, ``;``, decimal commas, CRLF),
a French survey saved from Excel as "Texte Unicode" (UTF-16 LE with BOM, tabs), a UK
shop's order export (UTF-8, DD/MM/YYYY), a US help desk (MM/DD/YYYY h:mm AM/PM), and a
help desk's XLSX report with a title block (written by tests/xlsx_writer.py).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from personae import Workspace
from personae.config import SourceConfig, source_toml
from personae.engine import connect
from personae.ingest import parsers
from personae.ingest.columns import decide_columns
from personae.ingest.dialect import detect_encoding
from personae.ingest.errors import IngestError
from personae.ingest.loader import expand_paths
from personae.ingest.schema import KINDS
from personae.ingest.validate import ParseOptions
from tests.xlsx_writer import write_xlsx


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def _rows(ws: Workspace, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in ws.sql(sql).to_pylist()]


def _conserved(ws: Workspace, report, path: Path) -> None:
    """Rows in = ingested + quarantined (+ duplicates), in the report and in the tables."""
    (f,) = [f for f in report.files if Path(f.path) == path.resolve()]
    assert f.rows_in == f.ingested + f.rejected + f.duplicates + f.erased
    quarantined = _rows(
        ws, f"SELECT count(*) FROM quarantine WHERE source_file = '{path.resolve()}'"
    )[0][0]
    assert quarantined == f.rejected
    table = KINDS[f.kind].table
    stored = _rows(ws, f"SELECT count(*) FROM {table} WHERE _source_file = '{path.resolve()}'")
    assert stored[0][0] == f.ingested


def _decision(report, column: str, topic: str = "date_order"):
    found = [
        d for f in report.files for d in f.decisions if d.column == column and d.topic == topic
    ]
    assert len(found) == 1, found
    return found[0]


def _source(ws: Workspace, name: str, **settings) -> None:
    with open(ws.path / "personae.toml", "a", encoding="utf-8") as fh:
        fh.write(source_toml(name, SourceConfig(**settings)))
    ws.reload()


# -- dates: day/month order decided per column ---------------------------------------------


def _uk_orders(path: Path, n: int, deciding_row: int) -> list[tuple]:
    """A UK shop's order export: dates DD/MM/YYYY HH:MM, days 1-12 except one late value."""
    truth = []
    lines = ["Order Ref,Date Placed,Customer Email,Item,Qty,Line Total (GBP)"]
    for i in range(1, n + 1):
        if i == deciding_row:
            placed = dt.datetime(2026, 4, 23, 9, 41)
        else:  # day and month both 1..12: either order reads a valid (different) date
            placed = dt.datetime(2024 + i % 2, 1 + (i // 12) % 12, 1 + i % 12, i % 24, i % 60)
        ref = f"UK-{100000 + i}"
        price = f"{(i % 50) + 0.99:.2f}"
        lines.append(f"{ref},{placed:%d/%m/%Y %H:%M},buyer{i}@example.co.uk,Tea caddy,1,£{price}")
        truth.append((ref, placed, float(price)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def test_dmy_column_decided_by_a_value_after_the_first_10000(ws, tmp_path):
    path = tmp_path / "orders_export.csv"
    truth = _uk_orders(path, 10_050, deciding_row=10_017)
    report = ws.ingest(
        "orders",
        [path],
        mapping={
            "order_id": "Order Ref",
            "order_date": "Date Placed",
            "email": "Customer Email",
            "product_name": "Item",
            "unit_price": "Line Total (GBP)",
        },
    )
    d = _decision(report, "Date Placed")
    assert d.decision == "DMY"
    assert d.evidence.startswith("decided by 23/04/2026 09:41 in row 10017")
    got = _rows(ws, "SELECT order_id, order_date, unit_price FROM raw_orders ORDER BY _source_row")
    assert got == truth  # every row, the first 10,000 included, read day first
    assert report.rejected == 0
    _conserved(ws, report, path)


def test_mdy_column_decided_against_a_dmy_setting(ws, tmp_path):
    """A US help desk export (h:mm AM/PM) ingested where the workspace says DMY."""
    cfg = ws.path / "personae.toml"
    cfg.write_text(cfg.read_text().replace('date_order = "MDY"', 'date_order = "DMY"', 1))
    ws.reload()
    truth, lines = [], ["Ticket ID,Created,Requester,Subject,Status"]
    for i in range(1, 2001):
        created = dt.datetime(2025, 1 + i % 12, 1 + (i * 7) % 12, 1 + i % 12, i % 60)
        if i == 1_950:
            created = dt.datetime(2025, 11, 28, 4, 5)
        stamp = f"{created:%m/%d/%Y} {created.hour % 12 or 12}:{created:%M} {created:%p}"
        lines.append(f"{i},{stamp},caller{i}@example.com,Printer jam,Solved")
        truth.append((str(i), created))
    path = tmp_path / "tickets.csv"
    path.write_text("\n".join(lines) + "\n")
    report = ws.ingest("tickets", [path])
    d = _decision(report, "Created")
    assert (d.decision, d.source_row) == ("MDY", 1950)
    assert "11/28/2025 4:05 AM" in d.evidence
    got = _rows(ws, "SELECT ticket_id, created_at FROM raw_tickets ORDER BY _source_row")
    assert got == truth
    _conserved(ws, report, path)


CASE_MAPPING = {"ticket_id": "Case Number", "created_at": "Opened"}


def _ambiguous_tickets(path: Path) -> list[tuple[str, str]]:
    """Dates whose day and month are both at most 12: nothing in the column decides."""
    rows = [("T1", "03/04/2026"), ("T2", "05/06/2026"), ("T3", "11/12/2025"), ("T4", "01/02/2026")]
    lines = ["Case Number;Opened;Contact Email;Summary"]
    lines += [f"{t};{d} 10:15;c{i}@example.org;Refund" for i, (t, d) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return rows


def test_undecidable_column_uses_the_setting_and_is_named_in_the_report(ws, tmp_path):
    path = tmp_path / "cases.csv"
    rows = _ambiguous_tickets(path)
    report = ws.ingest("tickets", [path], mapping=CASE_MAPPING)
    d = _decision(report, "Opened")
    assert d.decision == "MDY" and d.severity == "warning"
    assert "from the setting ([ingest] date_order), no deciding value" in d.evidence
    got = _rows(ws, "SELECT ticket_id, created_at FROM raw_tickets ORDER BY _source_row")
    assert got == [
        (t, dt.datetime(int(v[6:]), int(v[:2]), int(v[3:5]), 10, 15)) for t, v in rows
    ]  # month first, as the setting says
    _conserved(ws, report, path)
    text = (ws.write_ingest_report()).read_text()
    assert "### Date columns" in text
    line = next(x for x in text.splitlines() if "| Opened |" in x)
    assert "cases.csv" in line and "MDY" in line and "from the setting" in line


def test_undecidable_column_uses_the_source_setting(ws, tmp_path):
    path = tmp_path / "data" / "cases.csv"
    path.parent.mkdir()
    rows = _ambiguous_tickets(path)
    _source(
        ws,
        "helpdesk",
        kind="tickets",
        paths=[str(path)],
        date_order="DMY",
        columns=CASE_MAPPING,
    )
    report = ws.ingest()
    d = _decision(report, "Opened")
    assert d.decision == "DMY"
    assert "from the setting ([sources.helpdesk] date_order)" in d.evidence
    got = _rows(ws, "SELECT ticket_id, created_at FROM raw_tickets ORDER BY _source_row")
    assert got == [
        (t, dt.datetime(int(v[6:]), int(v[3:5]), int(v[:2]), 10, 15)) for t, v in rows
    ]  # day first
    _conserved(ws, report, path)


MIXED = {
    # a CRM whose birth dates came from a UK and a US system
    "contacts": (
        "Record ID,Email,Date of Birth,Country",
        [
            "C1,a@x.io,1980-02-01,GB",
            "C2,b@x.io,23/04/1980,GB",
            "C3,c@x.io,05/06/1990,US",
            "C4,d@x.io,04/23/1981,US",
            "C5,e@x.io,,GB",
        ],
        "Date of Birth",
        {"contact_id": "Record ID", "birth_date": "Date of Birth"},
        "row 2 has 23/04/1980 (day first) and row 4 has 04/23/1981 (month first)",
    ),
    # survey timestamps from two web forms, one US, one French
    "survey_responses": (
        "Submission;Horodatage;Question;Réponse",
        [
            "S1;12/31/2025 08:00;Q1;oui",
            "S2;02/03/2026 09:00;Q1;non",
            "S3;2026-03-04T10:00:00Z;Q1;oui",
            "S4;30/01/2026 11:00;Q1;oui",
        ],
        "Horodatage",
        {"response_id": "Submission", "submitted_at": "Horodatage", "answer": "Réponse"},
        "row 1 has 12/31/2025 08:00 (month first) and row 4 has 30/01/2026 11:00 (day first)",
    ),
}


@pytest.mark.parametrize("kind", list(MIXED))
def test_column_mixing_day_and_month_first_is_quarantined_not_half_read(ws, tmp_path, kind):
    header, lines, column, mapping, proof = MIXED[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    report = ws.ingest(kind, [path], mapping=mapping)
    d = _decision(report, column)
    assert d.decision == "mixed" and d.severity == "error"
    table = KINDS[kind].table
    kept = _rows(ws, f"SELECT _source_row FROM {table} ORDER BY 1")
    held = _rows(
        ws, "SELECT source_row, reason, column_name, detail FROM quarantine ORDER BY source_row"
    )
    day_month = [i for i, x in enumerate(lines, start=1) if "/" in x]
    assert [r[0] for r in held] == day_month  # every day/month value, the deciding ones too
    assert [k[0] for k in kept] == [i for i in range(1, len(lines) + 1) if i not in day_month]
    for _, reason, col, detail in held:
        assert (reason, col) == ("mixed_date_order", column)
        assert f"column {column!r} mixes day-first and month-first dates: {proof}" in detail
    assert d.evidence.startswith(proof)
    _conserved(ws, report, path)
    text = ws.write_ingest_report().read_text()
    assert "**error: mixed**" in text


# -- encodings, delimiters, decimal commas -------------------------------------------------

GERMAN_HEADER = [
    "Bestellnummer",
    "Bestelldatum",
    "Kundennummer",
    "E-Mail",
    "Vorname",
    "Nachname",
    "Artikelnummer",
    "Artikelbezeichnung",
    "Menge",
    "Einzelpreis",
    "Rabatt",
    "Währung",
    "Zahlungsart",
    "Status",
]

# (order, placed, customer, email, first, last, sku, article, qty, price, discount, ccy, pay, st)
GERMAN_ROWS = [
    (
        "100231",
        dt.datetime(2026, 3, 5, 14, 30),
        "K-0042",
        "juergen.mueller@beispiel.de",
        "Jürgen",
        "Müller",
        "KB-500",
        "Kaffeebohnen „Röstung Nr. 5“ 500 g",
        2,
        12.5,
        0.0,
        "EUR",
        "Überweisung",
        "versendet",
    ),
    (
        "100231",
        dt.datetime(2026, 3, 5, 14, 30),
        "K-0042",
        "juergen.mueller@beispiel.de",
        "Jürgen",
        "Müller",
        "MH-01",
        "Kaffeemühle – Edelstahl",
        1,
        1234.56,
        61.73,
        "EUR",
        "Überweisung",
        "versendet",
    ),
    (
        "100232",
        dt.datetime(2026, 3, 6, 9, 5),
        "K-0107",
        "grosse@beispiel.de",
        "Renée",
        "Große",
        "FI-100",
        "Papierfilter Größe 4 (100 Stück)",
        1000,
        0.99,
        0.0,
        "EUR",
        "PayPal",
        "storniert",
    ),
    (
        "100233",
        dt.datetime(2026, 3, 12, 18, 45),
        "K-0001",
        "z.oezdemir@beispiel.de",
        "Zeynep",
        "Özdemir",
        "TS-3",
        "Teeservice 3‰ Rabattaktion – € sparen",
        3,
        49.0,
        5.5,
        "EUR",
        "Lastschrift",
        "zugestellt",
    ),
]


def _de_number(x: float, decimals: int = 2) -> str:
    """German number format: 1.234,56 (thousands dot, decimal comma)."""
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def _csv_cell(c: str, delimiter: str) -> str:
    """RFC 4180 quoting: a field with the delimiter, a quote or a line break is quoted."""
    if any(x in c for x in (delimiter, '"', "\n", "\r")):
        return '"' + c.replace('"', '""') + '"'
    return c


def _german_export(
    path: Path, encoding: str = "cp1252", bad_rows: bool = True, rows: list[tuple] = GERMAN_ROWS
) -> None:
    lines = [";".join(GERMAN_HEADER)]
    for r in rows:
        cells = [
            r[0],
            f"{r[1]:%d.%m.%Y %H:%M}",
            *r[2:8],
            _de_number(r[8], 0),
            _de_number(r[9]),
            _de_number(r[10]),
            *r[11:],
        ]
        lines.append(";".join(_csv_cell(c, ";") for c in cells))
    if bad_rows:
        lines.append(
            ";".join(
                [
                    "100234",
                    "13.03.2026 10:00",
                    "K-0005",
                    "a@beispiel.de",
                    "Anna",
                    "Schäfer",
                    "KB-500",
                    "Kaffee",
                    "zwei",
                    "12,50",
                    "0,00",
                    "EUR",
                    "PayPal",
                    "versendet",
                ]
            )
        )
        lines.append(
            ";".join(
                [
                    "",
                    "13.03.2026 10:05",
                    "K-0006",
                    "b@beispiel.de",
                    "Bernd",
                    "Weiß",
                    "KB-500",
                    "Kaffee",
                    "1",
                    "12,50",
                    "0,00",
                    "EUR",
                    "PayPal",
                    "versendet",
                ]
            )
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


GERMAN_MAPPING = {
    "order_id": "Bestellnummer",
    "order_date": "Bestelldatum",
    "customer_id": "Kundennummer",
    "email": "E-Mail",
    "product_id": "Artikelnummer",
    "product_name": "Artikelbezeichnung",
    "quantity": "Menge",
    "unit_price": "Einzelpreis",
    "discount": "Rabatt",
    "currency": "Währung",
    "payment_method": "Zahlungsart",
    "status": "Status",
}

_GERMAN_SQL = (
    "SELECT order_id, order_date, customer_id, email, product_id, product_name, quantity, "
    "unit_price, discount, currency, payment_method, status, _extra FROM raw_orders "
    "ORDER BY _source_file, _source_row"
)


def _german_truth(rows: list[tuple] = GERMAN_ROWS) -> list[tuple]:
    # payment methods are stored lower-cased, as docs/input-data.md says
    return [
        (*r[:4], *r[6:12], r[12].lower(), r[13], {"Vorname": r[4], "Nachname": r[5]}) for r in rows
    ]


def _german_got(ws: Workspace) -> list[tuple]:
    return [(*r[:-1], json.loads(r[-1])) for r in _rows(ws, _GERMAN_SQL)]


def test_cp1252_semicolon_decimal_comma_export_round_trips(ws, tmp_path):
    path = tmp_path / "Bestellungen_Maerz_2026.csv"
    _german_export(path)
    report = ws.ingest("orders", [path], mapping=GERMAN_MAPPING)
    assert _german_got(ws) == _german_truth()
    assert report.rejected == 2 and report.reasons == {"bad_number": 1, "missing_required": 1}
    _conserved(ws, report, path)
    enc = _decision(report, None, "encoding")
    assert enc.decision.startswith("cp1252")
    assert _decision(report, None, "delimiter").decision == ";"
    price = _decision(report, "Einzelpreis", "decimal")
    assert (price.decision, price.evidence) == ("decimal comma", "decided by 12,50 in row 1")
    qty = _decision(report, "Menge", "decimal")  # 1.000 alone proves nothing: the file decides
    assert qty.decision == "decimal comma" and "other number columns" in qty.evidence
    assert _decision(report, "Bestelldatum").decision == "DMY"  # DD.MM.YYYY by convention


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252", "latin-1"]
)
def test_the_same_export_in_every_encoding_gives_the_same_rows(ws, tmp_path, encoding):
    path = tmp_path / f"bestellungen_{encoding}.csv"
    rows = GERMAN_ROWS
    if encoding == "latin-1":  # latin-1 has no „ “ – € ‰: a shop export without them
        plain = str.maketrans("„“–€‰", '""-E%')
        rows = [tuple(c.translate(plain) if isinstance(c, str) else c for c in r) for r in rows]
    _german_export(path, encoding, bad_rows=False, rows=rows)
    report = ws.ingest("orders", [path], mapping=GERMAN_MAPPING)
    assert _german_got(ws) == _german_truth(rows)
    assert report.rejected == 0
    _conserved(ws, report, path)
    label = _decision(report, None, "encoding").decision
    expected = {
        "utf-8": "UTF-8",
        "utf-8-sig": "UTF-8 with BOM",
        "utf-16": "UTF-16",
        "utf-16-be": "UTF-16",
        "cp1252": "cp1252",
        "latin-1": "cp1252",
    }
    assert label.startswith(expected[encoding])


# A French survey answered on a web form, saved from Excel as "Texte Unicode (*.txt)":
# UTF-16 little-endian with a byte-order mark, tab-separated, CRLF line ends.
FRENCH_HEADER = ["ID de réponse", "Horodatage", "Adresse e-mail", "Question", "Réponse", "Note"]
FRENCH_ROWS = [
    (
        "R-001",
        dt.datetime(2026, 4, 3, 8, 12, 5),
        "élodie@exemple.fr",
        "Qu’avez-vous préféré ?",
        "La crème brûlée – parfaite 👍",
        4.5,
    ),
    (
        "R-001",
        dt.datetime(2026, 4, 3, 8, 12, 5),
        "élodie@exemple.fr",
        "Recommanderiez-vous ?",
        "Oui, à 100 %",
        5.0,
    ),
    (
        "R-002",
        dt.datetime(2026, 4, 17, 19, 40, 0),
        "françois@exemple.fr",
        "Qu’avez-vous préféré ?",
        "Le cœur de bœuf ; « très bon »",
        3.75,
    ),
    (
        "R-003",
        dt.datetime(2026, 5, 2, 7, 0, 59),
        "zoé@exemple.fr",
        "Qu’avez-vous préféré ?",
        "Rien…\nPlats trop salés",
        None,
    ),
]


def _french_survey(path: Path, compress: bool = False) -> None:
    def cell(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if any(x in c for x in '\t"\n') else c

    lines = ["\t".join(FRENCH_HEADER)]
    for r in FRENCH_ROWS:
        note = "" if r[5] is None else f"{r[5]:g}".replace(".", ",")
        lines.append("\t".join(cell(c) for c in [r[0], f"{r[1]:%d/%m/%Y %H:%M:%S}", *r[2:5], note]))
    data = "\ufeff" + "\r\n".join(lines) + "\r\n"
    raw = data.encode("utf-16-le")
    path.write_bytes(gzip.compress(raw) if compress else raw)


def test_utf16_tab_separated_survey_round_trips(ws, tmp_path):
    path = tmp_path / "Résultats enquête.txt"
    _french_survey(path)
    report = ws.ingest(
        "survey_responses",
        [path],
        mapping={
            "response_id": "ID de réponse",
            "submitted_at": "Horodatage",
            "email": "Adresse e-mail",
            "question": "Question",
            "answer": "Réponse",
        },
    )
    got = _rows(
        ws,
        "SELECT response_id, submitted_at, email, question, answer, "
        "json_extract_string(_extra, '$.Note') FROM raw_survey_responses ORDER BY _source_row",
    )
    truth = [(*r[:5], None if r[5] is None else f"{r[5]:g}".replace(".", ",")) for r in FRENCH_ROWS]
    assert got == truth
    assert _decision(report, None, "encoding").decision == "UTF-16"
    assert _decision(report, None, "delimiter").decision == "tab"
    d = _decision(report, "Horodatage")
    assert d.decision == "DMY" and d.evidence.startswith("decided by 17/04/2026 19:40:00 in row 3")
    _conserved(ws, report, path)


def test_detect_encoding_keeps_a_damaged_utf8_file_utf8():
    """A UTF-8 export with a few stray latin-1 bytes stays UTF-8 (those records are
    quarantined, as the demo's planted bad_encoding rows are)."""
    good = "".join(f"{i},Customer {i},Main Street {i}\n" for i in range(1, 2001)).encode()
    damaged = good.replace(b"Customer 777,", b"Ren\xe9e 777,")
    assert detect_encoding(damaged).codec == "utf-8"
    assert detect_encoding("Zoë,1\n".encode() + b"Ren\xe9e,2\n").codec == "utf-8"
    legacy = "".join(f"{i};Müller {i};Straße {i}\n" for i in range(1, 50)).encode("cp1252")
    assert detect_encoding(legacy).codec == "cp1252"
    assert detect_encoding(b"a;b\n\x81x;\x9dy\n" * 5).codec == "latin-1"
    assert detect_encoding("a\tb\n".encode("utf-16-le")).codec == "utf-16-le"


# -- spreadsheets --------------------------------------------------------------------------


def _helpdesk_workbook(path: Path) -> list[tuple]:
    """A help desk's ticket report as XLSX: a title block above the table, date cells, a
    "Closed" column of serial numbers formatted General, and a second sheet."""
    tickets = [
        (
            "HD-1001",
            dt.datetime(2026, 2, 3, 9, 15),
            "amy@example.co.uk",
            "Delivery late",
            "High",
            4,
            dt.datetime(2026, 2, 4, 16, 0),
        ),
        (
            "HD-1002",
            dt.datetime(2026, 2, 13, 11, 0),
            "raj@example.co.uk",
            "Refund: £12.50",
            "Low",
            5,
            dt.datetime(2026, 2, 13, 12, 30),
        ),
        (
            "HD-1003",
            dt.datetime(2026, 3, 1, 8, 5, 30),
            "li@example.co.uk",
            "Wrong size\n(M→L)",
            "Normal",
            None,
            None,
        ),
    ]
    serial = lambda d: (d - dt.datetime(1899, 12, 30)).total_seconds() / 86400  # noqa: E731
    rows: list[list] = [
        ["Ticket report — all groups"],
        ["Exported 03/03/2026 by the help desk"],
        [],
        ["Ticket #", "Opened", "Requester email", "Subject", "Priority", "CSAT", "Closed"],
    ]
    for t in tickets:
        rows.append([*t[:6], None if t[6] is None else serial(t[6])])
    rows.append([None] * 7)  # a blank row: not a record
    rows.append(["", dt.datetime(2026, 3, 2), "nobody@example.co.uk", "no id", "Low", 3, None])
    rows.append(
        [
            "HD-1004",
            dt.datetime(2026, 3, 2),
            "x@example.co.uk",
            "note",
            "Low",
            9,
            None,
            "stray note",
        ]
    )
    archived = [  # the second sheet: last month's tickets, no title block
        ["Ticket #", "Opened", "Requester email", "Subject", "Priority", "CSAT", "Closed"],
        [
            "HD-0990",
            dt.datetime(2026, 1, 30, 17, 45),
            "amy@example.co.uk",
            "Invoice copy",
            "Low",
            5,
            serial(dt.datetime(2026, 1, 31, 9, 0)),
        ],
    ]
    write_xlsx(path, {"Tickets": rows, "January": archived})
    return tickets


XLSX_MAPPING = {
    "ticket_id": "Ticket #",
    "created_at": "Opened",
    "email": "Requester email",
    "subject": "Subject",
    "priority": "Priority",
    "satisfaction": "CSAT",
    "resolved_at": "Closed",
}


def test_xlsx_report_round_trips(ws, tmp_path):
    path = tmp_path / "ticket-report.xlsx"
    tickets = _helpdesk_workbook(path)
    report = ws.ingest("tickets", [path], mapping=XLSX_MAPPING)
    got = _rows(
        ws,
        "SELECT ticket_id, created_at, email, subject, priority, satisfaction, resolved_at "
        "FROM raw_tickets ORDER BY _source_row",
    )
    assert got == [(t[0], t[1], t[2], t[3], t[4].lower(), t[5], t[6]) for t in tickets]
    held = _rows(ws, "SELECT source_row, reason FROM quarantine ORDER BY 1")
    assert held == [(4, "missing_required"), (5, "column_count")]
    _conserved(ws, report, path)
    assert _decision(report, None, "sheet").decision == "Tickets"
    assert _decision(report, None, "header").decision == "sheet row 4"
    serial = _decision(report, "Closed", "excel_serial")
    assert serial.decision == "Excel serial dates"


def test_xlsx_sheet_setting(ws, tmp_path):
    path = tmp_path / "ticket-report.xlsx"
    _helpdesk_workbook(path)
    _source(ws, "january", kind="tickets", paths=[str(path)], sheet="Januray", columns=XLSX_MAPPING)
    with pytest.raises(IngestError, match="no sheet 'Januray' \\(sheets: 'Tickets', 'January'\\)"):
        ws.ingest()
    cfg = ws.path / "personae.toml"
    cfg.write_text(cfg.read_text().replace('"Januray"', '"January"'))
    ws.reload()
    report = ws.ingest()
    got = _rows(ws, "SELECT ticket_id, created_at, resolved_at FROM raw_tickets")
    assert got == [("HD-0990", dt.datetime(2026, 1, 30, 17, 45), dt.datetime(2026, 1, 31, 9, 0))]
    assert _decision(report, None, "sheet").evidence == "set for the source"
    _conserved(ws, report, path)


# -- archives ------------------------------------------------------------------------------


def test_zip_of_csvs_and_gzip(ws, tmp_path):
    march, april = tmp_path / "Bestellungen_2026-03.csv", tmp_path / "Bestellungen_2026-04.csv"
    _german_export(march, bad_rows=False, rows=GERMAN_ROWS[:2])
    _german_export(april, bad_rows=True, rows=GERMAN_ROWS[2:])
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(march, f"export/{march.name}")
        zf.write(april, f"export/{april.name}")
        zf.writestr("export/LIESMICH.md", "Export aus dem Shop")
        zf.writestr("__MACOSX/export/._Bestellungen_2026-03.csv", b"\0\5\x16\7")
    files = expand_paths([archive])
    assert [f.relative_to(archive).as_posix() for f in files] == [
        "export/Bestellungen_2026-03.csv",
        "export/Bestellungen_2026-04.csv",
    ]
    report = ws.ingest("orders", [archive], mapping=GERMAN_MAPPING)
    assert _german_got(ws) == _german_truth()
    assert [Path(f.path).name for f in report.files] == [march.name, april.name]
    for f in files:
        _conserved(ws, report, f)
    held = _rows(ws, "SELECT DISTINCT source_file FROM quarantine")
    assert held == [(str(archive.resolve() / "export" / april.name),)]

    survey = tmp_path / "enquete.txt.gz"
    _french_survey(survey, compress=True)
    report = ws.ingest(
        "survey_responses",
        [survey],
        mapping={"response_id": "ID de réponse", "submitted_at": "Horodatage"},
    )
    assert report.ingested == len(FRENCH_ROWS) and report.rejected == 0
    assert _decision(report, None, "encoding").decision == "UTF-16"


def test_excel_serial_dates_in_a_csv_column(ws, tmp_path):
    """A CSV saved from a sheet whose date cells were formatted General."""
    path = tmp_path / "reviews.csv"
    path.write_text(
        "Review ID,Posted,Stars,Review\n"
        "1,45291,5,Lovely\n"  # 2023-12-31 (the 1900 leap-year bug absorbed)
        "2,45292.75,4,Good\n"  # 2024-01-01 18:00
        "3,2024-02-29,3,Ok\n"  # an ISO date among them
        "4,2023,2,Meh\n"  # a year, not a serial: rejected, not read as 1905
    )
    report = ws.ingest("reviews", [path], mapping={"created_at": "Posted"})
    got = _rows(ws, "SELECT review_id, created_at FROM raw_reviews ORDER BY _source_row")
    assert got == [
        ("1", dt.datetime(2023, 12, 31)),
        ("2", dt.datetime(2024, 1, 1, 18, 0)),
        ("3", dt.datetime(2024, 2, 29)),
    ]
    assert _rows(ws, "SELECT source_row, reason FROM quarantine") == [(4, "bad_timestamp")]
    assert _decision(report, "Posted", "excel_serial").decision == "Excel serial dates"
    _conserved(ws, report, path)


# -- headers, the CLI, a million rows -------------------------------------------------------


def test_csv_header_under_a_title_block_and_excel_sep_line(ws, tmp_path):
    """Report-style CSVs: Excel's ``sep=;`` hint, a title and a date range over the table."""
    path = tmp_path / "avis.csv"
    path.write_text(
        "sep=;\r\n"
        "Avis clients – export;;;\r\n"
        "Période : 01/03/2026 - 31/03/2026;;;\r\n"
        "\r\n"
        "Identifiant;Date;Note;Commentaire\r\n"
        "AV-1;02/03/2026;5;Très bien, merci\r\n"
        "AV-2;15/03/2026;4;Livraison rapide\r\n",
        encoding="utf-8-sig",
    )
    report = ws.ingest(
        "reviews",
        [path],
        mapping={
            "review_id": "Identifiant",
            "created_at": "Date",
            "rating": "Note",
            "body": "Commentaire",
        },
    )
    got = _rows(ws, "SELECT review_id, created_at, rating, body FROM raw_reviews ORDER BY 1")
    assert got == [
        ("AV-1", dt.datetime(2026, 3, 2), 5, "Très bien, merci"),
        ("AV-2", dt.datetime(2026, 3, 15), 4, "Livraison rapide"),
    ]
    header = _decision(report, None, "header")
    assert header.decision == "record 4" and "sep=;" in header.evidence
    assert _decision(report, None, "delimiter").evidence.startswith("first line 'sep=;'")
    _conserved(ws, report, path)


def test_cli_ingest_says_how_each_date_column_was_decided(ws, tmp_path):
    cases, orders = tmp_path / "cases.csv", tmp_path / "uk.csv"
    _ambiguous_tickets(cases)
    _uk_orders(orders, 40, deciding_row=31)
    cli = [sys.executable, "-m", "personae.cli", "ingest", "-w", str(ws.path)]
    out = subprocess.run(
        [
            *cli,
            "tickets",
            str(cases),
            "--map",
            "ticket_id=Case Number",
            "--map",
            "created_at=Opened",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    assert "cases.csv · Opened: MDY: from the setting ([ingest] date_order)" in out.stdout
    out = subprocess.run(
        [
            *cli,
            "orders",
            str(orders),
            "--map",
            "order_id=Order Ref",
            "--map",
            "order_date=Date Placed",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    assert "uk.csv · Date Placed: DMY: decided by 23/04/2026 09:41 in row 31" in out.stdout


@pytest.mark.slow
def test_date_order_is_decided_in_sql_over_a_million_rows():
    """The decision is one aggregate query: a million staged values, the only deciding one
    at the very end, in seconds (a Python loop per value would take far longer)."""
    con = connect()
    parsers.install(con)
    con.execute("""
        CREATE TEMP TABLE _stage AS
        SELECT i + 1 AS _source_row, NULL::VARCHAR AS _raw, NULL::VARCHAR AS _reject,
               NULL::VARCHAR AS _reject_detail, 'O' || i AS __s0,
               CASE WHEN i = 999999 THEN '23/04/2026 10:00'
                    ELSE lpad(CAST(1 + i % 12 AS VARCHAR), 2, '0') || '/'
                         || lpad(CAST(1 + (i // 12) % 12 AS VARCHAR), 2, '0') || '/2025 10:00'
               END AS __s1,
               CAST(round((i % 9973) / 7.0, 2) AS VARCHAR) AS __s2
        FROM range(1000000) t(i)""")
    mapping = {"order_id": "Ref", "order_date": "Placed", "unit_price": "Total"}
    started = time.perf_counter()
    options, decisions = decide_columns(
        con,
        KINDS["orders"],
        "_stage",
        ["Ref", "Placed", "Total"],
        ["VARCHAR"] * 3,
        mapping,
        ParseOptions(),
    )
    seconds = time.perf_counter() - started
    assert options.hint("order_date").date_order == "DMY"
    (d,) = [d for d in decisions if d.topic == "date_order"]
    assert d.source_row == 1_000_000
    assert seconds < 15, seconds  # about 1-2 s on the 2-core CI machine
    con.close()


def test_parquet_and_xlsx_inside_archives_and_a_declared_encoding(ws, tmp_path):
    """Formats that need a file of their own (Parquet for DuckDB, XLSX for calamine) are
    copied out of a zip or a .gz; a source's encoding setting overrides detection."""
    book = tmp_path / "ticket-report.xlsx"
    tickets = _helpdesk_workbook(book)
    table = tmp_path / "reviews.parquet"
    con = connect()
    con.execute(
        f"COPY (SELECT 'R' || i AS review_id, TIMESTAMP '2026-01-01' + INTERVAL (i) DAY AS "
        f"created_at, 1 + i % 5 AS rating FROM range(3) t(i)) TO '{table}' (FORMAT parquet)"
    )
    con.close()
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(table, "reviews.parquet")
    report = ws.ingest("reviews", [archive])
    assert _rows(ws, "SELECT review_id, created_at, rating FROM raw_reviews ORDER BY 1") == [
        ("R0", dt.datetime(2026, 1, 1), 1),
        ("R1", dt.datetime(2026, 1, 2), 2),
        ("R2", dt.datetime(2026, 1, 3), 3),
    ]
    _conserved(ws, report, archive / "reviews.parquet")
    packed = tmp_path / "ticket-report.xlsx.gz"
    packed.write_bytes(gzip.compress(book.read_bytes()))
    report = ws.ingest("tickets", [packed], mapping=XLSX_MAPPING)
    assert report.ingested == len(tickets)
    _conserved(ws, report, packed)

    # a file whose few non-ASCII bytes are too few to call it cp1252: the setting says so
    names = tmp_path / "data" / "kunden.csv"
    names.parent.mkdir()
    rows = [f"K{i};kunde{i}@beispiel.de;Kunde {i}" for i in range(1, 300)]
    rows[41] = "K42;k42@beispiel.de;Jürgen Groß"
    names.write_bytes(
        ("Kundennummer;E-Mail;Name\r\n" + "\r\n".join(rows) + "\r\n").encode("cp1252")
    )
    _source(
        ws,
        "shop",
        kind="contacts",
        paths=[str(names)],
        encoding="cp1252",
        columns={"contact_id": "Kundennummer"},
    )
    report = ws.ingest()
    assert report.rejected == 0
    got = _rows(
        ws,
        "SELECT json_extract_string(_extra, '$.Name') FROM raw_contacts WHERE contact_id = 'K42'",
    )
    assert got == [("Jürgen Groß",)]
    enc = _decision(report, None, "encoding")
    assert (enc.decision, enc.evidence) == (
        "cp1252 (Windows Western European)",
        "set for the source (encoding = ...)",
    )
