"""`personae run` on whatever data a workspace holds: each source kind alone and in mixes
(issue "Runs through on whatever data you have"). A step that cannot run on the data says
why in one line and is recorded as skipped; the steps after it go on; no traceback."""

from __future__ import annotations

import csv
import json
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
    # support tickets by e-mail, and app events by customer number
    with (root / "tickets.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["Ticket No", "Opened", "Requester email", "Subject", "Description"])
        for i, p in enumerate(people):
            w.writerow([f"T{i}", f"{1 + i % 28:02d}/05/2024 10:00", p["Email address"],
                        "Late delivery", "My order arrived two days late and the box was"
                        " crushed, please can you help with a refund?"])  # fmt: skip
    with (root / "events.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["Event ID", "User ID", "Event", "Type", "Time"])
        for i, p in enumerate(people * 4):
            event = ["Product Viewed", "Added to Basket", "Checkout Started"][i % 3]
            w.writerow([f"e{i}", p["Customer No"], event, "track",
                        f"2024-06-{1 + i % 27:02d}T{8 + i % 12:02d}:15:00Z"])  # fmt: skip
    return root


SOURCES = {
    "customers": ("customers.csv", None),
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
    "contacts and tickets": ["customers", "tickets"],
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
    if statuses.get("report") == "ok":
        doc = json.loads((ws / "reports" / "personas.json").read_text(encoding="utf-8"))
        assert doc
    if "orders" not in MIXES[mix]:
        assert statuses.get("value") == "skipped"
        # the ICP says it needs orders (not just "run value first")
        icp = next(m for step, _, m in runs if step == "icp")
        assert "orders" in icp and "--kind orders" in icp
    if mix == "anonymous reviews alone":  # no identifier: texts are read for everyone
        assert statuses["build"] == "skipped" and statuses["text"] == "ok"
        assert (ws / "reports" / "text.md").is_file()


def test_run_on_orders_alone_writes_the_persona_report(exports: Path, tmp_path: Path) -> None:
    ws = _workspace(exports, tmp_path, ["orders"])
    result = CliRunner().invoke(app, ["run", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert (ws / "reports" / "personas.html").is_file()
    assert "£" in (ws / "reports" / "personas.md").read_text(encoding="utf-8")
