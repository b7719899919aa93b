"""A small shop's exports for the discovery end-to-end tests: a German CRM export, its
orders export (a customer-number column, a "Bestelldatum", euro amounts with a decimal
comma) and a Zendesk tickets export whose requesters are the shop's customers. Layouts
as the fixtures in tests/fixtures/discovery/kunden_de and tests/fixtures/exports/zendesk."""

from __future__ import annotations

import csv
import random
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

_FIRST = [
    "Anna",
    "Lukas",
    "Mia",
    "Jonas",
    "Lea",
    "Felix",
    "Emma",
    "Paul",
    "Sophie",
    "Ben",
    "Lena",
    "Tim",
    "Marie",
    "Finn",
    "Clara",
    "Noah",
    "Hannah",
    "Elias",
    "Ida",
    "Max",
]
_LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
]
_TOWNS = [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln")]
_ITEMS = [
    ("Kaffeebohnen Espresso 1kg", 18.90),
    ("Milchaufschäumer", 34.50),
    ("Entkalker 500ml", 7.95),
    ("Filterpapier Gr. 4", 3.49),
    ("Thermobecher", 21.00),
    ("Siebträger 58mm", 59.00),
]
_SUBJECTS = [
    "Bestellung beschädigt angekommen",
    "Wo bleibt mein Paket?",
    "Rückerstattung",
    "Falscher Artikel geliefert",
    "Rechnung benötigt",
    "Gutschein funktioniert nicht",
]


def write_shop(folder: Path, customers: int = 120, seed: int = 3) -> dict[str, int]:
    """Write kunden.csv, bestellungen.csv and tickets.csv; returns rows per file."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = []
    for i in range(customers):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        plz, town = rng.choice(_TOWNS)
        local = f"{first}.{last}{i}".lower().replace("ü", "ue").replace("ö", "oe")
        people.append(
            {
                "Kundennummer": f"K-{10000 + i * 7}",
                "Vorname": first,
                "Nachname": last,
                "E-Mail": f"{local}@{rng.choice(['web.de', 'gmx.de', 't-online.de'])}",
                "Telefon": rng.choice([f"+49 30 {rng.randint(1000000, 9999999)}", ""]),
                "PLZ": plz,
                "Ort": town,
                "Land": "DE",
                "Kunde seit": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2022",
            }
        )
    with open(folder / "kunden.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(people[0]), delimiter=";")
        w.writeheader()
        w.writerows(people)
    orders = []
    number = 50000
    for p in people:
        for _ in range(rng.choice([1, 1, 2, 3, 4, 6])):
            number += 1
            day, month = rng.randint(1, 28), rng.randint(1, 12)
            when = f"{day:02d}.{month:02d}.2024 {rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}"
            for name, price in rng.sample(_ITEMS, rng.choice([1, 1, 2])):
                orders.append(
                    {
                        "Bestellnummer": f"B{number}",
                        "Kundennummer": p["Kundennummer"],
                        "Bestelldatum": when,
                        "Artikel": name,
                        "Menge": str(rng.choice([1, 1, 2])),
                        "Montant": f"{price:.2f}".replace(".", ",") + " €",
                    }
                )
    with open(folder / "bestellungen.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(orders[0]), delimiter=";")
        w.writeheader()
        w.writerows(orders)
    with open(FIXTURES / "exports" / "zendesk" / "tickets.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    tickets = []
    for i, p in enumerate(rng.sample(people, customers // 3)):
        row = dict.fromkeys(header, "")
        created = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:{i % 60:02d}:00"
        row.update(
            {
                "Summation column": "1",
                "Id": str(4100 + i),
                "Requester": f"{p['Vorname']} {p['Nachname']}",
                "Requester id": str(381000000 + i),
                "Requester external id": p["Kundennummer"],
                "Requester email": p["E-Mail"],
                "Subject": rng.choice(_SUBJECTS),
                "Status": rng.choice(["solved", "closed", "open"]),
                "Priority": rng.choice(["low", "normal", "high"]),
                "Via": rng.choice(["Mail", "Web form"]),
                "Ticket type": rng.choice(["question", "incident"]),
                "Created at": created,
                "Satisfaction Score": rng.choice(["Good", "Bad", "Unoffered"]),
            }
        )
        tickets.append(row)
    with open(folder / "tickets.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(tickets)
    return {"kunden.csv": len(people), "bestellungen.csv": len(orders), "tickets.csv": len(tickets)}
