"""Benchmark: identity resolution quality against the demo ground truth, both scenarios.

    .venv/bin/python bench/identity.py                         # retail 20,000 + saas 2,000
    .venv/bin/python bench/identity.py --retail 5000 --saas 500

For each scenario the demo (with its planted duplicates, junk identifiers, shared household
devices and anonymous sessions) is generated as CSV, ingested, and resolved twice in the
same run:

- **naive**: every identifier links, nothing is blocked, no merge guards, no fuzzy step —
  plain connected components over shared values, what a first attempt does;
- **personae**: the default settings plus fuzzy matching (as in the demo).

Printed per run: pairwise precision, recall over all true pairs, recall over pairs the data
supports with a shared identifier (see personae.identity.evaluate), F1, profiles that hold
two or more true people, and seconds.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from personae import Workspace
from personae.demo import generate
from personae.identity.evaluate import pairwise_metrics
from personae.pipeline import demo_sources, enable_fuzzy_matching

console = Console(width=150)

NAIVE_TOML = """
[identity]
blocked_values = []
blocked_email_locals = []
blocked_email_domains = []
[identity.limits]
user_id = 1000000
crm_id = 1000000
external_id = 1000000
email = 1000000
phone = 1000000
social_handle = 1000000
device_id = 1000000
anonymous_id = 1000000
response_id = 1000000
"""


def _workspace(root: Path, data: Path, naive: bool) -> Workspace:
    ws = Workspace.init(root)
    if naive:
        text = (root / "personae.toml").read_text()
        # replace the [identity] section's lists and limits with the naive ones
        head, _, rest = text.partition("[identity]")
        _, _, tail = rest.partition("[profiles]")
        (root / "personae.toml").write_text(head + NAIVE_TOML + "\n[profiles]" + tail)
        ws.reload()
    else:
        enable_fuzzy_matching(ws)
    for name, kind, patterns in demo_sources(data, data):
        ws.add_source(name, kind, [str(data / p) for p in patterns])
    ws.ingest()
    return ws


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retail", type=int, default=20_000)
    parser.add_argument("--saas", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "identity")
    args = parser.parse_args()

    table = Table(title="Identity resolution vs the demo ground truth", title_justify="left")
    for col in (
        "scenario",
        "run",
        "records",
        "true pairs",
        "precision",
        "recall",
        "recall (linkable)",
        "F1",
        "impure profiles",
        "profiles",
        "seconds",
    ):
        table.add_column(col, justify="left" if col in ("scenario", "run") else "right")
    for scenario, size in (("retail", args.retail), ("saas", args.saas)):
        data = args.out / f"{scenario}-{size}-{args.seed}"
        if not (data / "manifest.json").exists():
            shutil.rmtree(data, ignore_errors=True)
            console.print(f"generating {scenario} ({size:,}) …")
            generate(scenario, size, args.seed, data, fmt="csv")
        for run in ("naive", "personae"):
            root = args.out / f"ws-{scenario}-{run}"
            shutil.rmtree(root, ignore_errors=True)
            ws = _workspace(root, data, naive=run == "naive")
            t0 = time.perf_counter()
            result = ws.build()
            seconds = time.perf_counter() - t0
            with ws.connect() as con:
                m = pairwise_metrics(con, data / "truth" / "records.csv")
            table.add_row(
                scenario,
                run,
                f"{m.records:,}",
                f"{m.true_pairs:,}",
                f"{m.precision:.5f}",
                f"{m.recall:.5f}",
                f"{m.recall_linkable:.5f}",
                f"{m.f1:.5f}",
                f"{m.impure_profiles:,}",
                f"{result.profiles:,}",
                f"{seconds:.1f}",
            )
    console.print(table)
    console.print(
        "Targets (personae): precision ≥ 0.995 and recall ≥ 0.99 (over pairs the data "
        "links by a shared identifier)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
