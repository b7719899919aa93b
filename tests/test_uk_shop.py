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


def _mixed_shop(tmp_path: Path, rates: str = "", other: str = "EUR") -> Path:
    rows = ["Order ID,Email,Order Date,Total,Currency"]
    for i in range(12):  # two customers buying in pounds, one in another currency
        rows.append(f"A{i},ann@example.net,{i + 1:02d}/03/2024,10.00,GBP")
        rows.append(f"B{i},bob@example.net,{i + 1:02d}/03/2024,20.00,GBP")
        rows.append(f"C{i},cem@example.net,{i + 1:02d}/03/2024,100.00,{other}")
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    if rates:
        toml = ws / "personae.toml"
        toml.write_text(toml.read_text().replace("currency_rates = {}", rates))
    out = runner.invoke(app, ["add", str(tmp_path / "orders.csv"), "-w", str(ws), "--kind",
                              "orders"])  # fmt: skip
    assert out.exit_code == 0, out.output
    for step in ("ingest", "build"):
        out = runner.invoke(app, [step, "-w", str(ws)])
        assert out.exit_code == 0, out.output
    return ws


def _revenue(ws: Path) -> dict[str, float]:
    con = duckdb.connect(str(ws / "personae.duckdb"), read_only=True)
    rows = con.execute("SELECT email, revenue FROM profiles").fetchall()
    con.close()
    return {e: round(r, 2) for e, r in rows}


def test_several_currencies_are_converted_with_the_configured_rates(tmp_path: Path) -> None:
    ws = _mixed_shop(tmp_path, "currency_rates = { EUR = 0.85 }")
    assert _revenue(ws) == {"ann@example.net": 120.0, "bob@example.net": 240.0,
                            "cem@example.net": 1020.0}  # fmt: skip
    ingest = (ws / "reports" / "ingest.md").read_text(encoding="utf-8")
    assert "currency GBP, the most common" in ingest
    assert "EUR (12 order lines) converted at 0.85 GBP per EUR" in ingest


def test_without_a_configured_rate_the_reference_rate_is_used_and_said(tmp_path: Path) -> None:
    ws = _mixed_shop(tmp_path)
    # money.toml's ECB-based reference: 1 EUR = 1 / 1.181 GBP
    assert _revenue(ws)["cem@example.net"] == round(1200 / 1.181, 2)
    ingest = (ws / "reports" / "ingest.md").read_text(encoding="utf-8")
    assert "an approximate reference rate" in ingest and "currency_rates" in ingest


def test_a_currency_with_no_rate_at_all_is_left_out_and_said_so(tmp_path: Path) -> None:
    ws = _mixed_shop(tmp_path, other="ISK")
    revenue = _revenue(ws)
    assert revenue["ann@example.net"] == 120.0 and revenue["cem@example.net"] == 0.0
    ingest = (ws / "reports" / "ingest.md").read_text(encoding="utf-8")
    assert "ISK (12 order lines): amounts left out of revenue and value" in ingest


def test_personas_get_british_names_and_the_caption_says_gb(shop: Path) -> None:
    """The country column says "United Kingdom": names come from the GB (ONS) lists or
    Faker's en_GB ones, and the caption under each face names GB (issue "Personas that
    read right", item 6)."""
    from personae.personas.naming import _GB, _NEUTRAL, _faker_lists

    british = {n for by_decade in _GB.values() for names in by_decade.values() for n in names}
    british |= {n for names in _NEUTRAL.values() for n in names}  # any gender: US and GB
    british |= {n for names in _faker_lists("en_GB") for n in names}
    doc = json.loads((shop / "reports" / "personas.json").read_text(encoding="utf-8"))
    personas = doc["personas"] if isinstance(doc, dict) else doc
    assert personas
    for p in personas:
        assert p["naming"]["country"] == "GB", p["naming"]
        assert p["name"] in british, p["name"]
    html = (shop / "reports" / "personas.html").read_text(encoding="utf-8")
    assert html.count(", GB</span>") >= len(personas)


def test_without_a_country_column_the_phone_region_names_the_country(tmp_path: Path) -> None:
    from personae import Workspace
    from personae.personas.locale import home_country

    contacts = tmp_path / "members.csv"
    contacts.write_text(
        "Member,Email,Mobile\n"
        + "".join(
            f"M{i},member{i}@allotment-society.test,+44 7700 900{i:03d}\n" for i in range(30)
        ),
        encoding="utf-8",
    )
    ws = Workspace.init(tmp_path / "ws")
    ws.add_source("members", "contacts", [str(contacts)])
    ws.ingest()
    ws.build()
    with ws.connect(read_only=True) as con:
        country, how = home_country(con)
    assert country == "GB" and "phone region" in how
