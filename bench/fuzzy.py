"""Benchmark: personae's fuzzy matcher vs plain Splink defaults, on FEBRL and the demo.

    .venv/bin/python bench/fuzzy.py                   # FEBRL 1, 2, 3, 4a+4b, demo, Spark
    .venv/bin/python bench/fuzzy.py --no-spark --demo-customers 0

For each data set, in this same process and on the same DuckDB input:

- **personae**: ``FuzzyMatcher().fit_predict`` with default settings (threshold 0.95), and
  the same at threshold 0.5 (the baseline's);
- **Splink defaults**: the same normalised records and the same blocking rules, scored
  with Splink's stock comparisons (``NameComparison`` for first and last name,
  ``DateOfBirthComparison``, ``LevenshteinAtThresholds`` on the address, ``ExactMatch`` on
  city and postcode) and Splink's usual training (prior from exact name and birth date at
  an assumed recall of 0.7, ``estimate_u_using_random_sampling(max_pairs=1e6)``, EM blocked
  on postcode then birth date), pairs at match probability ≥ 0.5.

FEBRL truth: records ``rec-N-org`` and ``rec-N-dup-k`` are one entity. ``soc_sec_id`` is not
used. Dataset 4a+4b (a two-file link) is concatenated into one de-duplication input.

The demo rows use the retail demo's CRM contacts (generated into bench/out/) and its truth
file: unlike FEBRL they have households (same surname and address, different people).

Finally the matcher runs on Spark on FEBRL dataset1 (cold, then warm) and is compared
with its DuckDB result.
"""

from __future__ import annotations

import argparse
import csv
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table

from personae.engine import connect
from personae.identity.evaluate import load_febrl as febrl_into
from personae.identity.evaluate import pair_scores
from personae.identity.fuzzy import (
    INPUT_COLUMNS,
    FuzzyMatcher,
    FuzzySettings,
    _prediction_rules,
    _prepare_sql,
)

console = Console(width=150)
ROOT = Path(__file__).resolve().parent.parent
FEBRL = ROOT / "tests" / "fixtures" / "febrl"
FEBRL_SETS = {
    "FEBRL 1": ["dataset1"],
    "FEBRL 2": ["dataset2"],
    "FEBRL 3": ["dataset3"],
    "FEBRL 4a+4b": ["dataset4a", "dataset4b"],
}


# -- data -----------------------------------------------------------------------------------
def load_febrl(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """FEBRL CSVs → ``people`` in the matcher's input shape, plus ``entity`` (the truth)."""
    febrl_into(con, [FEBRL / f"{name}.csv" for name in names])


def load_demo(con: duckdb.DuckDBPyConnection, out: Path, customers: int, seed: int) -> None:
    """The retail demo's CRM contacts → ``people``, with the generator's person id as truth.

    Read with Python's csv module so that data rows are numbered like the truth file's
    ``source_row`` (1 = first data row) even where a row is malformed (skipped here).
    """
    from personae.demo import generate

    data = out / f"fuzzy-demo-{customers}-{seed}"
    if not (data / "truth" / "records.csv").exists():
        shutil.rmtree(data, ignore_errors=True)
        generate("retail", customers, seed, data, fmt="csv")
    rows = []
    with open(data / "crm_contacts.csv", newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for number, values in enumerate(reader, start=1):
            if len(values) == len(header):
                rows.append({"source_row": number, **dict(zip(header, values, strict=True))})
    truth = []
    with open(data / "truth" / "records.csv", newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["source_file"] == "crm_contacts.csv":
                truth.append({"source_row": int(rec["source_row"]), "person_id": rec["person_id"]})
    con.register("demo_contacts", pa.Table.from_pylist(rows))
    con.register("demo_truth", pa.Table.from_pylist(truth))
    con.execute(
        """
        CREATE OR REPLACE TABLE people AS
        SELECT
            nullif(trim("Contact ID"), '') AS record_key,
            "First Name" AS first_name,
            "Last Name" AS last_name,
            CAST(coalesce(try_strptime("Date of Birth", '%Y-%m-%d'),
                          try_strptime("Date of Birth", '%m/%d/%Y'),
                          try_strptime("Date of Birth", '%d.%m.%Y')) AS DATE) AS birth_date,
            "Street Address" AS address,
            "City" AS city,
            "Zip" AS postal_code,
            lower(trim("Email Address")) AS email,
            "Phone Number" AS phone,
            t.person_id AS entity
        FROM demo_contacts c JOIN demo_truth t USING (source_row)
        WHERE nullif(trim("Contact ID"), '') IS NOT NULL
        QUALIFY count(*) OVER (PARTITION BY record_key) = 1
        """
    )


def score(con: duckdb.DuckDBPyConnection, pairs: pa.Table) -> tuple[float, float, float]:
    return pair_scores(con, pairs)


# -- methods --------------------------------------------------------------------------------
def personae(con: duckdb.DuckDBPyConnection) -> pa.Table:
    return FuzzyMatcher().fit_predict(con, "people")


def personae_at_half(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The same model at the baseline's threshold, to separate model from threshold."""
    return FuzzyMatcher(FuzzySettings(threshold=0.5)).fit_predict(con, "people")


def splink_defaults(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Stock Splink comparisons and training on the matcher's normalised input and blocking."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    prepared = con.sql(_prepare_sql("people", "duckdb", 500)).to_arrow_table()
    fields = [
        f
        for f in INPUT_COLUMNS[1:]
        if prepared.column(f).null_count < prepared.num_rows  # all-NULL: FEBRL email, phone
    ]
    private = connect()
    db_api = DuckDBAPI(connection=private)
    records = db_api.register(prepared)
    comparisons = [
        cl.NameComparison("first_name"),
        cl.NameComparison("last_name"),
        cl.DateOfBirthComparison("birth_date", input_is_string=False),
        cl.LevenshteinAtThresholds("address"),
        cl.ExactMatch("city"),
        cl.ExactMatch("postal_code"),
    ]
    if "email" in fields:
        comparisons.append(cl.EmailComparison("email"))
    if "phone" in fields:
        comparisons.append(cl.ExactMatch("phone"))
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=_prediction_rules(fields),
    )
    linker = Linker(records, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postal_code"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    pairs = private.sql(
        f"SELECT record_key_l, record_key_r, match_probability FROM {predictions.physical_name}"
    ).to_arrow_table()
    private.close()
    return pairs


METHODS: dict[str, Callable[[duckdb.DuckDBPyConnection], pa.Table]] = {
    "personae (p ≥ 0.95)": personae,
    "personae (p ≥ 0.5)": personae_at_half,
    "Splink defaults (p ≥ 0.5)": splink_defaults,
}


# -- main -----------------------------------------------------------------------------------
def accuracy_table(args: argparse.Namespace) -> list[tuple]:
    sets: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
        (name, lambda con, names=names: load_febrl(con, names))
        for name, names in FEBRL_SETS.items()
    ]
    if args.demo_customers:
        sets.append(
            (
                f"demo contacts ({args.demo_customers:,} customers)",
                lambda con: load_demo(con, args.out, args.demo_customers, args.seed),
            )
        )
    rows = []
    for name, load in sets:
        con = connect()
        load(con)
        records = con.execute("SELECT count(*) FROM people").fetchall()[0][0]
        for method, run in METHODS.items():
            t0 = time.perf_counter()
            pairs = run(con)
            seconds = time.perf_counter() - t0
            precision, recall, f1 = score(con, pairs)
            rows.append((name, records, method, precision, recall, f1, pairs.num_rows, seconds))
            console.print(
                f"{name:<32} {method:<26} P={precision:.4f} R={recall:.4f} F1={f1:.4f} "
                f"pairs={pairs.num_rows:,} {seconds:.1f} s"
            )
        con.close()
    return rows


def spark_run(args: argparse.Namespace) -> None:
    from personae.engine import spark_session

    con = connect()
    load_febrl(con, FEBRL_SETS["FEBRL 1"])
    t0 = time.perf_counter()
    duck = personae(con)
    duck_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="personae-bench-spark-") as tmp:
        t0 = time.perf_counter()
        spark = spark_session(tmp_dir=tmp)
        start_s = time.perf_counter() - t0
        columns = ", ".join(INPUT_COLUMNS)
        spark.createDataFrame(
            con.sql(f"SELECT {columns} FROM people").to_arrow_table()
        ).createOrReplaceTempView("people")
        timings = []
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            pairs = FuzzyMatcher().fit_predict(spark, "people")
            timings.append((label, time.perf_counter() - t0))
        spark.stop()
    same = pairs.select([0, 1]).equals(duck.select([0, 1]))
    diff = (
        pc.max(pc.abs(pc.subtract(pairs["match_probability"], duck["match_probability"]))).as_py()
        if same
        else None
    )
    console.print(
        f"Spark, FEBRL 1: session start {start_s:.1f} s, "
        + ", ".join(f"{label} {s:.1f} s" for label, s in timings)
        + f"; DuckDB {duck_s:.1f} s. Same pairs as DuckDB: {same} ({pairs.num_rows} vs "
        f"{duck.num_rows}); largest probability difference: {diff}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-customers", type=int, default=2000, help="0: skip the demo")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)  # the baseline's chatter

    rows = accuracy_table(args)
    table = Table(title="Pairwise accuracy, DuckDB (2 cores)", title_justify="left")
    for col in ("data set", "records", "method", "precision", "recall", "F1", "pairs", "s"):
        table.add_column(col, justify="left" if col in ("data set", "method") else "right")
    for name, records, method, precision, recall, f1, pairs, seconds in rows:
        table.add_row(
            name,
            f"{records:,}",
            method,
            f"{precision:.4f}",
            f"{recall:.4f}",
            f"{f1:.4f}",
            f"{pairs:,}",
            f"{seconds:.1f}",
        )
    console.print(table)
    console.print("\nMarkdown:\n")
    console.print("| data set | records | method | precision | recall | F1 | pairs | s |")
    console.print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, records, method, precision, recall, f1, pairs, seconds in rows:
        console.print(
            f"| {name} | {records:,} | {method} | {precision:.4f} | {recall:.4f} | {f1:.4f} "
            f"| {pairs:,} | {seconds:.1f} |"
        )
    if not args.no_spark:
        spark_run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
