"""Orchestration: chunk loop, sinks, bad-row planting and the ground truth.

Memory stays flat because each chunk of customers is generated, written to every sink and
dropped before the next one starts; only the open file handles survive between chunks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from personae.demo import crm, voice
from personae.demo.archetypes import SCENARIO_ARCHETYPES, matrices
from personae.demo.commerce import ORDER_BAD, ORDER_COLUMNS, retail_orders, saas_invoices
from personae.demo.common import AS_OF, END_TS, Rows, py_random
from personae.demo.engagement import (
    EMAIL_BAD,
    EMAIL_COLUMNS,
    SURVEY_BAD,
    SURVEY_COLUMNS,
    campaigns,
    email_activity,
    surveys,
)
from personae.demo.events import BAD_PARQUET, EVENT_COLUMNS, JSON_KEYS, RAW, build_events
from personae.demo.mess import BadSpec, plant_bad_rows
from personae.demo.people import People, make_people
from personae.demo.pools import pools
from personae.demo.prospects import prospects, retail_value_truth
from personae.demo.spend import SPEND_BAD, spend
from personae.demo.text import TextMaker
from personae.demo.writers import BatchSink, CsvSink, JsonlSink, ParquetSink, TruthTable

SCENARIOS = ("retail", "saas")
FORMATS = ("csv", "parquet", "auto")
BAD_RATE = 0.01
DUPLICATE_RATE = 0.005
BATCH_SHARE = 0.10
_SCENARIO_CODE = {"retail": 1, "saas": 2}


@dataclass
class DemoManifest:
    """What was generated; also written to ``out/manifest.json``."""

    scenario: str
    seed: int
    customers: int
    fmt: str
    as_of: dt.date
    files: dict[str, int] = field(default_factory=dict)
    truth: Path = Path("truth")

    def to_json(self) -> dict:
        """JSON form; the truth dir is stored relative to the manifest."""
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        d["truth"] = "truth"
        return d


# (base name, csv-fmt extension, columns/keys, bad specs, text column for bad_encoding)
def _layout(scenario: str) -> list[tuple[str, str, list[str], list[BadSpec], str | None]]:
    contact_cols = crm.CONTACT_COLUMNS + (crm.SAAS_CONTACT_EXTRA if scenario == "saas" else [])
    out = [("crm_contacts", "csv", contact_cols, crm.CONTACT_BAD, "First Name")]
    if scenario == "saas":
        out.append(("crm_accounts", "csv", crm.ACCOUNT_COLUMNS, crm.ACCOUNT_BAD, "Account Name"))
    out += [
        ("orders", "csv", ORDER_COLUMNS, ORDER_BAD, "Product Name"),
        ("email_activity", "csv", EMAIL_COLUMNS, EMAIL_BAD, "Subject"),
        ("survey_responses", "csv", SURVEY_COLUMNS, SURVEY_BAD, "Answer"),
        ("support_tickets", "jsonl", voice.TICKET_KEYS, voice.TICKET_BAD, None),
        ("reviews", "csv", voice.REVIEW_COLUMNS, voice.REVIEW_BAD, "Body"),
        ("social_posts", "jsonl", voice.SOCIAL_KEYS, voice.SOCIAL_BAD, None),
    ]
    return out


class _Run:
    """Open sinks and truth tables for one generation run."""

    def __init__(self, scenario: str, out: Path, parquet: bool) -> None:
        self.scenario = scenario
        self.out = out
        self.parquet = parquet
        self.layout = {
            name: (ext, cols, bad, text) for name, ext, cols, bad, text in _layout(scenario)
        }
        self.sinks: dict[str, object] = {}
        for name, (ext, cols, _, _) in self.layout.items():
            if parquet:
                self.sinks[name] = ParquetSink(out / f"{name}.parquet", cols)
            elif ext == "csv":
                self.sinks[name] = CsvSink(out / f"{name}.csv", cols)
            else:
                self.sinks[name] = JsonlSink(out / f"{name}.jsonl", cols)
        if parquet:
            self.events = ParquetSink(out / "events.parquet", EVENT_COLUMNS)
            self.batch = None
        else:
            self.events = JsonlSink(
                out / "events.jsonl",
                JSON_KEYS,
                RAW,
                omit_none=True,
                keep_null=frozenset({"messageId"}),
            )
            self.batch = BatchSink(out)
        truth = out / "truth"
        truth.mkdir(parents=True, exist_ok=True)
        saas = scenario == "saas"
        self.people = TruthTable(
            truth / "people",
            [
                "person_id",
                "archetype",
                "is_negative",
                "gender",
                "birth_year",
                "country",
                "household_id",
            ]
            + (["account_id", "role"] if saas else ["alive", "expected_revenue_12m"]),
            parquet,
        )
        self.accounts = (
            TruthTable(
                truth / "accounts",
                [
                    "account_id",
                    "archetype",
                    "is_negative",
                    "industry",
                    "employees",
                    "churned",
                    "churn_rate",
                ],
                False,
            )
            if saas
            else None
        )
        self.records = TruthTable(
            truth / "records",
            ["source_file", "source_row", "person_id"] + (["account_id"] if saas else []),
            parquet,
            int_columns=("source_row",),
        )
        self.bad = TruthTable(
            truth / "bad_rows", ["source_file", "source_row", "reason", "column"], False
        )
        self.dups = TruthTable(
            truth / "duplicates",
            ["source_file", "source_row", "duplicate_of_file", "duplicate_of_row"],
            False,
        )

    def record(self, rows: Rows, locs: list[tuple[str, int]]) -> None:
        cols = [[f for f, _ in locs], [r for _, r in locs], rows.person]
        if self.scenario == "saas":
            cols.append(rows.account or [""] * len(rows))
        self.records.write_columns(cols)

    def emit(self, rows: Rows, rng, rnd) -> None:
        """Plant bad rows, write, and record the truth for one ordinary source."""
        ext, _, specs, text_col = self.layout[rows.name]
        is_json = ext == "jsonl" and not self.parquet
        bad = plant_bad_rows(rows, list(specs), BAD_RATE, rng, rnd, text_col, is_json, self.parquet)
        locs = self.sinks[rows.name].write(rows)
        self.record(rows, locs)
        self._bad(bad, locs)

    def _bad(self, bad, locs, rename: dict[str, str] | None = None) -> None:
        if not bad:
            return
        rename = rename or {}
        self.bad.write_columns(
            [
                [locs[b.local][0] for b in bad],
                [locs[b.local][1] for b in bad],
                [b.reason for b in bad],
                [rename.get(b.column, b.column) for b in bad],
            ]
        )

    def emit_events(self, rows: Rows, rng, rnd) -> None:
        """Duplicates, batch split and bad rows for events, then write them."""
        n = len(rows)
        d = int(rng.binomial(n, DUPLICATE_RATE)) if n else 0
        src = np.sort(rng.choice(n, size=d, replace=False)) if d else np.array([], dtype=int)
        keys = np.concatenate([np.arange(n, dtype=float), src + rng.integers(1, 40, d) + 0.5])
        idx = np.concatenate([np.arange(n), src])
        order = np.argsort(keys, kind="stable")
        rows.reorder(idx[order])
        is_copy = order >= n
        pos_of_orig = np.empty(n, dtype="int64")
        pos_of_orig[order[~is_copy]] = np.nonzero(~is_copy)[0]
        copies = np.nonzero(is_copy)[0]
        pairs = [(int(c), int(pos_of_orig[src[order[c] - n]])) for c in copies]
        for c, o in pairs:
            rows.protected.update((c, o))
        m = len(rows)
        batch = np.zeros(m, dtype=bool)
        if self.batch is not None:
            batch = rng.random(m) < BATCH_SHARE
            rows.protected.update(np.nonzero(batch)[0].tolist())
        bad = plant_bad_rows(
            rows, list(BAD_PARQUET), BAD_RATE, rng, rnd, None, self.batch is not None, self.parquet
        )
        if self.batch is None:
            locs = self.events.write(rows)
            rename = None
        else:
            lines = self.events.lines(rows)
            sent = rows.col("sent_at")
            locs: list = [None] * m
            plain = np.nonzero(~batch)[0].tolist()
            for i in np.nonzero(batch)[0].tolist():
                locs[i] = self.batch.write_one(lines[i], sent[i])
            for i, loc in zip(
                plain, self.events.write(rows, [lines[i] for i in plain]), strict=True
            ):
                locs[i] = loc
            rename = dict(zip(EVENT_COLUMNS, JSON_KEYS, strict=True))
        self.record(rows, locs)
        self._bad(bad, locs, rename)
        if pairs:
            self.dups.write_columns(
                [
                    [locs[c][0] for c, _ in pairs],
                    [locs[c][1] for c, _ in pairs],
                    [locs[o][0] for _, o in pairs],
                    [locs[o][1] for _, o in pairs],
                ]
            )

    def emit_spend(self, rows: Rows, rng, rnd) -> dict[str, int]:
        bad = plant_bad_rows(rows, SPEND_BAD, BAD_RATE, rng, rnd, "Campaign", False, self.parquet)
        ext = "parquet" if self.parquet else "csv"
        sink = (ParquetSink if self.parquet else CsvSink)(
            self.out / f"marketing_spend.{ext}", rows.columns
        )
        locs = sink.write(rows)
        self._bad(bad, locs)
        return sink.close()

    def truth_people(self, people: People) -> None:
        archs = SCENARIO_ARCHETYPES[self.scenario]
        arch = people.arch.tolist()
        genders = ["female", "male", "nonbinary"]
        cols = [
            people.pid,
            [archs[a].key for a in arch],
            ["true" if archs[a].negative else "false" for a in arch],
            [genders[g] for g in people.gender.tolist()],
            [str(1970 + int(b // (365.2425 * 86400))) for b in people.birth_ts.tolist()],
            ["GB" if u else "US" for u in people.uk.tolist()],
            people.household,
        ]
        if self.scenario == "saas":
            acc = people.acc
            cols += [[acc.account_id[a] for a in people.account.tolist()], people.role]
            aa = acc.arch.tolist()
            self.accounts.write_columns(
                [
                    acc.account_id,
                    [archs[a].key for a in aa],
                    ["true" if archs[a].negative else "false" for a in aa],
                    acc.industry,
                    [str(e) for e in acc.employees.tolist()],
                    ["true" if c <= END_TS else "false" for c in acc.churn_ts.tolist()],
                    [str(archs[a].churn) for a in aa],
                ]
            )
        else:
            truth = retail_value_truth(people, archs)
            cols += [truth["alive"], truth["expected_revenue_12m"]]
        self.people.write_columns(cols)

    def close(self) -> dict[str, int]:
        files: dict[str, int] = {}
        for sink in self.sinks.values():
            files.update(sink.close())
        files.update(self.events.close())
        if self.batch is not None:
            files.update(self.batch.close())
        for t in (self.people, self.accounts, self.records, self.bad, self.dups):
            if t is not None:
                t.close()
        return files


def default_chunk(scenario: str) -> int:
    return 5_000 if scenario == "retail" else 1_000


def generate(
    scenario: str,
    customers: int,
    seed: int,
    out: Path,
    fmt: str = "auto",
    progress: Callable[[int, int], None] | None = None,
    *,
    chunk_size: int | None = None,
) -> DemoManifest:
    """Generate a demo dataset with planted ground truth into ``out``.

    ``customers`` counts people for retail and accounts for SaaS. ``chunk_size`` only
    trades speed for memory; the default keeps peak memory flat at any scale.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {SCENARIOS}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if fmt == "auto":
        fmt = "parquet" if customers > 50_000 else "csv"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parquet = fmt == "parquet"
    run = _Run(scenario, out, parquet)
    name_pools = pools(seed)
    mats = matrices(scenario)
    camps = campaigns(scenario)
    size = chunk_size or default_chunk(scenario)
    code = _SCENARIO_CODE[scenario]
    done = 0
    for chunk, start in enumerate(range(0, customers, size)):
        n = min(size, customers - start)
        rng = np.random.default_rng([seed, code, chunk])
        rnd = py_random(rng)
        text = TextMaker(scenario, rnd)
        people = make_people(scenario, chunk, start, n, rng, name_pools, mats)
        run.truth_people(people)
        run.emit(crm.contacts(people, rng, rnd), rng, rnd)
        if scenario == "saas":
            run.emit(crm.accounts(people, rng), rng, rnd)
            orders_rows, order_info = saas_invoices(people, chunk, rng, rnd), None
        else:
            orders_rows, order_info = retail_orders(people, chunk, rng, rnd)
        run.emit(orders_rows, rng, rnd)
        del orders_rows
        email_rows, clicks = email_activity(people, rng, rnd, camps)
        run.emit(email_rows, rng, rnd)
        del email_rows
        run.emit_events(build_events(people, rng, rnd, order_info, clicks, mats), rng, rnd)
        run.emit(surveys(people, chunk, rng, rnd, text), rng, rnd)
        run.emit(voice.tickets(people, chunk, rng, rnd, text), rng, rnd)
        run.emit(voice.reviews(people, chunk, rng, rnd, text), rng, rnd)
        run.emit(voice.social(people, chunk, rng, rnd, text), rng, rnd)
        done += n
        if progress is not None:
            progress(done, customers)
    rng = np.random.default_rng([seed, code, 10**6])
    spend_files = run.emit_spend(spend(scenario, customers, rng), rng, py_random(rng))
    files = run.close()
    files.update(spend_files)
    rng = np.random.default_rng([seed, code, 10**6 + 1])
    prospects(scenario, customers, rng, mats, name_pools, out)
    manifest = DemoManifest(
        scenario=scenario,
        seed=seed,
        customers=customers,
        fmt=fmt,
        as_of=AS_OF,
        files=files,
        truth=out / "truth",
    )
    (out / "manifest.json").write_text(
        json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8"
    )
    _write_archetypes(scenario, out / "truth" / "archetypes.json")
    return manifest


def _write_archetypes(scenario: str, path: Path) -> None:
    data = {
        "scenario": scenario,
        "as_of": AS_OF.isoformat(),
        "history_end_ts": END_TS,
        "archetypes": [a.traits() for a in SCENARIO_ARCHETYPES[scenario]],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
