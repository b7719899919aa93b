"""Discovery: a file's kind and mapping decided from its headers and contents, evidence
written to personae.toml, and undecidable choices asked for, never guessed."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from personae.ingest.discover import discover
from tests.discovery_data import write_shop

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
runner = CliRunner()


def _by_file(found) -> dict:
    return {f.path.name: f for s in found.sources for f in s.files}


def _columns(decision) -> dict[str, str]:
    return {f: c.column for f, c in decision.mapping.items()}


def test_german_headers_and_contents_decide_kind_mapping_and_customer_key():
    files = _by_file(discover([FIXTURES / "kunden_de"]))
    orders, crm = files["bestellungen.csv"], files["kunden.csv"]
    assert orders.kind == "orders" and crm.kind == "contacts"
    assert not orders.questions and not crm.questions
    assert _columns(orders) == {
        "order_id": "Bestellnummer",
        "customer_id": "Kundennummer",
        "order_date": "Bestelldatum",
        "product_name": "Artikel",
        "quantity": "Menge",
        "unit_price": "Montant",
    }
    # the customer key is found by its values: they are the CRM's own ids, so they are
    # typed as CRM ids and link to the contacts
    assert orders.mapping["customer_id"].source == "relation"
    assert "kunden.csv" in " ".join(orders.mapping["customer_id"].evidence)
    assert orders.identifiers == {"customer_id": "crm_id"}
    assert _columns(crm)["contact_id"] == "Kundennummer"
    assert _columns(crm)["email"] == "E-Mail"
    assert _columns(crm)["created_at"] == "Kunde seit"


def test_meaningless_headers_the_contents_decide():
    """Column1..ColumnN: identifiers, timestamps, £ amounts and the other file's customer
    numbers say what each column is."""
    files = _by_file(discover([FIXTURES / "blind"]))
    orders, crm = files["sheet2.csv"], files["sheet1.csv"]
    assert orders.kind == "orders" and crm.kind == "contacts"
    got = _columns(orders)
    assert got["order_id"] == "Column1"  # repeats in runs: the lines of one order
    assert got["order_date"] == "Column2"
    assert got["customer_id"] == "Column3"  # sheet1's ids
    assert got["unit_price"] == "Column4"
    assert "Column5" in orders.unmapped  # colours: nothing says what they are
    assert _columns(crm)["contact_id"] == "Column1"
    assert _columns(crm)["email"] == "Column3"
    assert not [q for q in orders.questions + crm.questions if q.blocking]


def test_ambiguous_column_is_asked_for_not_guessed(tmp_path: Path):
    data = tmp_path / "exports"
    shutil.copytree(FIXTURES / "ambiguous", data)
    ws_path = tmp_path / "ws"
    res = runner.invoke(app, ["init", str(ws_path), "--from", str(data)])
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "export.csv: cannot tell which column is order_date" in out
    assert "'t1' (100% timestamps) and 't2' (100% timestamps)" in out
    assert '[sources.export.columns] order_date = "t1" (or "t2")' in out
    assert "Traceback" not in res.output
    # the source is written, with the undecided field empty and the choices beside it
    text = (ws_path / "personae.toml").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("order_date ="))
    assert line.startswith('order_date = ""') and '"t1" or "t2"' in line
    # ingest does not guess either: it names the missing field and the setting
    res = runner.invoke(app, ["ingest", "-w", str(ws_path)])
    assert res.exit_code == 2
    assert "required field 'order_date'" in " ".join(res.output.split())


def test_undecidable_kind_is_written_commented_out_and_add_kind_settles_it(tmp_path: Path):
    data = tmp_path / "exports"
    data.mkdir()
    (data / "things.csv").write_text(
        "code,when\n" + "".join(f"A{i:03d},2024-01-{i + 1:02d}\n" for i in range(12)),
        encoding="utf-8",
    )
    ws_path = tmp_path / "ws"
    res = runner.invoke(app, ["init", str(ws_path), "--from", str(data)])
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert "things.csv: cannot tell its kind" in out and "--kind" in out
    cfg = tomllib.loads((ws_path / "personae.toml").read_text(encoding="utf-8"))
    assert cfg.get("sources", {}) == {}  # nothing guessed
    assert "# [sources.things]" in (ws_path / "personae.toml").read_text(encoding="utf-8")
    res = runner.invoke(
        app, ["add", str(data / "things.csv"), "-w", str(ws_path), "--kind", "orders"]
    )
    assert res.exit_code == 0, res.output
    src = Workspace(ws_path).config.sources["things"]
    assert src.kind == "orders"
    assert src.columns == {"order_id": "code", "order_date": "when"}


def test_one_record_proves_little(tmp_path: Path):
    f = tmp_path / "one.csv"
    f.write_text("id,email,placed\nX1,a@b.org,2024-01-01 10:00\n", encoding="utf-8")
    found = discover([f])
    d = found.sources[0].decision
    assert d.kind is None and d.questions[0].subject == "kind"
    assert "only 1 records" in " ".join(d.evidence)


def test_add_to_existing_workspace_matches_against_its_sources(tmp_path: Path):
    """A new orders file is related to the CRM already in the workspace."""
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([FIXTURES / "kunden_de" / "kunden.csv"])
    found = ws.add_files([FIXTURES / "kunden_de"])  # the CRM again, and the orders
    assert [p.name for p, _ in found.already] == ["kunden.csv"]
    (orders,) = found.sources
    assert orders.columns["customer_id"] == "Kundennummer"
    assert orders.decision.identifiers == {"customer_id": "crm_id"}
    assert set(ws.config.sources) == {"kunden", "bestellungen"}


def test_evidence_is_written_as_comments_and_the_config_loads(tmp_path: Path):
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([FIXTURES / "kunden_de"])
    text = (ws.path / "personae.toml").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith('customer_id = "Kundennummer"'))
    assert "relation" in line and "kunden.csv's 'Kundennummer'" in line
    assert "# kind orders, confidence" in text
    src = ws.config.sources["bestellungen"]  # relative to the workspace, as config paths are
    assert not Path(src.paths[0]).is_absolute()
    assert (ws.path / src.paths[0]).resolve() == (FIXTURES / "kunden_de" / "bestellungen.csv")


def test_sources_check_shows_what_ingest_reads_without_ingesting(tmp_path: Path):
    ws_path = tmp_path / "ws"
    res = runner.invoke(app, ["init", str(ws_path), "--from", str(FIXTURES / "kunden_de")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["sources", "check", "-w", str(ws_path)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Bestellnummer" in res.output and "order_id" in res.output
    assert "Every source can be ingested" in res.output
    assert Workspace(ws_path).counts().get("raw_orders", 0) == 0  # nothing ingested
    # a source whose required field has no column: named, with what the contents suggest
    cfg = ws_path / "personae.toml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace('order_date = "Bestelldatum"', 'order_date = ""'),
        encoding="utf-8",
    )
    res = runner.invoke(app, ["sources", "check", "-w", str(ws_path)], terminal_width=200)
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert "which column is order_date" in out
    assert "contents suggest 'Bestelldatum'" in out
    assert '[sources.bestellungen.columns] order_date = "Bestelldatum"' in out


def test_init_from_then_ingest_and_build_on_a_mixed_folder(tmp_path: Path):
    """CRM + orders + tickets from three tools, no config written by hand: every row is
    ingested and the orders and tickets join their customers' profiles."""
    counts = write_shop(tmp_path / "exports", customers=60)
    ws_path = tmp_path / "ws"
    res = runner.invoke(app, ["init", str(ws_path), "--from", str(tmp_path / "exports")])
    assert res.exit_code == 0, res.output
    ws = Workspace(ws_path)
    assert {s.kind for s in ws.config.sources.values()} == {"contacts", "orders", "tickets"}
    report = ws.ingest()
    assert report.rows_in == sum(counts.values())
    assert report.rejected == 0 and report.ingested == report.rows_in
    ws.build()
    linked = {
        r["source_kind"]: (r["n"], r["linked"], r["profiles"])
        for r in ws.sql(
            "SELECT source_kind, count(*) AS n, count(profile_id) AS linked, "
            "count(DISTINCT profile_id) AS profiles FROM record_profiles GROUP BY 1"
        ).to_pylist()
    }
    assert linked["contacts"] == (60, 60, 60)
    assert linked["orders"][1] == counts["bestellungen.csv"]
    # orders land on the customers' own profiles (no profile of orders alone)
    crm_profiles = ws.sql(
        "SELECT DISTINCT profile_id FROM record_profiles WHERE source_kind = 'contacts'"
    )["profile_id"].to_pylist()
    order_profiles = ws.sql(
        "SELECT DISTINCT profile_id FROM record_profiles WHERE source_kind = 'orders'"
    )["profile_id"].to_pylist()
    assert set(order_profiles) <= set(crm_profiles)
    assert linked["tickets"][1] == counts["tickets.csv"]


@pytest.mark.slow
def test_init_from_then_run_completes(tmp_path: Path):
    write_shop(tmp_path / "exports", customers=120)
    ws_path = tmp_path / "ws"
    res = runner.invoke(app, ["init", str(ws_path), "--from", str(tmp_path / "exports")])
    assert res.exit_code == 0, res.output
    cfg = ws_path / "personae.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("pdf = true", "pdf = false"))
    res = runner.invoke(app, ["run", "-w", str(ws_path)])
    assert res.exit_code == 0, res.output
    assert (ws_path / "reports" / "personas.html").exists()


def test_a_few_stray_ratings_do_not_hide_a_star_scale(tmp_path: Path):
    """Exports carry bad rows: a 0, a 10 and a word among 1–5 stars are rows for the
    quarantine, not a sign of a 0–10 scale (a hotel's guest reviews, Dutch headers)."""
    rows = ["Beoordeling ID,Datum,Gast e-mail,Sterren,Recensie"]
    stars = [5, 4, 4, 3, 5, 2, 1, 4, 5, 3] * 6 + [0, 10, "geweldig"]
    for i, s in enumerate(stars):
        rows.append(
            f"HB-{7000 + i},2024-05-{1 + i % 28:02d},gast{i}@example.nl,{s},"
            f"Kamer {i} was schoon en het ontbijt was prima; personeel vriendelijk"
        )
    path = tmp_path / "gastrecensies.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    (f,) = _by_file(discover([path])).values()
    assert f.kind == "reviews", f.ranking[:3]
    assert _columns(f)["rating"] == "Sterren"
    assert "1–5" in " ".join(f.mapping["rating"].evidence)
    # and the three stray values are quarantined at ingest, the rest kept
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([path])
    (report,) = ws.ingest().files
    assert report.conserved and report.ingested == 60 and report.rejected == 3


def test_a_customer_id_column_holding_account_ids_stays_customer_id_typed_as_accounts(
    tmp_path: Path,
):
    """A B2B invoice export bills companies: its "Customer ID" is the accounts file's
    "Account ID". The header names customer_id and the values are account ids; both hold,
    so the column is decided (not asked for) as customer_id read as account ids, and the
    invoices join their accounts at ingest."""
    data = tmp_path / "exports"
    data.mkdir()
    accounts = ["Account ID,Account Name,Domain,Industry,Employees"]
    for a in range(1, 31):
        accounts.append(f"ACC-{a:06d},Firm {a} Ltd,firm{a}.example.com,Software,{10 * a}")
    (data / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    invoices = ["Invoice ID,Invoice Date,Customer ID,Email,Plan,Qty,Unit Price"]
    for i in range(90):
        a = 1 + (i * 7) % 30
        invoices.append(
            f"INV-{1000 + i},2024-{1 + i % 12:02d}-{1 + i % 27:02d} 10:{i % 60:02d}:00,"
            f"ACC-{a:06d},buyer{i % 40}@firm{a}.example.com,pro,{1 + i % 9},12.00"
        )
    (data / "invoices.csv").write_text("\n".join(invoices) + "\n", encoding="utf-8")
    files = _by_file(discover([data]))
    orders = files["invoices.csv"]
    assert orders.kind == "orders" and files["accounts.csv"].kind == "accounts"
    assert not [q for q in orders.questions if q.subject in ("customer_id", "account_id")]
    assert _columns(orders)["customer_id"] == "Customer ID"
    assert "account_id" not in orders.mapping
    assert orders.identifiers == {"customer_id": "account_id"}
    assert "accounts.csv's 'Account ID'" in " ".join(orders.mapping["customer_id"].evidence)
    # written so that ingest reads it: the source's identifiers say what the column holds
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([data])
    assert ws.config.sources["invoices"].identifiers == {"customer_id": "account_id"}
    report = ws.ingest()
    assert all(f.conserved and f.rejected == 0 for f in report.files)


def test_a_wide_survey_whose_respondents_are_another_files_customers_asks_nothing(
    tmp_path: Path,
):
    """A Google Forms export with a 'Customer ID' column that holds the CRM's customer ids:
    the relation re-decides the respondent columns, and the answers still come from the
    question columns (no 'each row needs one of question, question_id' question)."""
    data = tmp_path / "exports"
    data.mkdir()
    crm = ["Contact ID,Email,Customer ID,First Name"]
    crm += [f"CT{i:04d},p{i}@example.com,U{i:05d},Sam" for i in range(40)]
    (data / "crm.csv").write_text("\n".join(crm) + "\n", encoding="utf-8")
    survey = [
        "Timestamp,Email Address,Customer ID,How did you first hear about us?,"
        "How likely are you to recommend us to a friend? (0-10)"
    ]
    heard = ["Search engine", "A friend", "Podcast", "Instagram"]
    survey += [
        f"2024/03/{1 + i % 28:02d} 10:{i:02d}:00 AM GMT,p{i}@example.com,U{i:05d},"
        f"{heard[i % 4]},{i % 11}"
        for i in range(30)
    ]
    (data / "survey.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    files = _by_file(discover([data]))
    d = files["survey.csv"]
    assert d.kind == "survey_responses" and d.settings["layout"] == "wide"
    assert d.mapping["customer_id"].source == "relation"
    assert not [q for q in d.questions if q.blocking], d.questions
    ws_path = tmp_path / "ws"
    res = runner.invoke(app, ["init", str(ws_path), "--from", str(data)])
    assert res.exit_code == 0, res.output
    (report,) = [f for f in Workspace(ws_path).ingest().files if f.path.endswith("survey.csv")]
    assert report.conserved and report.ingested == 30 and report.answers == 60


def test_a_yes_no_column_written_in_several_spellings_is_a_yes_no_column(tmp_path: Path):
    """Reviews merged from several systems mark a verified purchase as yes, Y, true or no:
    two values in four spellings, all yes/no words, so the column is verified_purchase (it
    was left unmapped as '0% yes/no values')."""
    rows = ["Review ID,Created At,Email,Rating,Body,Verified Purchase,Channel"]
    flags = ["yes", "no", "Y", "true", "no", "yes"]
    channels = ["web", "app", "store", "phone"]
    for i in range(60):
        rows.append(
            f"R-{9000 + i},2024-05-{1 + i % 28:02d},buyer{i}@example.com,{1 + i % 5},"
            f"The blender number {i} arrived quickly and works well,{flags[i % 6]},"
            f"{channels[i % 4]}"
        )
    path = tmp_path / "reviews_merged.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    (f,) = _by_file(discover([path])).values()
    assert f.kind == "reviews"
    assert _columns(f)["verified_purchase"] == "Verified Purchase"
    assert "100% yes/no values" in f.mapping["verified_purchase"].evidence[0]
    ws = Workspace.init(tmp_path / "ws")
    ws.add_files([path])
    (report,) = ws.ingest().files
    assert report.conserved and report.rejected == 0
    got = ws.sql(
        "SELECT count_if(verified_purchase) AS yes, count_if(NOT verified_purchase) AS no "
        "FROM raw_reviews"
    ).to_pylist()[0]
    assert got == {"yes": 40, "no": 20}
