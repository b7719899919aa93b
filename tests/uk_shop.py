"""A small UK shop's own exports (not the demo generator): a customer list, an orders
export with a total in pounds, and a feedback form, in the shop's own column names.

Used to check that money, dates and phone numbers are read the UK way with no setting:
``(GBP)`` header and ``£`` values, day-first dates (most days ≤ 12 in the first rows),
``07700 900xxx`` numbers (Ofcom's drama range) with a "United Kingdom" country column.
Two kinds of buyer so that segments form: regulars (small baskets every week or two) and
occasional gift buyers (a few large orders a year).
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "Harry",
    "Ava",
    "Jack",
    "Mia",
    "George",
    "Freya",
    "Noah",
    "Poppy",
    "Arthur",
    "Evie",
    "Leo",
    "Rosie",
    "Oscar",
    "Ivy",
    "Alfie",
    "Millie",
    "Theo",
]
LAST = [
    "Jones",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Hughes",
    "Walker",
    "Wright",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Patel",
    "Khan",
    "Lewis",
]
TOWNS = ["Leeds", "Bristol", "Cardiff", "York", "Bath", "Glasgow", "Norwich", "Exeter"]
REGULAR_SAYS = [
    "Lovely fresh bread every week and the delivery is always on time.",
    "I order my weekly coffee beans here, the subscription saves me a trip to town.",
    "Great value for everyday groceries, the app makes reordering quick.",
    "The sourdough is the best in town and it arrives before breakfast.",
]
GIFT_SAYS = [
    "Bought a hamper as a birthday present and the gift wrapping was beautiful.",
    "The Christmas gift box arrived in perfect condition, my mum loved it.",
    "Pricey but worth it for a special present, the card message was a nice touch.",
    "Ordered an anniversary hamper, delivery was a day late which was stressful.",
]


END = datetime(2024, 6, 28, 18, 0)  # the day of the export


def write_uk_shop(folder: Path, customers: int = 360, seed: int = 7) -> dict[str, int]:
    """Write customers.csv, orders.csv and feedback.csv into ``folder``; return the number
    of regular and gift customers (the planted truth)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2023, 1, 2, 8, 0)
    when = start
    truth = {"regular": 0, "gift": 0}
    with (
        (folder / "customers.csv").open("w", newline="", encoding="utf-8") as fc,
        (folder / "orders.csv").open("w", newline="", encoding="utf-8") as fo,
        (folder / "feedback.csv").open("w", newline="", encoding="utf-8") as ff,
    ):
        cw, ow, fw = csv.writer(fc), csv.writer(fo), csv.writer(ff)
        cw.writerow(
            [
                "Customer No",
                "Forename",
                "Surname",
                "Email address",
                "Mobile",
                "Town",
                "Country",
                "Joined",
            ]
        )
        ow.writerow(["Order Ref", "Customer No", "Placed", "Total (GBP)", "Items", "Delivery"])
        fw.writerow(["Submitted", "Customer No", "Your comments", "Stars"])
        ref = 50000
        for n in range(customers):
            cid = f"C{10000 + n}"
            gift = n % 3 == 0
            truth["gift" if gift else "regular"] += 1
            first, last = rng.choice(FIRST), rng.choice(LAST)
            joined = start + timedelta(days=rng.randrange(0, 120), hours=rng.randrange(0, 10))
            phone = f"07700 900{n % 1000:03d}"
            cw.writerow(
                [
                    cid,
                    first,
                    last,
                    f"{first}.{last}{n}@example.co.uk".lower(),
                    phone,
                    rng.choice(TOWNS),
                    "United Kingdom",
                    joined.strftime("%d/%m/%Y"),
                ]
            )
            when = joined
            while True:  # everyone keeps buying until the export date, at their own pace
                when += timedelta(
                    days=rng.randint(70, 150) if gift else rng.randint(5, 16),
                    hours=rng.randint(0, 9),
                    minutes=rng.randint(0, 59),
                )
                if when > END:
                    break
                total = rng.uniform(60, 180) if gift else rng.uniform(8, 30)
                items = rng.randint(1, 3) if gift else rng.randint(3, 9)
                ref += 1
                ow.writerow(
                    [
                        f"UK{ref}",
                        cid,
                        when.strftime("%d/%m/%Y %H:%M"),
                        f"£{total:,.2f}",
                        items,
                        "Royal Mail" if gift else "Van",
                    ]
                )
            if rng.random() < 0.6:
                said = rng.choice(GIFT_SAYS if gift else REGULAR_SAYS)
                said_at = END - timedelta(days=rng.randint(1, 200))
                fw.writerow([said_at.strftime("%d/%m/%Y %H:%M"), cid, said, rng.randint(3, 5)])
    return truth
