"""Tests for the demo data generator: determinism, truth coverage, planted mess and signal."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from personae.demo import generate
from personae.demo.archetypes import SCENARIO_ARCHETYPES

CSV_CHECKS: dict[str, dict] = {
    "crm_contacts": {"required": ["Contact ID"], "ts": ["Created Date", "Date of Birth"]},
    "crm_accounts": {
        "required": ["Account ID"],
        "ts": ["Created Date", "Renewal Date"],
        "num": ["Employees", "Seats", "Seats Used", "MRR", "Annual Revenue"],
        "nonneg": ["Seats"],
    },
    "orders": {
        "required": ["Order ID"],
        "ts": ["Order Date"],
        "num": ["Qty", "Unit Price", "Discount"],
        "nonneg": ["Qty"],
    },
    "email_activity": {"required": ["Email Address"], "ts": ["Timestamp"]},
    "survey_responses": {"required": ["Response ID"], "ts": ["Submitted At"]},
    "reviews": {
        "required": ["Review ID"],
        "ts": ["Created At"],
        "num": ["Rating"],
        "range": {"Rating": (1, 5)},
    },
    "marketing_spend": {
        "required": ["Month", "Channel"],
        "month": ["Month"],
        "num": ["Spend", "Impressions", "Clicks"],
        "nonneg": ["Spend"],
    },
    "support_tickets": {
        "required": ["ticket_id"],
        "ts": ["created_at", "resolved_at"],
        "range": {"satisfaction": (1, 5)},
    },
    "social_posts": {"required": ["post_id"], "ts": ["created_at"], "num": ["likes"]},
    "events": {"required": ["messageId"], "ts": ["timestamp", "sentAt", "receivedAt"]},
}


# ----------------------------------------------------------------- reference parsers
def parse_ts(value: str) -> bool:
    """True when ``value`` is one of the timestamp/date spellings the ingester accepts."""
    v = value.strip()
    try:
        dt.datetime.fromisoformat(v)
        return len(v) >= 10 and v[4] == "-"
    except ValueError:
        pass
    for f in ("%m/%d/%Y", "%m/%d/%Y %H:%M"):
        try:
            dt.datetime.strptime(v, f)
            return True
        except ValueError:
            continue
    return False


def parse_month(value: str) -> bool:
    try:
        dt.datetime.strptime(value, "%Y-%m")
        return True
    except ValueError:
        return False


def parse_num(value) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().lstrip("$£").replace(",", ""))
    except ValueError:
        return None


# ----------------------------------------------------------------- reading outputs
def read_csv_records(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    return rows[0], rows[1:]


def read_jsonl_lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8").splitlines()


def count_records(path: Path) -> int:
    if path.suffix == ".csv":
        return len(read_csv_records(path)[1])
    if path.suffix == ".jsonl":
        return len(read_jsonl_lines(path))
    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8"))["batch"])
    return pq.ParquetFile(path).metadata.num_rows


def read_truth(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class Data:
    """A generated csv-format dataset, parsed once per test module."""

    def __init__(self, out: Path, manifest) -> None:
        self.out = out
        self.manifest = manifest
        truth = out / "truth"
        self.people = {r["person_id"]: r for r in read_truth(truth / "people.csv")}
        self.records = read_truth(truth / "records.csv")
        self.bad = read_truth(truth / "bad_rows.csv")
        self.dups = read_truth(truth / "duplicates.csv")
        self.owner = {
            (r["source_file"], int(r["source_row"])): r["person_id"] for r in self.records
        }
        self.csv: dict[str, tuple[list[str], list[list[str]]]] = {}
        self.jsonl: dict[str, list[str]] = {}
        for name in manifest.files:
            p = out / name
            if p.suffix == ".csv":
                self.csv[name] = read_csv_records(p)
            elif p.suffix == ".jsonl":
                self.jsonl[name] = read_jsonl_lines(p)

    def rows(self, name: str) -> list[dict]:
        """Valid records of a CSV file as dicts (with their 1-based number)."""
        header, recs = self.csv[name]
        bad = {int(b["source_row"]) for b in self.bad if b["source_file"] == name}
        return [
            dict(zip(header, r, strict=True), _row=i)
            for i, r in enumerate(recs, start=1)
            if i not in bad
        ]

    def archetype(self, name: str, row: int) -> str | None:
        pid = self.owner.get((name, row))
        return self.people[pid]["archetype"] if pid else None


@pytest.fixture(scope="module")
def retail(tmp_path_factory) -> Data:
    out = tmp_path_factory.mktemp("retail")
    return Data(out, generate("retail", 4000, seed=11, out=out, fmt="csv"))


@pytest.fixture(scope="module")
def saas(tmp_path_factory) -> Data:
    out = tmp_path_factory.mktemp("saas")
    return Data(out, generate("saas", 500, seed=11, out=out, fmt="csv"))


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ----------------------------------------------------------------- tests
@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_deterministic(tmp_path: Path, scenario: str) -> None:
    a = generate(scenario, 300, seed=5, out=tmp_path / "a")
    generate(scenario, 300, seed=5, out=tmp_path / "b")
    generate(scenario, 300, seed=6, out=tmp_path / "c")
    da, db, dc = (_digest(tmp_path / x) for x in "abc")
    assert da == db
    data = [f for f in a.files if f in dc]
    assert any(da[f] != dc[f] for f in data)


@pytest.mark.parametrize("name", ["retail", "saas"])
def test_manifest_matches_files(request, name: str) -> None:
    d: Data = request.getfixturevalue(name)
    m = json.loads((d.out / "manifest.json").read_text())
    assert m["files"] == d.manifest.files
    assert m["as_of"] == "2026-10-31" and m["fmt"] == "csv"
    for fname, n in d.manifest.files.items():
        assert count_records(d.out / fname) == n, fname
    batches = [f for f in d.manifest.files if f.startswith("events_batch_")]
    assert batches
    for f in batches:
        assert (d.out / f).stat().st_size < 500_000
        doc = json.loads((d.out / f).read_text())
        assert set(doc) == {"batch", "sentAt"}


@pytest.mark.parametrize("name", ["retail", "saas"])
def test_truth_covers_every_record(request, name: str) -> None:
    d: Data = request.getfixturevalue(name)
    expected = {
        (f, i)
        for f, n in d.manifest.files.items()
        if not f.startswith("marketing_spend")
        for i in range(1, n + 1)
    }
    got = [(r["source_file"], int(r["source_row"])) for r in d.records]
    assert len(got) == len(set(got))
    assert set(got) == expected
    assert all(r["person_id"] in d.people for r in d.records if r["person_id"])
    # e-mail events, orders and CRM all resolve to a person
    assert all(d.owner[("orders.csv", i)] for i in range(1, d.manifest.files["orders.csv"] + 1))


@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_archetype_definitions(scenario: str) -> None:
    archs = SCENARIO_ARCHETYPES[scenario]
    positive = [a for a in archs if not a.negative]
    assert 4 <= len(positive) <= 6
    assert any(a.negative for a in archs)
    assert len({a.key for a in archs}) == len(archs)


@pytest.mark.parametrize("name", ["retail", "saas"])
def test_every_archetype_present(request, name: str) -> None:
    d: Data = request.getfixturevalue(name)
    arch = json.loads((d.out / "truth" / "archetypes.json").read_text())["archetypes"]
    keys = {a["key"] for a in arch}
    counts = Counter(p["archetype"] for p in d.people.values())
    assert set(counts) == keys
    assert all(c >= 10 for c in counts.values())
    neg = {a["key"] for a in arch if a["negative"]}
    assert all(
        d.people[p]["is_negative"] == ("true" if d.people[p]["archetype"] in neg else "false")
        for p in d.people
    )


def _valid_value(check: str, value, rng: tuple[int, int] | None = None) -> bool:
    if check == "required":
        return value not in (None, "")
    if value in (None, ""):
        return True
    if check == "ts":
        return parse_ts(value)
    if check == "month":
        return parse_month(value)
    if check == "num":
        return parse_num(value) is not None
    if check == "nonneg":
        v = parse_num(value)
        return v is None or v >= 0
    if check == "range":
        v = parse_num(value)
        return v is None or rng[0] <= v <= rng[1]
    raise AssertionError(check)


def _checks(base: str):
    spec = CSV_CHECKS[base]
    for check in ("required", "ts", "month", "num", "nonneg"):
        for col in spec.get(check, []):
            yield check, col, None
    for col, rng in spec.get("range", {}).items():
        yield "range", col, rng


_REASON_CHECK = {
    "bad_timestamp": ("ts", "month"),
    "negative_value": ("nonneg",),
    "missing_required": ("required",),
    "bad_number": ("num",),
    "out_of_range": ("range",),
}


@pytest.mark.parametrize("name", ["retail", "saas"])
def test_bad_rows_are_planted_and_real(request, name: str) -> None:
    d: Data = request.getfixturevalue(name)
    bad = {(b["source_file"], int(b["source_row"])): b for b in d.bad}
    total = sum(n for f, n in d.manifest.files.items() if not f.endswith(".json"))
    assert 0.006 <= len(bad) / total <= 0.016
    assert {b["reason"] for b in d.bad} >= {
        "bad_timestamp",
        "missing_required",
        "bad_encoding",
        "bad_json",
        "column_count",
        "negative_value",
        "bad_number",
        "out_of_range",
    }
    assert len({b["source_file"] for b in d.bad}) >= 8
    for fname, (header, recs) in d.csv.items():
        base = fname.rsplit(".", 1)[0]
        for i, rec in enumerate(recs, start=1):
            b = bad.get((fname, i))
            joined = "".join(rec)
            has_surrogate = any("\udc80" <= ch <= "\udcff" for ch in joined)
            if b and b["reason"] == "column_count":
                assert len(rec) != len(header)
                continue
            assert len(rec) == len(header), (fname, i)
            if b and b["reason"] == "bad_encoding":
                assert has_surrogate
                with pytest.raises(UnicodeEncodeError):
                    joined.encode("utf-8")
                continue
            assert not has_surrogate, (fname, i)
            row = dict(zip(header, rec, strict=True))
            _assert_row(base, row, b, (fname, i))
    for fname, lines in d.jsonl.items():
        base = fname.rsplit(".", 1)[0]
        for i, line in enumerate(lines, start=1):
            b = bad.get((fname, i))
            if b and b["reason"] == "bad_json":
                with pytest.raises(json.JSONDecodeError):
                    json.loads(line)
                continue
            _assert_row(base, json.loads(line), b, (fname, i))


def _assert_row(base: str, row: dict, bad: dict | None, where) -> None:
    failed = {
        (check, col)
        for check, col, rng in _checks(base)
        if not _valid_value(check, row.get(col), rng)
    }
    if bad is None:
        assert not failed, (where, failed)
        return
    assert len(failed) == 1, (where, bad, failed)
    check, col = failed.pop()
    assert col == bad["column"], (where, bad, col)
    assert check in _REASON_CHECK[bad["reason"]], (where, bad, check)


def test_free_text_variety(retail: Data) -> None:
    by_arch: dict[str, list[str]] = defaultdict(list)
    for r in retail.rows("survey_responses.csv"):
        if r["Question ID"] in ("goal", "pain_point", "motivation", "objection"):
            by_arch[retail.archetype("survey_responses.csv", r["_row"])].append(r["Answer"])
    assert len(by_arch) == 7
    for arch, answers in by_arch.items():
        sample = answers[:500]
        assert len(sample) >= 80, arch
        assert len(set(sample)) / len(sample) >= 0.8, arch
    busiest = max(by_arch.values(), key=len)
    assert len(busiest) >= 300
    assert any("\n" in a for a in busiest) and any('"' in a for v in by_arch.values() for a in v)


def test_retail_archetype_signal(retail: Data) -> None:
    order_value: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    lines: dict[str, Counter] = defaultdict(Counter)
    for r in retail.rows("orders.csv"):
        a = retail.archetype("orders.csv", r["_row"])
        order_value[a][r["Order ID"]] += parse_num(r["Qty"]) * parse_num(r["Unit Price"])
        lines[a]["all"] += 1
        lines[a][r["Status"]] += 1
        lines[a]["coupon"] += bool(r["Coupon Code"])
        lines[a][r["Category"]] += 1
        lines[a][r["Channel"]] += 1
    aov = {a: sum(v.values()) / len(v) for a, v in order_value.items()}
    assert aov["gift_shopper"] > 1.5 * aov["fitness_enthusiast"]
    assert lines["serial_returner"]["returned"] / lines["serial_returner"]["all"] >= 0.4
    assert lines["busy_parent"]["returned"] / lines["busy_parent"]["all"] < 0.1
    assert lines["discount_hunter"]["coupon"] / lines["discount_hunter"]["all"] > 0.85
    assert (
        lines["fitness_enthusiast"]["sports_nutrition"] / lines["fitness_enthusiast"]["all"] > 0.35
    )
    assert lines["mindful_retiree"]["store"] / lines["mindful_retiree"]["all"] > 0.5
    birth: dict[str, list[int]] = defaultdict(list)
    for p in retail.people.values():
        birth[p["archetype"]].append(int(p["birth_year"]))
    mean = {a: sum(v) / len(v) for a, v in birth.items()}
    assert mean["fitness_enthusiast"] - mean["mindful_retiree"] > 25
    female = {
        a: sum(p["gender"] == "female" for p in retail.people.values() if p["archetype"] == a)
        / len(birth[a])
        for a in birth
    }
    assert female["busy_parent"] > 0.85 > female["fitness_enthusiast"]
    opens: dict[str, Counter] = defaultdict(Counter)
    for r in retail.rows("email_activity.csv"):
        opens[retail.archetype("email_activity.csv", r["_row"])][r["Activity"]] += 1
    rate = {a: c["open"] / c["sent"] for a, c in opens.items()}
    assert rate["mindful_retiree"] > 2 * rate["gift_shopper"]
    nps: dict[str, list[int]] = defaultdict(list)
    for r in retail.rows("survey_responses.csv"):
        if r["Question ID"] == "nps":
            nps[retail.archetype("survey_responses.csv", r["_row"])].append(int(r["Answer"]))
    assert sum(nps["mindful_retiree"]) / len(nps["mindful_retiree"]) > 7.5
    assert sum(nps["serial_returner"]) / len(nps["serial_returner"]) < 5


def test_saas_archetype_signal(saas: Data) -> None:
    accounts = {r["account_id"]: r for r in read_truth(saas.out / "truth" / "accounts.csv")}
    crm = {r["Account ID"]: r for r in saas.rows("crm_accounts.csv")}
    emp: dict[str, list[int]] = defaultdict(list)
    use: dict[str, list[float]] = defaultdict(list)
    plans: dict[str, Counter] = defaultdict(Counter)
    for aid, t in accounts.items():
        emp[t["archetype"]].append(int(t["employees"]))
        if aid in crm:
            c = crm[aid]
            use[t["archetype"]].append(int(c["Seats Used"]) / int(c["Seats"]))
            plans[t["archetype"]][c["Plan"]] += 1
    med = {a: sorted(v)[len(v) // 2] for a, v in emp.items()}
    assert med["enterprise_ops"] > 20 * med["smb_owner"]
    mean_use = {a: sum(v) / len(v) for a, v in use.items()}
    assert mean_use["at_risk_support_drain"] < 0.4 < mean_use["scaling_startup"]
    assert plans["enterprise_ops"]["enterprise"] > plans["enterprise_ops"]["pro"]
    tickets: Counter = Counter()
    for i in range(1, len(saas.jsonl["support_tickets.jsonl"]) + 1):
        tickets[saas.archetype("support_tickets.jsonl", i)] += 1
    per_account = {a: tickets[a] / len(emp[a]) for a in emp}
    assert per_account["at_risk_support_drain"] > 3 * per_account["scaling_startup"]


def _events(d: Data):
    for fname, lines in d.jsonl.items():
        if fname == "events.jsonl":
            for i, line in enumerate(lines, start=1):
                try:
                    yield fname, i, json.loads(line)
                except json.JSONDecodeError:
                    continue
    for fname in d.manifest.files:
        if fname.startswith("events_batch_"):
            doc = json.loads((d.out / fname).read_text())
            for i, msg in enumerate(doc["batch"], start=1):
                yield fname, i, msg


@pytest.mark.parametrize("name", ["retail", "saas"])
def test_identity_mess(request, name: str) -> None:
    d: Data = request.getfixturevalue(name)
    # the same person's e-mail spelled differently across sources
    spellings: dict[str, set[str]] = defaultdict(set)
    for fname, col in (
        ("crm_contacts.csv", "Email Address"),
        ("orders.csv", "Email"),
        ("email_activity.csv", "Email Address"),
    ):
        for r in d.rows(fname):
            pid = d.owner[(fname, r["_row"])]
            if pid and "@" in r[col] and r[col] not in ("test@test.com", "none@none.com"):
                spellings[pid].add(r[col])
    varied = [
        p for p, s in spellings.items() if len({x.strip().lower() for x in s}) == 1 and len(s) > 1
    ]
    assert len(varied) > 10
    # a device shared by two people who both identify on it
    anon_people: dict[str, set[str]] = defaultdict(set)
    for fname, i, msg in _events(d):
        if msg.get("type") == "identify":
            anon_people[msg["anonymousId"]].add(d.owner[(fname, i)])
    assert any(len(v) == 2 for v in anon_people.values())
    # anonymous browsing before the first identify
    assert any("userId" not in m and m.get("anonymousId") for _, _, m in _events(d))
    # CRM duplicates: one person, two contact ids
    contacts: dict[str, set[str]] = defaultdict(set)
    for r in d.rows("crm_contacts.csv"):
        contacts[d.owner[("crm_contacts.csv", r["_row"])]].add(r["Contact ID"])
    assert sum(len(v) > 1 for v in contacts.values()) >= 0.015 * len(d.people)
    # junk identifiers on records that belong to unrelated real people
    junk = {"test@test.com", "none@none.com", "N/A", "null", "0000000000"}
    owners = {
        d.owner[("crm_contacts.csv", r["_row"])]
        for r in d.rows("crm_contacts.csv")
        if r["Email Address"] in junk or r["Phone Number"] in junk
    }
    assert len(owners) >= 2
    # duplicates truth points at identical messages
    assert d.dups
    lookup = {(f, i): m for f, i, m in _events(d)}
    for dup in d.dups:
        a = lookup[(dup["source_file"], int(dup["source_row"]))]
        b = lookup[(dup["duplicate_of_file"], int(dup["duplicate_of_row"]))]
        assert a == b


def test_retail_guest_checkout_and_household(retail: Data) -> None:
    guest = [r for r in retail.rows("orders.csv") if not r["Customer ID"]]
    assert guest and all(r["Email"] or r["Phone"] for r in guest)
    assert any(p["household_id"] for p in retail.people.values())
    assert any(r["Customer ID"] in ("0", "-1") for r in retail.rows("orders.csv"))


def test_saas_truth_accounts(saas: Data) -> None:
    accounts = read_truth(saas.out / "truth" / "accounts.csv")
    assert len(accounts) == 500
    assert all(p["account_id"] and p["role"] for p in saas.people.values())
    recs = [r for r in saas.records if r["source_file"] == "orders.csv"]
    assert all(r["account_id"].startswith("ACC-") for r in recs)
    groups = [m for _, _, m in _events(saas) if m.get("type") == "group"]
    assert groups and all(m["groupId"].startswith("ACC-") for m in groups)


_MEMORY_SCRIPT = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    from personae.demo import generate
    m = generate("retail", int(sys.argv[1]), seed=3, out=Path(sys.argv[2]), fmt="parquet")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def test_parquet_scale_and_flat_memory(tmp_path: Path) -> None:
    src = str(Path(__file__).resolve().parents[1] / "src")
    peaks = {}
    for n in (20_000, 60_000):
        out = tmp_path / str(n)
        res = subprocess.run(
            [sys.executable, "-c", _MEMORY_SCRIPT, str(n), str(out)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
        )
        peaks[n] = int(res.stdout.split()[-1])
    assert peaks[60_000] < peaks[20_000] * 1.3 + 50_000  # kB; 3x the people, ~same memory
    out = tmp_path / "60000"
    m = json.loads((out / "manifest.json").read_text())
    assert m["fmt"] == "parquet" and "events.parquet" in m["files"]
    assert not any(f.endswith((".csv", ".jsonl", ".json")) for f in m["files"])
    for fname, n in m["files"].items():
        assert pq.ParquetFile(out / fname).metadata.num_rows == n
    records = pq.ParquetFile(out / "truth" / "records.parquet").metadata.num_rows
    assert records == sum(n for f, n in m["files"].items() if f != "marketing_spend.parquet")
    bad = read_truth(out / "truth" / "bad_rows.csv")
    assert {b["reason"] for b in bad} <= {
        "bad_timestamp",
        "negative_value",
        "missing_required",
        "bad_number",
        "out_of_range",
    }
    ev = pq.read_table(out / "events.parquet", columns=["message_id", "type", "context"])
    assert ev.column_names == ["message_id", "type", "context"]
    assert pq.ParquetFile(out / "events.parquet").schema_arrow.names[:4] == [
        "message_id",
        "type",
        "user_id",
        "anonymous_id",
    ]
