"""The saas demo's invoices written as Stripe's payments export (``--format exports``).

Why a writer of its own: the other flat vendor files keep the native file's rows, one for
one (:mod:`personae.demo.exports` inverts their preset). A SaaS that bills on Stripe has no
line-item export: the Dashboard's Payments > Export (``unified_payments.csv``) holds one row
per payment, the charge of one invoice, with the invoice's total as its Amount. So the
native invoice, a plan-seats line and any add-on lines under one ``INV-…`` number, becomes
one payment row (layout: support.stripe.com/questions/exporting-a-report-of-all-transactions
and the Charge object, docs.stripe.com/api/charges/object; the columns are those of the
preset ``stripe_payments``):

* ``id`` a charge id (``ch_…``) and ``Invoice ID`` an invoice id (``in_…``), both made
  from the native invoice number, so the same invoice always gets the same ids;
* ``Customer ID`` the Stripe customer (``cus_…``) of the native account: a SaaS keeps one
  Stripe customer per paying account, and the demo's account has one billing contact,
  whose ``Customer Email`` the invoice carries;
* ``Created date (UTC)`` as the Dashboard writes it (``YYYY-MM-DD HH:MM:SS``, UTC),
  ``Amount``/``Amount Refunded`` in major units with a thousands comma, ``Currency`` in
  lower case, ``Card Brand`` as Stripe names the brand (a bank transfer, ACH debit or paid
  invoice has none);
* ``Status`` Paid, Refunded (every kept line returned) or Failed (every line cancelled); a
  partly returned invoice stays Paid with its Amount Refunded, as Stripe keeps a partially
  refunded charge; a cancelled line is not charged;
* ``Description`` as Stripe describes an invoice's charge: "Subscription creation" for a
  customer's first, "Subscription update" after.

What the payment cannot carry is left out, as a real export leaves it out: the lines'
products, categories, seat quantities and unit prices, the discount and coupon, the
sales channel. The rows are written newest first, as the Dashboard lists them.

Planted faults keep their meaning: a payment holds all its invoice's lines, so a planted
fault in any of them is the payment's (the first by reading order, line-level faults
first): an unreadable date is written as it was (``bad_timestamp``), a bad or negative
quantity, price or discount makes the Amount that fault (``bad_number`` /
``negative_value`` on Amount), an extra or missing cell stays (``column_count``), stray
latin-1 bytes stay in the row (``bad_encoding``; in the Description when the cell that
held them has no Stripe column), and a line without its invoice number
cannot join its invoice: it becomes a payment of its own without an id
(``missing_required`` on id). The truth's records and bad rows are rewritten through the
returned row map (native row -> payment row), as for the wide survey layout.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from personae.ingest.mapping import resolve_columns
from personae.ingest.schema import KINDS

ENCODING = "utf-8"
ERRORS = "surrogateescape"

ID, DATE, AMOUNT = "id", "Created date (UTC)", "Amount"
HEADER = (
    ID,
    DATE,
    AMOUNT,
    "Amount Refunded",
    "Currency",
    "Captured",
    "Decline Reason",
    "Description",
    "Status",
    "Seller Message",
    "Customer ID",
    "Customer Description",
    "Customer Email",
    "Card Brand",
    "Invoice ID",
)
# The legacy Card object's brand names, which the Dashboard export writes.
CARD_BRANDS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
}
# Line-level faults first: the reader meets them before any value is checked.
_FAULT_ORDER = ("bad_encoding", "column_count")
_MONEY_FAULTS = ("bad_number", "negative_value")
_LINE_FIELDS = ("quantity", "unit_price", "discount")  # what a line's amount is made of
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def stripe_id(prefix: str, key: str, length: int = 24) -> str:
    """A Stripe-looking object id (``ch_…``) made from a native key: same key, same id."""
    n = int(hashlib.sha256(f"{prefix}:{key}".encode()).hexdigest(), 16)
    chars = []
    for _ in range(length):
        n, r = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[r])
    return f"{prefix}_{''.join(chars)}"


def utc_time(text: str) -> str:
    """An ISO time as the Dashboard writes it (UTC, no zone); anything else as it was."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S")


def money(text: str) -> Decimal | None:
    """A native money or quantity cell (``£24.00``, ``1,250.00``, blank = 0) as a number."""
    cleaned = re.sub(r"[^0-9.\-]", "", text or "")
    if not cleaned:
        return Decimal(0) if not (text or "").strip() else None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def major_units(value: Decimal) -> str:
    return f"{value:,.2f}"


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


class _Lines:
    """The native orders file's rows with its fields looked up by name."""

    def __init__(self, header: list[str], native: Path) -> None:
        self.header = header
        self.fields = resolve_columns(KINDS["orders"], header, {}, Path(native.name))
        missing = [f for f in ("order_id", "order_date", "unit_price") if f not in self.fields]
        if missing:
            raise ValueError(f"{native.name}: a Stripe payment needs {missing} in the lines")
        self.col = {f: header.index(h) for f, h in self.fields.items()}

    def get(self, row: list[str], field: str) -> str:
        i = self.col.get(field)
        return row[i] if i is not None and i < len(row) else ""


def _amount(lines: _Lines, row: list[str]) -> Decimal:
    qty = money(lines.get(row, "quantity")) if "quantity" in lines.col else Decimal(1)
    price = money(lines.get(row, "unit_price"))
    discount = money(lines.get(row, "discount"))
    if qty is None or price is None or discount is None:
        raise ValueError(f"line {row[:2]}: an unplanted amount that cannot be read")
    return qty * price - discount


def _payment(
    lines: _Lines,
    members: list[tuple[int, list[str]]],
    planted: dict[int, tuple[str, str]],
    first_of_customer: bool,
) -> tuple[dict[str, str], tuple[str, str] | None, list[str]]:
    """One invoice's lines as one payment row; returns the row, its fault (reason, Stripe
    column) and the planted line (for a cell-count fault)."""
    faults = sorted(
        (m for m in members if m[0] in planted),
        key=lambda m: (planted[m[0]][0] not in _FAULT_ORDER, m[0]),
    )
    first = (faults[0] if faults else members[0])[1]
    fault = planted[faults[0][0]] if faults else None
    statuses = [lines.get(r, "status").strip().lower() for _, r in members]
    lines_of = [(n, r, s) for (n, r), s in zip(members, statuses, strict=True)]
    failed = all(s == "cancelled" for s in statuses)
    charged = lines_of if failed else [m for m in lines_of if m[2] != "cancelled"]
    total = refunded = Decimal(0)
    for n, r, s in charged:
        try:
            line = _amount(lines, r)
        except ValueError:
            if n in planted:  # a planted line's amount is its fault, written below
                continue
            raise
        total += line
        refunded += line if s == "returned" else 0
    refunded_all = not failed and total > 0 and refunded == total
    key = lines.get(first, "order_id").strip()
    account = lines.get(first, "customer_id").strip()
    brand = CARD_BRANDS.get(lines.get(first, "payment_method").strip().lower(), "")
    status = "Failed" if failed else "Refunded" if refunded_all else "Paid"
    row = {
        ID: stripe_id("ch", key) if key else "",
        DATE: utc_time(lines.get(first, "order_date")),
        AMOUNT: major_units(total),
        "Amount Refunded": major_units(refunded if not failed else Decimal(0)),
        "Currency": lines.get(first, "currency").strip().lower(),
        "Captured": "false" if failed else "true",
        "Decline Reason": "card_declined" if failed else "",
        "Description": "Subscription creation" if first_of_customer else "Subscription update",
        "Status": status,
        "Seller Message": (
            "The bank did not return any further details with this decline."
            if failed
            else "Payment complete."
        ),
        "Customer ID": stripe_id("cus", account, 14) if account else "",
        "Customer Description": "",
        "Customer Email": lines.get(first, "email"),
        "Card Brand": brand,
        "Invoice ID": stripe_id("in", key) if key else "",
    }
    if fault is None:
        return row, None, first
    reason, column = fault
    native_field = next((f for f, h in lines.fields.items() if h == column), None)
    if reason in _MONEY_FAULTS and native_field in _LINE_FIELDS:
        if reason == "bad_number":  # the cell that cannot be read is the Amount
            row[AMOUNT] = lines.get(first, native_field)
        else:
            row[AMOUNT] = "-" + major_units(abs(_amount(lines, first)) or Decimal(1))
        return row, (reason, AMOUNT), first
    if reason == "bad_timestamp" and native_field == "order_date":
        return row, (reason, DATE), first
    if reason == "missing_required" and native_field in ("order_id", "order_date"):
        if native_field == "order_date":
            row[DATE] = ""
        return row, (reason, ID if native_field == "order_id" else DATE), first
    if reason == "bad_encoding":
        if not any(_undecodable(v) for v in row.values()):
            row["Description"] = next((c for c in first if _undecodable(c)), "")
        if not any(_undecodable(v) for v in row.values()):
            raise ValueError(f"line {first[:2]}: planted bad_encoding without its bytes")
        return row, (reason, ""), first
    if reason == "column_count":
        return row, (reason, ""), first
    raise ValueError(f"{reason} on {column}: no Stripe payments form for that fault")


def _groups(
    lines: _Lines, rows: Iterable[list[str]]
) -> tuple[int, dict[str, list[tuple[int, list[str]]]]]:
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    count = 0
    for row in rows:
        count += 1
        key = lines.get(row, "order_id").strip()
        groups.setdefault(key or f"\0{count}", []).append((count, row))
    return count, groups


def convert_stripe_payments(
    native: Path, out: Path, planted: dict[int, tuple[str, str]]
) -> tuple[int, dict[int, int], list[tuple[int, str, str]]]:
    """Write the native orders file (line items) as Stripe's payments export.

    ``planted``: the native file's bad rows (row -> reason, column). Returns the native
    line count, the row map (native line -> payment row) and the payment file's planted
    bad rows (row, reason, Stripe column)."""
    with open(native, encoding=ENCODING, errors=ERRORS, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        lines = _Lines(header, native)
        count, groups = _groups(lines, reader)
    width = len(header)
    seen: set[str] = set()
    payments: list[tuple[list[str], list[int], tuple[str, str] | None]] = []
    for members in groups.values():  # chronological: a customer's first is its creation
        account = lines.get(members[0][1], "customer_id").strip()
        row, fault, first = _payment(lines, members, planted, account not in seen)
        seen.add(account)
        values = [row[h] for h in HEADER]
        if fault is not None and fault[0] == "column_count":
            values = [*values, "EXTRA"] if len(first) > width else values[:-1]
        payments.append((values, [n for n, _ in members], fault))
    row_map: dict[int, int] = {}
    bad: list[tuple[int, str, str]] = []
    with open(out, "w", encoding=ENCODING, errors=ERRORS, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        for n, (values, natives, fault) in enumerate(reversed(payments), start=1):
            writer.writerow(values)
            row_map.update(dict.fromkeys(natives, n))
            if fault is not None:
                bad.append((n, *fault))
    return count, row_map, bad
