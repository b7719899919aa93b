"""Order-level amounts: one row per order with its total, and Shopify's order Total on an
order's first line only, count once per order; an order's own fields are filled down over
its other lines. The expected numbers are computed from the fixtures with plain Python."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from personae import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
BOOKSHOP = FIXTURES / "order_level" / "bookshop_orders.csv"
SHOPIFY = FIXTURES / "exports" / "shopify" / "orders_export_1.csv"


def _bookshop_truth() -> dict[str, tuple[int, float]]:
    """email -> (kept orders, revenue), from the CSV itself."""
    out: dict[str, list] = defaultdict(lambda: [0, 0.0])
    with open(BOOKSHOP, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Status"] == "returned":
                continue
            out[row["Customer Email"]][0] += 1
            out[row["Customer Email"]][1] += float(row["Order Total"])
    return {k: (v[0], v[1]) for k, v in out.items()}


@pytest.fixture
def bookshop(tmp_path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    report = ws.ingest("orders", [BOOKSHOP])
    assert report.rejected == 0 and report.ingested == 8
    ws.build()
    return ws


def test_order_level_export_maps_total_and_items(bookshop):
    with bookshop.connect() as con:
        got = con.execute(
            "SELECT order_id, order_total, item_count, unit_price, quantity FROM raw_orders "
            "ORDER BY order_id"
        ).fetchall()
    assert got[0] == ("BK-1001", 24.99, 2, None, None)


def test_profiles_revenue_is_the_sum_of_order_totals(bookshop):
    truth = _bookshop_truth()
    with bookshop.connect() as con:
        rows = con.execute(
            "SELECT email, orders, revenue, avg_order_value FROM profiles WHERE orders > 0"
        ).fetchall()
    got = {r[0]: r[1:] for r in rows}
    assert set(got) == set(truth)
    for email, (orders, revenue) in truth.items():
        g_orders, g_revenue, g_aov = got[email]
        assert g_orders == orders
        assert g_revenue == pytest.approx(revenue)
        assert g_aov == pytest.approx(revenue / orders)


def test_value_orders_hold_each_order_total_once(bookshop):
    with open(BOOKSHOP, newline="", encoding="utf-8") as fh:
        totals = {r["Order Number"]: float(r["Order Total"]) for r in csv.DictReader(fh)}
    from personae.value.transactions import stage_value_orders

    with bookshop.connect() as con:
        stage_value_orders(con, "2025-12-31 00:00:00")
        got = dict(con.execute("SELECT order_key, gross_value FROM value_orders").fetchall())
    assert got == pytest.approx(totals)


def _shopify_orders() -> dict[str, dict]:
    """order name -> its first line's Created at and Total, and its line count."""
    out: dict[str, dict] = {}
    with open(SHOPIFY, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            o = out.setdefault(row["Name"], {"lines": 0, "date": row["Created at"]})
            o["lines"] += 1
            if row["Total"]:
                o["total"] = float(row["Total"])
    return out


def test_shopify_multi_line_order_keeps_every_line_with_the_order_date(tmp_path):
    truth = _shopify_orders()
    multi = [k for k, v in truth.items() if v["lines"] > 1]
    assert multi, "the fixture has a multi-line order"
    ws = Workspace.init(tmp_path / "ws")
    assert not ws.add_files([SHOPIFY]).blocking
    report = ws.ingest()
    assert report.rejected == 0
    from personae.ingest.revenue import order_lines_sql
    from personae.value.transactions import columns_of

    with ws.connect() as con:
        lines = dict(
            con.execute(
                "SELECT order_id, count(*) FROM raw_orders WHERE order_date IS NOT NULL "
                "GROUP BY order_id"
            ).fetchall()
        )
        dates = con.execute(
            "SELECT order_id, count(DISTINCT order_date) FROM raw_orders GROUP BY order_id"
        ).fetchall()
        revenue = dict(
            con.execute(
                f"SELECT order_id, sum(line_revenue) "
                f"FROM ({order_lines_sql(columns_of(con, 'raw_orders'))}) GROUP BY order_id"
            ).fetchall()
        )
    assert lines == {k: v["lines"] for k, v in truth.items()}
    assert all(n == 1 for _, n in dates)
    for name, o in truth.items():
        assert revenue[name] == pytest.approx(o["total"]), name


def test_line_items_without_order_total_are_unchanged(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text(
        "order_id,order_date,email,quantity,unit_price,discount\n"
        "A1,2025-01-01,ann.reed@example.co.uk,2,10.00,1.00\n"
        "A1,2025-01-01,ann.reed@example.co.uk,1,5.50,0\n"
        "A2,2025-01-05,ann.reed@example.co.uk,3,4.00,0\n",
        encoding="utf-8",
    )
    ws = Workspace.init(tmp_path / "ws")
    ws.ingest("orders", [path])
    ws.build()
    with ws.connect() as con:
        (orders, revenue) = con.execute(
            "SELECT orders, revenue FROM profiles WHERE email = 'ann.reed@example.co.uk'"
        ).fetchone()
    assert orders == 2
    assert revenue == pytest.approx(2 * 10.0 - 1.0 + 5.5 + 3 * 4.0)
