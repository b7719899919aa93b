"""`personae run` on whatever data a workspace holds: each source kind alone and in mixes
(issue "Runs through on whatever data you have"). A step that cannot run on the data says
why in one line and is recorded as skipped; the steps after it go on; no traceback. Every
mix ends with a persona report: when the data cannot split the customers it describes one
group, everyone, and says why; when nobody can be identified it describes what everyone
wrote."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from personae.cli import app
from tests.uk_shop import write_uk_shop


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("matrix")
    write_uk_shop(root, customers=150, seed=3)
    with (root / "customers.csv").open(encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    # anonymous reviews: the feedback texts without the customer number
    with (
        (root / "feedback.csv").open(encoding="utf-8") as fh,
        (root / "anonymous.csv").open("w", newline="", encoding="utf-8") as out,
    ):
        w = csv.writer(out)
        w.writerow(["Date", "Review", "Stars"])
        for row in csv.DictReader(fh):
            w.writerow([row["Submitted"], row["Your comments"], row["Stars"]])
    # a shop too small to segment (45 customers) and their support tickets by e-mail
    with (root / "few_customers.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.DictWriter(out, fieldnames=list(people[0]))
        w.writeheader()
        w.writerows(people[:FEW])
    with (root / "tickets.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["Ticket No", "Opened", "Requester email", "Subject", "Description"])
        for i, p in enumerate((people[:FEW] * 2)[: FEW + FEW // 2]):  # a third write twice
            subject, text = ticket_text(i)
            w.writerow([f"T{i}", f"{1 + i % 28:02d}/05/2024 10:00", p["Email address"],
                        subject, text])  # fmt: skip
    # and app events by customer number
    with (root / "events.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["Event ID", "User ID", "Event", "Type", "Time"])
        for i, p in enumerate(people * 4):
            event = ["Product Viewed", "Added to Basket", "Checkout Started"][i % 3]
            w.writerow([f"e{i}", p["Customer No"], event, "track",
                        f"2024-06-{1 + i % 27:02d}T{8 + i % 12:02d}:15:00Z"])  # fmt: skip
    return root


FEW = 45  # under the 50 customers segments need
TICKETS = (
    ("Late delivery", "My order arrived {n} days late, so the present came after the party."),
    (
        "Damaged parcel",
        "The box was crushed and the {item} inside was broken. Can I have a refund?",
    ),
    ("Wrong item", "I ordered the {item} but you sent me something else. Please swap it."),
)


def ticket_text(i: int) -> tuple[str, str]:
    subject, text = TICKETS[i % len(TICKETS)]
    return subject, text.format(n=2 + i % 4, item=("gift hamper", "cake tin")[i // 3 % 2])


SOURCES = {
    "customers": ("customers.csv", None),
    "few customers": ("few_customers.csv", None),
    "orders": ("orders.csv", "orders"),
    "feedback": ("feedback.csv", "reviews"),
    "anonymous": ("anonymous.csv", "reviews"),
    "tickets": ("tickets.csv", "tickets"),
    "events": ("events.csv", "events"),
}
MIXES = {
    "contacts alone": ["customers"],
    "orders alone": ["orders"],
    "reviews alone": ["feedback"],
    "anonymous reviews alone": ["anonymous"],
    "events alone": ["events"],
    "contacts and orders": ["customers", "orders"],
    "contacts and tickets": ["few customers", "tickets"],
}
# mixes whose data cannot be segmented: the report describes everyone, and says why
EVERYONE = {
    "contacts alone": "nothing to split them on",
    "contacts and tickets": f"only {FEW} customers",
    "anonymous reviews alone": "no customer could be identified",
}


def _workspace(exports: Path, tmp_path: Path, names: list[str]) -> Path:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    for name in names:
        file, kind = SOURCES[name]
        args = ["add", str(exports / file), "-w", str(ws)] + (["--kind", kind] if kind else [])
        added = runner.invoke(app, args)
        assert added.exit_code == 0, added.output
    return ws


@pytest.mark.parametrize("mix", list(MIXES), ids=list(MIXES))
def test_run_completes_on_any_mix_of_sources(exports: Path, tmp_path: Path, mix: str) -> None:
    ws = _workspace(exports, tmp_path, MIXES[mix])
    result = CliRunner().invoke(app, ["run", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "Finished in" in result.output
    con = duckdb.connect(str(ws / "personae.duckdb"), read_only=True)
    runs = con.execute("SELECT step, status, message FROM runs WHERE step <> 'ingest'").fetchall()
    con.close()
    statuses = {step: status for step, status, _ in runs}
    assert len(statuses) == len(runs), runs  # each step recorded once, under its own name
    assert set(statuses.values()) <= {"ok", "skipped"}, runs
    for step, status, message in runs:
        if status == "skipped":  # stated in the output with its reason and fix
            assert f"skipped {step}:" in result.output and "Fix:" in message
    assert statuses.get("report") == "ok", runs  # every mix ends with a persona report
    doc = json.loads((ws / "reports" / "personas.json").read_text(encoding="utf-8"))
    assert doc or mix == "anonymous reviews alone"  # nobody identified: no persona document
    if "orders" not in MIXES[mix]:
        assert statuses.get("value") == "skipped"
        # the ICP says it needs orders (not just "run value first")
        icp = next(m for step, _, m in runs if step == "icp")
        assert "orders" in icp and "--kind orders" in icp
    if mix == "anonymous reviews alone":  # no identifier: texts are read for everyone
        assert statuses["build"] == "skipped" and statuses["text"] == "ok"
        assert (ws / "reports" / "text.md").is_file()
    if mix in EVERYONE:
        _check_everyone(exports, ws, mix, runs, doc)


def _check_everyone(exports: Path, ws: Path, mix: str, runs: list, doc: list) -> None:
    """The report says it covers everyone, why, and which data would change that; the
    persona (if any) is the whole base, never a negative one, and quotes real texts."""
    md = (ws / "reports" / "personas.md").read_text(encoding="utf-8")
    assert (ws / "reports" / "personas.html").is_file()
    assert EVERYONE[mix] in md
    quotes = re.findall(r"“([^”]+)”", md)
    if mix == "anonymous reviews alone":
        assert "describes everyone" in md and "identifier such as e-mail or customer id" in md
        assert "personae add FILE" in md
        with (exports / "anonymous.csv").open(encoding="utf-8") as fh:
            reviews = [row["Review"] for row in csv.DictReader(fh)]
        assert quotes and all(any(q in r for r in reviews) for q in quotes), quotes
        return
    message = next(m for step, status, m in runs if step == "segment" and status == "ok")
    assert message.startswith("One group for everyone: ") and EVERYONE[mix] in message
    fix = "--kind orders" if mix == "contacts alone" else "personae add FILE"
    assert fix in message and fix in md
    (persona,) = doc
    assert persona["role"] == "primary" and persona["segment_name"] == "Everyone"
    assert persona["size"]["share"] == 1.0
    assert "describes everyone" in persona["bio"][0]["text"]
    assert "No purchases" in persona["size"]["value_note"]  # no orders in these mixes
    if mix == "contacts and tickets":
        assert persona["size"]["customers"] == FEW
        written = {ticket_text(i)[1] for i in range(FEW + FEW // 2)}
        pains = [t["quote"] for t in persona["pain_points"] + persona["frustrations"]]
        assert any(pains) and all(q in written for q in pains if q), pains
        assert persona["quotes"] and all(q["text"] in written for q in persona["quotes"])


def test_run_on_orders_alone_writes_the_persona_report(exports: Path, tmp_path: Path) -> None:
    ws = _workspace(exports, tmp_path, ["orders"])
    result = CliRunner().invoke(app, ["run", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert (ws / "reports" / "personas.html").is_file()
    assert "£" in (ws / "reports" / "personas.md").read_text(encoding="utf-8")
