"""Probabilistic (fuzzy) record linkage of person records, on DuckDB or on Spark.

A Fellegi–Sunter model (Splink 5) scores pairs of records that share a blocking key. It is
trained without labels, every time, on the data it then scores:

1. the prior (probability that two random records match) from near-certain deterministic
   rules (three identifying fields equal) and an assumed recall of those rules;
2. the *u* probabilities (how often each similarity level occurs among non-matches) from
   every pair of a seeded random sample of records;
3. the *m* probabilities (how often each level occurs among matches) by
   expectation-maximisation on pairs sharing a postcode, then pairs sharing a birth date
   (other fields when those are missing).

Comparisons: first and last name (exact, swapped, within one or two edits), birth date
(exact, within one or two edits of ``YYYY-MM-DD``), *location* (street address, postcode and
city as one comparison, so that a household's shared home counts once), e-mail and phone.
The result is the list of pairs at or above a match probability, for the identity graph
to turn into clusters.

The same model must give the same pairs on both engines, so every choice below is one that
DuckDB and Spark compute identically:

- string similarity uses (Damerau-)Levenshtein distances only: DuckDB's and Splink's Spark
  Jaro(-Winkler) implementations disagree on about one FEBRL name or address pair in 13 (by up to
  0.14), which moves pairs across levels;
- the u sample is chosen by an MD5 of the record key and the seed (both engines give the
  same hex digest), not by Splink's sampler, which hashes with each engine's own ``hash``;
- u is counted over *all* pairs of that sample in one chunk, because Splink's early stop
  checks chunks chosen by the engine's hash too;
- DuckDB's edit distances count bytes and Spark's characters, so Spark compares the UTF-8
  bytes of each string (see ``_prepare_sql``);
- the few normalisations that need regular expressions are written once per dialect;
- returned probabilities are rounded to 1e-10, below which parallel sums differ from run
  to run.

Measured on FEBRL and the demo data in ``bench/fuzzy.md``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from personae.engine import connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from splink.internals.database_api import DatabaseAPISubClass
    from splink.internals.splink_dataframe import SplinkDataFrame

log = logging.getLogger(__name__)

Dialect = Literal["duckdb", "spark"]

#: What :meth:`FuzzyMatcher.fit_predict` returns (also when it has nothing to say).
OUTPUT_SCHEMA = pa.schema(
    [
        pa.field("record_key_l", pa.string(), nullable=False),
        pa.field("record_key_r", pa.string(), nullable=False),
        pa.field("match_probability", pa.float64(), nullable=False),
    ]
)

# Returned probabilities are rounded to this many decimals (see _canonical).
_DECIMALS = 10
_PRECISION = 10.0**-_DECIMALS

#: The input contract: one row per record, every column nullable except ``record_key``.
INPUT_COLUMNS = (
    "record_key",
    "first_name",
    "last_name",
    "birth_date",
    "address",
    "city",
    "postal_code",
    "email",
    "phone",
)

# Fields that may or may not be present in a given data set: a comparison, blocking rule or
# training rule on a field is only used when enough records carry it.
_FIELDS = INPUT_COLUMNS[1:]


@dataclass(frozen=True)
class _BlockKey:
    """A blocking key: pairs of records with equal keys are scored. ``sql`` is computed from
    the cleaned character columns (before Spark's byte form) and is NULL when any part is."""

    name: str
    needs: tuple[str, ...]
    sql: str


_BLOCK_KEYS = (
    _BlockKey("postal_code", ("postal_code",), "postal_code"),
    _BlockKey("birth_date", ("birth_date",), "dob_text"),
    _BlockKey("full_name", ("first_name", "last_name"), "first_name || '|' || last_name"),
    _BlockKey("name_swapped", ("first_name", "last_name"), "last_name || '|' || first_name"),
    _BlockKey("address", ("address",), "address_compact"),
    _BlockKey("email", ("email",), "email"),
    _BlockKey("phone", ("phone",), "phone"),
    # Typos in both postcode and birth date are common enough to need keys without either:
    _BlockKey("last_name_city", ("last_name", "city"), "last_name || '|' || city_compact"),
    _BlockKey(
        "city_street", ("city", "address"), "city_compact || '|' || substr(address_compact, 1, 4)"
    ),
)

# Prediction blocking rules as (key on the left record, key on the right record).
_PREDICTION_RULES = (
    ("postal_code", "postal_code"),
    ("birth_date", "birth_date"),
    ("full_name", "full_name"),
    ("full_name", "name_swapped"),
    ("address", "address"),
    ("email", "email"),
    ("phone", "phone"),
    ("last_name_city", "last_name_city"),
    ("city_street", "city_street"),
)


@dataclass(frozen=True)
class FuzzySettings:
    """Parameters of :class:`FuzzyMatcher`. The defaults were checked on the FEBRL data sets
    and on the retail demo's contacts (see ``bench/fuzzy.md``)."""

    threshold: float = 0.95
    """Match probability at or above which a pair is returned as a link. High, because a
    wrong link merges two customers' histories, which is worse than leaving a duplicate."""

    max_pairs: float = 1e6
    """Size of the random sample of record pairs used to estimate u: the sample has about
    ``sqrt(2 * max_pairs)`` records and every pair among them is compared."""

    seed: int = 42
    """Chooses the u sample. The whole result is a deterministic function of data and seed."""

    min_records: int = 50
    """Below this many records there is too little to learn m and u from: no pairs are
    returned (with a warning) instead of an unreliable model."""

    min_field_fill: float = 0.01
    """A field takes part (comparison, blocking, training) only if at least this share of
    records has it; an almost empty field cannot be trained and would only add noise."""

    deterministic_recall: float = 0.7
    """Assumed share of true matches found by the exact rules used to estimate the prior
    (three identifying fields equal, e.g. first name, birth date and postcode; see
    ``_DETERMINISTIC_RULES``). Lower raises the prior and so every match probability."""

    max_block_size: int = 500
    """Records sharing a blocking key (postcode, birth date, name, address, e-mail, phone,
    surname and city, city and street) with more than this many others are not paired on
    that key: a placeholder (``1900-01-01``, a shop's own phone number) would otherwise
    produce a quadratic number of pairs. Such records still meet through their other keys,
    and the pairs to score stay at most ``n * max_block_size`` per key."""

    em_max_iterations: int = 25
    """Cap on expectation-maximisation iterations per training pass (Splink's default)."""

    em_convergence: float = 1e-4
    """EM stops when no m probability moves by more than this (Splink's default)."""

    term_frequencies: bool = True
    """Weight exact agreement on names, e-mail and phone by how common the value is: "Xanthe
    Quilty" agreeing says more than "Jack Smith", and a placeholder such as
    ``test@test.com`` or ``0000000000`` shared by many records says little."""

    spark_lineage: Literal["parquet", "persist"] = "parquet"
    """How Splink materialises intermediate Spark tables: Parquet under a per-call
    checkpoint directory (bounded memory; the directory is removed afterwards) or
    ``persist`` (in executor memory, faster on small data)."""

    splink_log_level: int = logging.ERROR
    """Level of the ``splink`` logger during the call. Splink reports every step at INFO;
    pass ``logging.INFO`` (and configure a handler) to see them."""


class FuzzyMatcher:
    """Unsupervised probabilistic matcher of person records::

        pairs = FuzzyMatcher(FuzzySettings(threshold=0.9)).fit_predict(con, "contacts")

    ``backend`` is a ``duckdb.DuckDBPyConnection`` holding the table or view ``table``, or a
    ``pyspark.sql.SparkSession`` with a temporary view ``table`` (a name as SQL would write
    it). Its columns are :data:`INPUT_COLUMNS`; ``record_key`` must be unique and not NULL.
    On DuckDB the prepared records are copied (over Arrow) into a private in-memory
    database for Splink, so nothing is written to the caller's; on Spark, Splink's
    temporary views and files are removed after the call.
    """

    def __init__(self, settings: FuzzySettings = FuzzySettings()) -> None:  # frozen: safe
        self.settings = settings

    def fit_predict(
        self, backend: duckdb.DuckDBPyConnection | SparkSession, table: str
    ) -> pa.Table:
        """Train a model on ``table`` and return its pairs at or above the threshold.

        Columns ``record_key_l`` < ``record_key_r`` and ``match_probability``, sorted by the
        two keys. Empty (with a warning) when the data are too small or training fails.
        """
        s = self.settings
        with _splink_logging(s.splink_log_level):
            if isinstance(backend, duckdb.DuckDBPyConnection):
                with _DuckDBRun.open(backend, table, s.max_block_size) as run:
                    return self._fit_predict(run)
            if _is_spark_session(backend):
                with _SparkRun.open(backend, table, s.spark_lineage, s.max_block_size) as run:
                    return self._fit_predict(run)
        raise TypeError(
            f"backend must be a DuckDB connection or a Spark session, not {type(backend)!r}"
        )

    # -- the model ---------------------------------------------------------------------
    def _fit_predict(self, run: _Run) -> pa.Table:
        from splink import Linker

        s = self.settings
        with _step("input statistics"):
            stats = run.stats()
        n = stats["n"]
        if stats["null_keys"] or stats["distinct_keys"] != n:
            raise ValueError("record_key must be unique and not NULL")
        if n < s.min_records:
            log.warning(
                "fuzzy matching skipped: %d records, fewer than min_records=%d", n, s.min_records
            )
            return OUTPUT_SCHEMA.empty_table()
        fields = [f for f in _FIELDS if stats[f] >= max(2, s.min_field_fill * n)]
        model = _model_settings(fields, s, run.dialect)
        if model is None:
            log.warning("fuzzy matching skipped: too few usable fields (%s)", ", ".join(fields))
            return OUTPUT_SCHEMA.empty_table()

        try:
            with _step("u by random sampling"):
                trained = self._train_u(run, model, n)
            linker = Linker(run.input, trained, log_level=None)
            rules = _deterministic_rules(fields)
            if not rules:
                raise _TrainingFailed("no exact rule to estimate the prior with these fields")
            with _step("prior from deterministic rules"):
                linker.training.estimate_probability_two_random_records_match(
                    rules, recall=s.deterministic_recall
                )
            prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
            if not 0.0 < prior < 1.0:
                raise _TrainingFailed(
                    "no pair of records agrees exactly on three identifying fields:"
                    " nothing to learn what a match looks like from"
                )
            for rule in _em_rules(fields):
                with _step(f"m by EM on {rule}"):
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, estimate_without_term_frequencies=True
                    )
            untrained = _untrained_comparisons(linker)
            if untrained:
                raise _TrainingFailed("no estimate for " + ", ".join(untrained))
            with _step("prediction"), run.scoring():
                predictions = linker.inference.predict(
                    threshold_match_probability=max(0.0, s.threshold - 10 * _PRECISION)
                )
        except _TRAINING_ERRORS as exc:
            log.warning("fuzzy matching skipped: the model could not be trained (%s)", exc)
            log.debug("fuzzy: training failure", exc_info=True)
            return OUTPUT_SCHEMA.empty_table()

        result = run.fetch(
            f"""
            SELECT record_key_l, record_key_r, match_probability
            FROM {predictions.physical_name}
            """
        )
        return _canonical(result, s.threshold)

    def _train_u(self, run: _Run, model: dict[str, Any], n: int) -> dict[str, Any]:
        """Estimate u on every pair of a seeded sample and return the model with those u.

        A separate linker (and Splink API object) works on the sample so that nothing
        computed on it can be mistaken for the full data by Splink's table cache.
        """
        from splink import Linker

        s = self.settings
        wanted = 0.5 * (math.sqrt(8 * s.max_pairs + 1) + 1)  # records giving max_pairs pairs
        proportion = min(1.0, wanted / n)
        cutoff = f"{min(0xFFFFFFFF, round(proportion * 0x100000000)):08x}"
        where = (
            ""
            if proportion >= 1.0
            else f"WHERE substr(md5(concat(record_key, '#', '{s.seed:d}')), 1, 8) < '{cutoff}'"
        )
        sample = run.materialize("u_sample", f"SELECT * FROM {run.input.physical_name} {where}")
        linker = Linker(sample, model, log_level=None)
        m = run.count(sample.physical_name)
        linker.training.estimate_u_using_random_sampling(
            max_pairs=m * (m - 1) / 2 + 1, seed=None, min_count_per_level=None, num_chunks=1
        )
        trained = linker.misc.save_model_to_json()
        trained.pop("linker_uid", None)
        return trained


class _TrainingFailed(Exception):
    """The data did not support a model (a level never seen, no pairs to learn from)."""


def _training_errors() -> tuple[type[BaseException], ...]:
    from splink.internals.exceptions import SplinkException

    return (_TrainingFailed, SplinkException, ZeroDivisionError, ValueError)


_TRAINING_ERRORS = _training_errors()


# -- model specification ---------------------------------------------------------------
def _model_settings(fields: list[str], s: FuzzySettings, dialect: Dialect) -> dict[str, Any] | None:
    """Splink settings for the fields present, or None if they cannot identify a person."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    has = set(fields)
    names = {"first_name", "last_name"} <= has
    # Something personal plus something to block and train on.
    if not (names or "email" in has or "phone" in has):
        return None
    if len(has & {"postal_code", "birth_date", "email", "phone", "address"}) < 1:
        return None

    tf = s.term_frequencies
    comparisons: list[Any] = []

    def dl(col: str, *distances: int) -> list[Any]:
        return [_damerau_levenshtein_level(col, d, dialect) for d in distances]

    # First and last names, each also compared with the other record's other name: FEBRL
    # and real forms both have swapped names, often with a typo as well.
    for col, other in (("first_name", "last_name"), ("last_name", "first_name")):
        if col not in has:
            continue
        cross = other in has
        levels: list[Any] = [cll.NullLevel(col), cll.ExactMatchLevel(col, tf)]
        if cross:
            levels.append(cll.CustomLevel(f"{col}_l = {other}_r", f"{col} = other {other}"))
        levels.append(_damerau_levenshtein_level(col, 1, dialect))
        if cross:
            levels.append(
                cll.CustomLevel(
                    _damerau_levenshtein_sql(f"{col}_l", f"{other}_r", 1, dialect),
                    f"{col} within 1 edit of other {other}",
                )
            )
        levels += [_damerau_levenshtein_level(col, 2, dialect), cll.ElseLevel()]
        comparisons.append(cl.CustomComparison(comparison_levels=levels, output_column_name=col))
    if "birth_date" in has:
        comparisons.append(
            cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("birth_date"),
                    cll.ExactMatchLevel("birth_date"),
                    *dl("dob_text", 1, 2),
                    cll.ElseLevel(),
                ],
                output_column_name="birth_date",
            )
        )
    location = _location_comparison(has, dialect)
    if location is not None:
        comparisons.append(location)
    if "email" in has:
        comparisons.append(
            cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("email"),
                    cll.ExactMatchLevel("email", tf),
                    cll.ExactMatchLevel("email_local"),
                    *dl("email", 1),
                    cll.ElseLevel(),
                ],
                output_column_name="email",
            )
        )
    if "phone" in has:
        comparisons.append(
            cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("phone"),
                    cll.ExactMatchLevel("phone", tf),
                    *dl("phone", 1),
                    cll.ElseLevel(),
                ],
                output_column_name="phone",
            )
        )

    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_key",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": _prediction_rules(fields),
        "probability_two_random_records_match": 1e-4,
        "em_convergence": s.em_convergence,
        "max_iterations": s.em_max_iterations,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


def _damerau_levenshtein_sql(left: str, right: str, k: int, dialect: Dialect) -> str:
    """``damerau_levenshtein(left, right) <= k`` for values longer than ``2k`` characters.

    Short values are left to the "else" level: ``9`` and ``5`` are one edit apart, like
    ``Elizbaeth`` and ``Elizabeth``, but say nothing about being the same person.

    The distance is put behind two cheap necessary conditions: it is at least the
    difference in lengths and at least half the Levenshtein distance (a transposition is
    two Levenshtein edits). Both engines skip the right-hand side of a false AND, and
    DuckDB's ``damerau_levenshtein`` is about six times slower than its ``levenshtein``:
    the u estimate (every pair of a sample, mostly unlike) runs several times faster with
    the same levels. Lengths are in bytes, like DuckDB's distances (see ``_prepare_sql``).
    """
    length = "strlen" if dialect == "duckdb" else "length"
    return (
        f"(least({length}({left}), {length}({right})) > {2 * k:d}"
        f" AND abs({length}({left}) - {length}({right})) <= {k:d}"
        f" AND levenshtein({left}, {right}) <= {2 * k:d}"
        f" AND damerau_levenshtein({left}, {right}) <= {k:d})"
    )


def _damerau_levenshtein_level(col: str, k: int, dialect: Dialect) -> Any:
    """A level for ``col`` within ``k`` edits on both records (see the SQL above)."""
    import splink.comparison_level_library as cll

    return cll.CustomLevel(
        _damerau_levenshtein_sql(f"{col}_l", f"{col}_r", k, dialect), f"{col} within {k} edit(s)"
    )


def _location_comparison(has: set[str], dialect: Dialect) -> Any | None:
    """Street address, postcode and city as *one* comparison.

    They are far from independent: members of a household share all three, and scored as
    three comparisons their agreement counts three times, enough to outweigh different
    first names and birth dates (on the demo data, one predicted pair in five was two
    people of one household). One comparison counts "same home" once.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    fields = [f for f in ("address", "postal_code", "city") if f in has]
    if not fields:
        return None
    null = " AND ".join(f"({f}_l IS NULL OR {f}_r IS NULL)" for f in fields)
    area_parts = []
    if "postal_code" in has:
        area_parts += [
            "postal_code_l = postal_code_r",
            _damerau_levenshtein_sql("postal_code_l", "postal_code_r", 1, dialect),
        ]
    if "city" in has:
        area_parts += [
            "city_compact_l = city_compact_r",
            _damerau_levenshtein_sql("city_compact_l", "city_compact_r", 2, dialect),
        ]
    area = f"({' OR '.join(area_parts)})" if area_parts else "TRUE"

    def address_within(k: int) -> str:
        return _damerau_levenshtein_sql("address_compact_l", "address_compact_r", k, dialect)

    levels: list[Any] = [
        cll.CustomLevel(null, "no location to compare").configure(is_null_level=True)
    ]
    if "address" in has:
        levels += [
            cll.CustomLevel(
                f"address_compact_l = address_compact_r AND {area}", "same address and area"
            ),
            cll.CustomLevel("address_compact_l = address_compact_r", "same address"),
            cll.CustomLevel(
                f"{address_within(1)} AND {area}",
                "address within 1 edit, same area",
            ),
            cll.CustomLevel(
                f"{address_within(3)} AND {area}",
                "address within 3 edits, same area",
            ),
        ]
    if "postal_code" in has:
        levels.append(cll.CustomLevel("postal_code_l = postal_code_r", "same postcode"))
    if area_parts:
        levels.append(cll.CustomLevel(area, "same or similar postcode or city"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(comparison_levels=levels, output_column_name="location")


def _prediction_rules(fields: list[str]) -> list[str]:
    """Pairs worth scoring: those sharing a (capped) blocking key whose fields are present."""
    usable = {k.name for k in _BLOCK_KEYS if set(k.needs) <= set(fields)}
    return [
        f"l.blk_{left} = r.blk_{right}"
        for left, right in _PREDICTION_RULES
        if left in usable and right in usable
    ]


# Exact agreements that (almost) only true matches show, for the prior. Each has a birth
# date or both names: surname, postcode and address together describe a household, not a
# person. An e-mail address is shared by couples and placeholders (``test@test.com``), so
# it needs the first name too.
_DETERMINISTIC_RULES = (
    ("first_name", "last_name", "birth_date"),
    ("first_name", "last_name", "postal_code"),
    ("first_name", "last_name", "address_compact"),
    ("first_name", "birth_date", "postal_code"),
    ("last_name", "birth_date", "postal_code"),
    ("first_name", "birth_date", "address_compact"),
    ("last_name", "birth_date", "address_compact"),
    ("email", "first_name"),
    ("phone", "first_name"),
)


def _deterministic_rules(fields: list[str]) -> list[str]:
    """The rules of ``_DETERMINISTIC_RULES`` whose fields are all present.

    The prior is (pairs found by these rules) / (all pairs) / ``deterministic_recall``. The
    more varied the rules, the less the recall they reach depends on which fields a data
    set happens to garble: on the FEBRL sets they find 66-79% of the true pairs, close to
    the default assumption of 70% (three rules requiring both names found 33-46%).
    """
    present = {*fields, *(f"{f}_compact" for f in fields)}
    rules = [
        " AND ".join(f"l.{c} = r.{c}" for c in columns)
        for columns in _DETERMINISTIC_RULES
        if set(columns) <= present
    ]
    # Without a first name, an exact e-mail or phone is the best there is.
    return rules or [f"l.{f} = r.{f}" for f in ("email", "phone") if f in present]


def _em_rules(fields: list[str]) -> list[str]:
    """Two EM passes, so that each comparison is estimated at least once: Splink leaves out
    of a pass every comparison using a column of its blocking rule (agreement on it is
    forced there). Each rule also requires the capped key, to bound the pairs."""
    has = set(fields)
    candidates = [
        (("postal_code",), "postal_code"),
        (("birth_date",), "birth_date"),
        (("email",), "email"),
        (("phone",), "phone"),
        (("last_name", "city"), "last_name_city"),
        (("first_name", "last_name"), "full_name"),
    ]
    return [
        " AND ".join([*(f"l.{c} = r.{c}" for c in columns), f"l.blk_{key} = r.blk_{key}"])
        for columns, key in candidates
        if set(columns) <= has
    ][:2]


def _untrained_comparisons(linker: Any) -> list[str]:
    """Comparisons that no training step estimated (for want of a second EM blocking rule).

    Splink would score them with arbitrary defaults. A single level without an estimate is
    fine: it was not observed among matches (or non-matches) and Splink gives it a
    probability of 1e-6.
    """
    model = linker.misc.save_model_to_json()
    missing = []
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for parameter in ("m_probability", "u_probability"):
            if not any(parameter in level for level in levels):
                missing.append(f"{comparison['output_column_name']} ({parameter[0]})")
    return missing


# -- input normalisation ------------------------------------------------------------------
# Regular expressions as the regex engine must receive them (RE2 in DuckDB, java.util.regex in
# Spark agree on both). Spark's SQL parser unescapes backslashes in literals, DuckDB's not.
_BLANKS = "[ \t\r\n]+"
_NOT_ALNUM = r"[^\p{L}\p{N}]+"

# Accent folding, one character for one (``translate``): lower-case Latin letters only, as
# ``lower`` runs first. Letters outside this table are compared as they are.
_FOLDS = {
    "a": "àáâãäåāăą",
    "c": "çćĉċč",
    "d": "ďđ",
    "e": "èéêëēĕėęě",
    "g": "ĝğġģ",
    "h": "ĥħ",
    "i": "ìíîïĩīĭįı",
    "j": "ĵ",
    "k": "ķ",
    "l": "ĺļľŀł",
    "n": "ñńņňŉ",
    "o": "òóôõöøōŏő",
    "r": "ŕŗř",
    "s": "śŝşš",
    "t": "ţťŧ",
    "u": "ùúûüũūŭůűų",
    "w": "ŵ",
    "y": "ýÿŷ",
    "z": "źżž",
}
_ACCENTED = "".join(_FOLDS.values())
_UNACCENTED = "".join(plain * len(marked) for plain, marked in _FOLDS.items())

# Text columns of the model input (everything but the record key and the birth date).
_TEXT_COLUMNS = (
    "first_name",
    "last_name",
    "address",
    "city",
    "postal_code",
    "email",
    "phone",
    "dob_text",
    "address_compact",
    "city_compact",
    "email_local",
    *(f"blk_{k.name}" for k in _BLOCK_KEYS),
)


def _prepare_sql(table: str, dialect: Dialect, max_block: int) -> str:
    """The records as the model sees them.

    Text is lower-cased, common Latin accents folded (``Zoë`` = ``Zoe``), blanks collapsed
    and trimmed, empty strings made NULL; compact forms keep letters and digits only (for
    the "same but for spaces" levels: ``Lewi sSquares``); blocking keys are NULL where a key
    is shared by more than ``max_block`` records.

    DuckDB's edit distances count bytes, Spark's count characters. So that both engines put
    every pair in the same level, Spark's text columns end as their UTF-8 bytes read as
    ISO-8859-1 (one character per byte): equality is unchanged and Spark's distances then
    count bytes too. Compact forms are derived before that step, from the real characters.
    """

    def replace_all(expr: str, pattern: str, repl: str) -> str:
        if dialect == "duckdb":
            return f"regexp_replace({expr}, '{pattern}', '{repl}', 'g')"
        return f"regexp_replace({expr}, '{pattern.replace(chr(92), chr(92) * 2)}', '{repl}')"

    def clean(col: str) -> str:
        folded = f"translate(lower(cast({col} AS STRING)), '{_ACCENTED}', '{_UNACCENTED}')"
        return f"nullif(trim({replace_all(folded, _BLANKS, ' ')}), '')"

    def compact(expr: str) -> str:
        return f"nullif({replace_all(expr, _NOT_ALNUM, '')}, '')"

    def as_bytes(col: str) -> str:
        if dialect == "duckdb":
            return col
        return f"decode(encode({col}, 'UTF-8'), 'ISO-8859-1')"

    text = ",\n".join(f"{as_bytes(c)} AS {c}" for c in _TEXT_COLUMNS)
    keys = ",\n".join(f"{k.sql} AS key_{k.name}" for k in _BLOCK_KEYS)
    caps = ",\n".join(
        f"CASE WHEN count(*) OVER (PARTITION BY key_{k.name}) <= {max_block:d}"
        f" THEN key_{k.name} END AS blk_{k.name}"
        for k in _BLOCK_KEYS
    )
    return f"""
        WITH cleaned AS (
            SELECT
                cast(record_key AS STRING) AS record_key,
                {clean("first_name")} AS first_name,
                {clean("last_name")} AS last_name,
                cast(birth_date AS DATE) AS birth_date,
                {clean("address")} AS address,
                {clean("city")} AS city,
                {compact("upper(cast(postal_code AS STRING))")} AS postal_code,
                {clean("email")} AS email,
                nullif({replace_all("cast(phone AS STRING)", "[^0-9]+", "")}, '') AS phone
            FROM {table}
        ),
        derived AS (
            SELECT *,
                cast(birth_date AS STRING) AS dob_text,
                {compact("address")} AS address_compact,
                {compact("city")} AS city_compact,
                nullif(split_part(email, '@', 1), '') AS email_local
            FROM cleaned
        ),
        keyed AS (
            SELECT *,
                {keys}
            FROM derived
        ),
        capped AS (
            SELECT *,
                {caps}
            FROM keyed
        )
        SELECT record_key, birth_date,
            {text}
        FROM capped
    """


def _stats_sql(table: str) -> str:
    counts = ", ".join(f"count({f}) AS {f}" for f in _FIELDS)
    return f"""
        SELECT count(*) AS n, count(DISTINCT record_key) AS distinct_keys,
               count(*) - count(record_key) AS null_keys, {counts}
        FROM {table}
    """


def _canonical(result: pa.Table, threshold: float) -> pa.Table:
    """Round, filter on the threshold, order the keys in a pair, sort, give the schema.

    Probabilities are rounded to ``_PRECISION``: parallel sums in EM make the last bits of
    a probability vary from run to run (about 1e-16), and rounding hides that so that the
    same data and seed give the same table. Filtering after rounding keeps the pair set
    consistent with the returned values.
    """
    probability = pc.round(result["match_probability"].cast(pa.float64()), _DECIMALS)
    keep = pc.greater_equal(probability, threshold)
    left = pc.filter(result["record_key_l"].cast(pa.string()), keep)
    right = pc.filter(result["record_key_r"].cast(pa.string()), keep)
    swap = pc.greater(left, right)
    ordered = pa.table(
        {
            "record_key_l": pc.if_else(swap, right, left),
            "record_key_r": pc.if_else(swap, left, right),
            "match_probability": pc.filter(probability, keep),
        }
    ).sort_by([("record_key_l", "ascending"), ("record_key_r", "ascending")])
    return pa.Table.from_arrays(ordered.columns, schema=OUTPUT_SCHEMA)


# -- engines -----------------------------------------------------------------------------
class _Run:
    """One fit_predict on one engine: the prepared input and the Splink API objects."""

    dialect: Dialect
    input: SplinkDataFrame

    def __init__(self) -> None:
        self._prefix = f"__personae_fuzzy_{uuid.uuid4().hex[:12]}_"
        self._apis: list[DatabaseAPISubClass] = []

    def _new_api(self) -> DatabaseAPISubClass:
        raise NotImplementedError

    def _create(self, physical: str, sql: str) -> None:
        raise NotImplementedError

    def fetch(self, sql: str) -> pa.Table:
        """Run a query on the engine and return its result as Arrow."""
        raise NotImplementedError

    def materialize(self, name: str, sql: str) -> SplinkDataFrame:
        """Run ``sql`` into a table of this run and register it with a fresh Splink API
        object, so that each linker has its own (Splink caches tables per API object)."""
        physical = self._prefix + name
        self._create(physical, sql)
        api = self._new_api()
        self._apis.append(api)
        return api.register(physical, table_name=f"{physical}_in")

    @contextlib.contextmanager
    def scoring(self) -> Iterator[None]:
        """Engine settings for Splink's scoring query (one CASE per comparison level)."""
        yield

    def row(self, sql: str) -> dict[str, Any]:
        return self.fetch(sql).to_pylist()[0]

    def count(self, table: str) -> int:
        return int(self.row(f"SELECT count(*) AS n FROM {table}")["n"])

    def stats(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.row(_stats_sql(self.input.physical_name)).items()}

    def _drop_splink_tables(self) -> None:
        for api in self._apis:
            try:
                api.delete_tables_created_by_splink_from_db()
            except Exception as exc:  # cleanup must not hide the real outcome
                log.debug("could not drop Splink's tables: %s", exc)


class _DuckDBRun(_Run):
    """Splink runs in a private in-memory DuckDB fed with the prepared input over Arrow.

    Splink creates a dozen ``__splink__*`` tables per run: in the caller's connection they
    would be written into its database file (a workspace), need write access, and could be
    left behind after an error. Copying nine short text columns is cheap by comparison.
    """

    dialect: Dialect = "duckdb"

    def __init__(self) -> None:
        super().__init__()
        self._con = connect()

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, source: duckdb.DuckDBPyConnection, table: str, max_block: int
    ) -> Iterator[_DuckDBRun]:
        run = cls()
        try:
            with _step("input preparation"):
                prepared = source.sql(_prepare_sql(table, "duckdb", max_block))
                run._con.register("__personae_fuzzy_arrow", prepared.to_arrow_table())
                run.input = run.materialize("input", "SELECT * FROM __personae_fuzzy_arrow")
                run._con.unregister("__personae_fuzzy_arrow")
            yield run
        finally:
            run._con.close()

    def _new_api(self) -> DatabaseAPISubClass:
        from splink.backends.duckdb import DuckDBAPI

        return DuckDBAPI(connection=self._con)

    def _create(self, physical: str, sql: str) -> None:
        self._con.execute(f"CREATE TABLE {physical} AS {sql}")

    def fetch(self, sql: str) -> pa.Table:
        return self._con.sql(sql).to_arrow_table()


class _SparkRun(_Run):
    """Splink runs on the caller's session; every view it or we create is dropped after."""

    dialect: Dialect = "spark"

    def __init__(self, spark: SparkSession, lineage: str) -> None:
        super().__init__()
        self._spark = spark
        self._lineage = lineage
        self._frames: dict[str, Any] = {}

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, spark: SparkSession, table: str, lineage: str, max_block: int
    ) -> Iterator[_SparkRun]:
        run = cls(spark, lineage)
        before = run._splink_views()
        with run._checkpoint_dir():
            try:
                with _step("input preparation"):
                    run.input = run.materialize("input", _prepare_sql(table, "spark", max_block))
                yield run
            finally:
                run._drop_splink_tables()
                # Splink drops its tables with DROP TABLE, which leaves temporary views be.
                for name in run._splink_views() - before:
                    spark.catalog.dropTempView(name)
                for name, frame in run._frames.items():
                    spark.catalog.dropTempView(name)
                    frame.unpersist()

    def _splink_views(self) -> set[str]:
        return {
            t.name
            for t in self._spark.catalog.listTables()
            if t.isTemporary and t.name.startswith("__splink__")
        }

    @contextlib.contextmanager
    def _checkpoint_dir(self) -> Iterator[None]:
        """A checkpoint directory for Splink's Parquet intermediates, removed afterwards.

        It goes under ``spark.local.dir`` when set (personae's ``spark_session(tmp_dir=)``
        sets it), else the system temp dir. A checkpoint directory the session already had
        is set back afterwards (Spark appends a fresh sub-directory to it)."""
        if self._lineage != "parquet":
            yield
            return
        context = self._spark.sparkContext
        previous = context._jsc.sc().getCheckpointDir()
        local = self._spark.conf.get("spark.local.dir", None)
        base = local.split(",")[0] if local else None
        if base:  # Spark makes its local dir lazily; it may not exist yet (or was cleaned up)
            os.makedirs(base, exist_ok=True)
        path = tempfile.mkdtemp(prefix="personae-fuzzy-", dir=base)
        context.setCheckpointDir(path)
        try:
            yield
        finally:
            if previous.isDefined():
                context.setCheckpointDir(previous.get())
            shutil.rmtree(path, ignore_errors=True)

    @contextlib.contextmanager
    def scoring(self) -> Iterator[None]:
        """Whole-stage code generation off while Splink scores pairs.

        The scoring query's generated Java method exceeds the JVM's 64 KB limit; Spark then
        logs the failed compilation with a long stack trace at ERROR and falls back to the
        interpreted plan anyway. Asking for that plan directly is as fast and quiet. The
        session's own value is restored afterwards.
        """
        key = "spark.sql.codegen.wholeStage"
        previous = self._spark.conf.get(key, None)
        self._spark.conf.set(key, "false")
        try:
            yield
        finally:
            if previous is None:
                self._spark.conf.unset(key)
            else:
                self._spark.conf.set(key, previous)

    def _new_api(self) -> DatabaseAPISubClass:
        from splink.backends.spark import SparkAPI

        return SparkAPI(spark_session=self._spark, break_lineage_method=self._lineage)

    def _create(self, physical: str, sql: str) -> None:
        frame = self._spark.sql(sql).persist()
        frame.count()
        frame.createOrReplaceTempView(physical)
        self._frames[physical] = frame

    def fetch(self, sql: str) -> pa.Table:
        return self._spark.sql(sql).toArrow()


def _is_spark_session(backend: object) -> bool:
    """True for a PySpark session, without importing PySpark when it is not installed."""
    return any(
        c.__module__.startswith("pyspark.sql") and c.__name__ == "SparkSession"
        for c in type(backend).__mro__
    )


@contextlib.contextmanager
def _step(what: str) -> Iterator[None]:
    """Log how long a step took (DEBUG), to see where a slow run spends its time."""
    start = time.perf_counter()
    try:
        yield
    finally:
        log.debug("fuzzy: %s took %.2f s", what, time.perf_counter() - start)


@contextlib.contextmanager
def _splink_logging(level: int) -> Iterator[None]:
    """Set the ``splink`` logger's level for the duration of a call."""
    logger = logging.getLogger("splink")
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)
