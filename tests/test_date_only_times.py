"""A file of purchase dates without times claims no time of day (issue "Personas that read
right", item 4): a bakery's till export gives dates only, its web shop gives full times.

With ``[ingest] timezone = "Europe/London"`` the till's midnights become 00:00 and 23:00 UTC
(either side of the clock change), which used to make every till customer "usually buy at
night". Weekdays still come from both files."""

from __future__ import annotations

import csv
from pathlib import Path

from personae import Workspace


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_date_only_orders_give_no_daypart_and_timed_orders_do(tmp_path: Path) -> None:
    till = _write(
        tmp_path / "till.csv",
        ["Receipt", "Sale date", "Loyalty e-mail", "Total"],
        [
            # days of March and April 2024, either side of the clock change (31 March)
            [f"R{i}", f"2024-{3 + i // 20:02d}-{1 + i % 20:02d}",
             f"till{i % 8}@bakery-customer.test", f"{4 + i % 5}.50"]
            for i in range(40)
        ],
    )  # fmt: skip
    web = _write(
        tmp_path / "web.csv",
        ["Order", "Placed at", "Email", "Amount"],
        [
            [f"W{i}", f"2024-04-{1 + i % 20:02d} {7 + i % 2}:{10 + i:02d}:00",
             f"web{i % 4}@bakery-customer.test", "12.00"]
            for i in range(20)
        ],
    )  # fmt: skip
    ws = Workspace.init(tmp_path / "ws")
    config = tmp_path / "ws" / "personae.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'timezone = "UTC"', 'timezone = "Europe/London"', 1
        ),
        encoding="utf-8",
    )
    ws = Workspace(tmp_path / "ws")
    assert ws.config.ingest.timezone == "Europe/London"
    columns = {"order_id": "Receipt", "order_date": "Sale date", "email": "Loyalty e-mail"}
    ws.add_source("till", "orders", [str(till)], columns={**columns, "order_total": "Total"})
    ws.add_source(
        "web",
        "orders",
        [str(web)],
        columns={"order_id": "Order", "order_date": "Placed at", "email": "Email",
                 "order_total": "Amount"},
    )  # fmt: skip
    ws.ingest()
    ws.build()
    hours = {
        r["h"]
        for r in ws.sql(
            "SELECT DISTINCT hour(order_date) AS h FROM raw_orders "
            "WHERE _source_file LIKE '%till.csv'"
        ).to_pylist()
    }
    assert hours <= {0, 23} and len(hours) == 2  # the case this guards: midnights in UTC
    rows = ws.sql(
        "SELECT email, preferred_order_daypart AS daypart, preferred_order_weekday AS weekday "
        "FROM profiles WHERE orders > 0"
    ).to_pylist()
    till_rows = [r for r in rows if str(r["email"]).startswith("till")]
    web_rows = [r for r in rows if str(r["email"]).startswith("web")]
    assert len(till_rows) == 8 and len(web_rows) == 4
    assert all(r["daypart"] is None for r in till_rows), till_rows
    assert all(r["weekday"] for r in till_rows)  # the date still says which day
    assert all(r["daypart"] == "morning" for r in web_rows), web_rows  # 07:10–08:29 UTC
