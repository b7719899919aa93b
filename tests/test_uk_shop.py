"""A UK shop's own exports, end to end with no settings: pounds, day-first dates and UK
phone numbers are read from the data and every report writes £ (issue "Bring your own
data", item 7). A German file checks the same rules in another language and currency."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from personae.cli import app
from tests.uk_shop import write_uk_shop

DOLLAR_AMOUNT = re.compile(r"\$\s?[0-9]")


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("uk_shop")
    write_uk_shop(root / "exports")
    runner = CliRunner()
    ws = root / "ws"
    init = runner.invoke(app, ["init", str(ws), "--from", str(root / "exports")])
    # the feedback form fits reviews and survey answers alike: asked, not guessed
    assert "feedback.csv" in init.output and "reviews" in init.output
    added = runner.invoke(
        app, ["add", str(root / "exports" / "feedback.csv"), "-w", str(ws), "--kind", "reviews"]
    )
    assert added.exit_code == 0, added.output
    run = runner.invoke(app, ["run", "-w", str(ws)])
    assert run.exit_code == 0, run.output
    return ws


def test_currency_and_phone_region_are_read_from_the_data(shop: Path) -> None:
    ingest = (shop / "reports" / "ingest.md").read_text(encoding="utf-8")
    assert "currency GBP" in ingest and 'header "Total (GBP)"' in ingest
    assert "phone region GB" in ingest and "country column" in ingest
    con = duckdb.connect(str(shop / "personae.duckdb"), read_only=True)
    phones = con.execute("SELECT phone_e164 FROM raw_contacts").fetchall()
    assert phones and all(p[0].startswith("+447700900") for p in phones)
    # 14/10/2023-style values settle day-first; a 03/04 one is then 3 April, not 4 March
    first = con.execute(
        "SELECT strftime(min(order_date), '%Y-%m-%d') FROM raw_orders WHERE order_id = 'UK50001'"
    ).fetchall()[0][0]
    con.close()
    assert first is not None and first.startswith("2023-")
    assert re.search(r"\| orders\.csv \| Placed \| DMY \|", ingest)


def test_every_report_writes_pounds_and_never_dollars(shop: Path) -> None:
    reports = shop / "reports"
    for name in ("personas.md", "personas.html", "segments.md", "value.md", "icp.md"):
        text = (reports / name).read_text(encoding="utf-8")
        assert "£" in text, name
        assert not DOLLAR_AMOUNT.search(text), (name, DOLLAR_AMOUNT.search(text))
    doc = json.loads((reports / "personas.json").read_text(encoding="utf-8"))
    personas = doc["personas"] if isinstance(doc, dict) else doc
    assert personas and {p["size"]["currency"] for p in personas} == {"GBP"}


def test_a_german_export_reads_as_euros_and_german_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    rows = [
        "Bestellnummer;Kundennummer;Bestelldatum;Gesamtbetrag;Telefon;Land",
        "DE-1001;K-1;03.04.2024;1.234,50 €;030 901820;Deutschland",
        "DE-1002;K-2;15.04.2024;12,00 €;089 1234567;Deutschland",
        "DE-1003;K-1;20.05.2024;99,99 €;+49 30 901820;Deutschland",
    ]
    (folder / "bestellungen.csv").write_text("\n".join(rows) + "\n", encoding="cp1252")
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    added = runner.invoke(
        app, ["add", str(folder / "bestellungen.csv"), "-w", str(ws), "--kind", "orders"]
    )
    assert added.exit_code == 0, added.output
    ingested = runner.invoke(app, ["ingest", "-w", str(ws)])
    assert ingested.exit_code == 0, ingested.output
    ingest = (ws / "reports" / "ingest.md").read_text(encoding="utf-8")
    assert "currency EUR" in ingest and "phone region DE" in ingest
    con = duckdb.connect(str(ws / "personae.duckdb"), read_only=True)
    got = con.execute(
        "SELECT order_id, order_total, phone_e164 FROM raw_orders ORDER BY order_id"
    ).fetchall()
    con.close()
    assert got == [
        ("DE-1001", 1234.5, "+4930901820"),
        ("DE-1002", 12.0, "+49891234567"),
        ("DE-1003", 99.99, "+4930901820"),
    ]
