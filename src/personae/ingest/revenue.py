"""What an order is worth and how many items it holds: the one definition every step uses.

``raw_orders`` has one row per line item, but exports come in two shapes: line items
(quantity × unit price − discount per line) and orders (one row per order with its total
and item count, or a line-item export that carries the order's total on its first line or
repeats it on every line). The rule:

* an order's revenue is its ``order_total`` when any of its lines gives one — counted once
  per order, however many lines repeat it — else the sum of its lines' ``line_total``;
* an order's items are its ``item_count`` when given, else the sum of ``quantity`` (a line
  without one is one item).

Steps sum per line (a kept line, a category, a profile), so :func:`order_lines_sql` spreads
each order's revenue over its lines: in proportion to the lines' own totals where they
have some, evenly otherwise. Summed over an order's lines the shares give back exactly the
order's revenue, and over its kept lines the revenue less what was returned. The profiles
(``revenue``, ``avg_order_value``), the value step (``value_orders``), the account
profiles and the cross-sell all read the lines through this module, so they cannot
disagree about what an order is worth.

An order is identified by its ``order_id`` within its source file (the same number in two
shops' files is two orders); a row without an order id is an order of its own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from personae.engine import quote_literal


def order_key_sql(columns: Collection[str], alias: str = "") -> str:
    """The expression that identifies a row's order (its id, or the row itself)."""
    a = f"{alias}." if alias else ""
    if "order_id" in columns:
        return f"coalesce({a}order_id, CAST({a}_source_row AS VARCHAR))"
    return f"CAST({a}_source_row AS VARCHAR)"


def rate_sql(columns: Collection[str], rates: Mapping[str, float] | None) -> str:
    """The factor that turns a line's money into the reporting currency: 1 without rates
    (one currency), the currency's rate, 1 for a line without a currency (the reporting
    one is assumed), NULL for a currency without a rate (its revenue is left out)."""
    if not rates or "currency" not in set(columns):
        return "1.0"
    whens = " ".join(f"WHEN {quote_literal(c)} THEN {float(r)!r}" for c, r in rates.items())
    return (
        "(CASE WHEN nullif(trim(currency), '') IS NULL THEN 1.0 "
        f"ELSE CASE upper(trim(currency)) {whens} END END)"
    )


def order_lines_sql(
    columns: Collection[str],
    table: str = "raw_orders",
    rates: Mapping[str, float] | None = None,
) -> str:
    """``SELECT`` every column of ``table`` plus ``line_revenue`` and ``line_items``.

    ``line_revenue`` is the line's share of its order's revenue and ``line_items`` its share
    of the order's items (see the module docstring); ``columns`` are the table's columns
    (an old workspace may lack ``order_total`` or ``item_count``). The SQL is plain window
    functions, so DuckDB and Spark read it alike. ``rates`` (code -> rate, see
    :mod:`personae.locale.resolve`) convert ``line_revenue`` into the reporting currency.
    """
    cols = set(columns)
    line = "line_total" if "line_total" in cols else "CAST(NULL AS DOUBLE)"
    qty = "CAST(coalesce(quantity, 1) AS DOUBLE)" if "quantity" in cols else "1.0"
    total = "order_total" if "order_total" in cols else "CAST(NULL AS DOUBLE)"
    items = "item_count" if "item_count" in cols else "CAST(NULL AS BIGINT)"
    order = f"PARTITION BY _source_file, {order_key_sql(cols)}"
    inner = f"""
        SELECT *,
               max({total}) OVER ({order}) AS _order_total,
               sum(greatest(coalesce({line}, 0), 0)) OVER ({order}) AS _order_weight,
               count(*) OVER ({order}) AS _order_lines,
               max({items}) OVER ({order}) AS _order_items,
               sum({qty}) OVER ({order}) AS _order_qty
        FROM {table}
    """
    factor = rate_sql(cols, rates)
    return f"""
        SELECT *,
               {factor} * CASE WHEN _order_total IS NULL THEN {line}
                    WHEN _order_weight > 0
                        THEN _order_total * greatest(coalesce({line}, 0), 0) / _order_weight
                    ELSE _order_total / _order_lines END AS line_revenue,
               CASE WHEN _order_items IS NULL THEN {qty}
                    WHEN _order_qty > 0 THEN _order_items * {qty} / _order_qty
                    ELSE CAST(_order_items AS DOUBLE) / _order_lines END AS line_items
        FROM ({inner}) _lines
    """


def order_lines_table(
    columns: Collection[str],
    table: str = "raw_orders",
    rates: Mapping[str, float] | None = None,
) -> str:
    """:func:`order_lines_sql` as a parenthesised subquery, ready for ``FROM``."""
    return f"({order_lines_sql(columns, table, rates)})"
