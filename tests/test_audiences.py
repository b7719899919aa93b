"""Rule-based audiences on real demo workspaces: sizes checked against counts computed in
Python from the tables, condition checking, exports in every format and the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from personae.config import AudienceSettings
from personae.segments.audiences import (
    AudienceError,
    audience_columns,
    audience_view_sql,
    check_predicate,
    export_audience,
    list_audiences,
)
from tests.helpers import ingest_demo

AUDIENCES_TOML = """
[audiences.lapsed_vip]
where = "clv_12m > 100 and recency_days > 90"
description = "Valuable customers who have not bought for three months"
columns = ["email", "clv", "Recency_Days"]

[audiences.women]
where = "gender = 'female'"

[audiences.older_repeat]
where = "age >= 50 and orders >= 2 and rfm_group is not null"
"""


def _valued(data: Path, folder: Path) -> Workspace:
    ws, _ = ingest_demo(data, folder)
    # the counts here are of the rules alone; tests/test_consent.py checks the consent filter
    config = ws.path / "personae.toml"
    config.write_text(
        config.read_text().replace('audience_purpose = "advertising"', 'audience_purpose = ""')
    )
    ws.reload()
    ws.build()
    ws.value()
    return ws


@pytest.fixture(scope="module")
def retail(retail_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _valued(retail_data, tmp_path_factory.mktemp("audiences-retail") / "ws")


@pytest.fixture(scope="module")
def saas(saas_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _valued(saas_data, tmp_path_factory.mktemp("audiences-saas") / "ws")


@pytest.fixture
def define(retail: Workspace) -> Iterator[Callable[[str], Workspace]]:
    """Append audience tables to the shared workspace's personae.toml for one test."""
    config = retail.path / "personae.toml"
    original = config.read_text(encoding="utf-8")

    def write(toml: str) -> Workspace:
        config.write_text(original + toml, encoding="utf-8")
        retail.reload()
        return retail

    yield write
    config.write_text(original, encoding="utf-8")
    retail.reload()


def _copy(ws: Workspace, folder: Path) -> Workspace:
    """A private copy of a workspace, for tests that change its tables."""
    shutil.copytree(ws.path, folder)
    return Workspace(folder)


def _people(ws: Workspace) -> list[dict]:
    """Non-anonymous profiles merged with their value scores (profile columns win)."""
    scores = {r["profile_id"]: r for r in ws.sql("SELECT * FROM value_scores").to_pylist()}
    out = []
    for p in ws.sql("SELECT * FROM profiles").to_pylist():
        if p["anonymous"]:
            continue
        out.append({**scores.get(p["profile_id"], {}), **p})
    return out


def _expected(people: list[dict]) -> dict[str, set[str]]:
    def gt(v, x) -> bool:
        return v is not None and v > x

    return {
        "lapsed_vip": {
            p["profile_id"] for p in people if gt(p.get("clv"), 100) and gt(p["recency_days"], 90)
        },
        "women": {p["profile_id"] for p in people if p["gender"] == "female"},
        "older_repeat": {
            p["profile_id"]
            for p in people
            if gt(p["age"], 49) and gt(p["orders"], 1) and p.get("rfm_group") is not None
        },
    }


def test_view_has_one_row_per_person_and_unique_names(retail):
    with retail.connect(read_only=True) as con:
        view = audience_view_sql(con, 12)
        names = audience_columns(con, 12)
        rows, ids = con.execute(
            f"SELECT count(*), count(DISTINCT profile_id) FROM ({view})"
        ).fetchone()
        people = con.execute("SELECT count(*) FROM profiles WHERE NOT anonymous").fetchone()[0]
        # orders is in both tables: the profile's (an integer) is the one kept
        kinds = dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {view})").fetchall()
        )
        assert "clv_6m" in audience_columns(con, 6) and "clv_12m" not in audience_columns(con, 6)
    assert rows == ids == people > 0
    assert len({n.lower() for n in names}) == len(names)
    assert {"profile_id", "email", "clv", "clv_12m", "churn_risk", "rfm_group"} <= set(names)
    assert "segment" not in names  # no segments table yet
    assert kinds["orders"] == "BIGINT"


def test_counts_match_an_independent_count(retail, define):
    ws = define(AUDIENCES_TOML)
    people = _people(ws)
    expected = _expected(people)
    found = {a.name: a for a in ws.audiences()}
    assert list(found) == ["lapsed_vip", "women", "older_repeat"]
    for name, ids in expected.items():
        assert found[name].members == len(ids), name
        assert found[name].share == pytest.approx(len(ids) / len(people))
    assert 0 < found["lapsed_vip"].members < found["women"].members < len(people)
    assert found["lapsed_vip"].description.startswith("Valuable customers")
    assert found["women"].description == ""


def test_unknown_attribute_names_it_the_close_match_and_the_known_list(retail):
    with retail.connect(read_only=True) as con:
        known = audience_columns(con, 12)
        with pytest.raises(AudienceError) as err:
            check_predicate("recency_day > 90 and clv_12m > 1", known, "lapsed")
    msg = str(err.value)
    assert "'lapsed'" in msg and "unknown attribute recency_day" in msg
    assert "recency_day -> recency_days" in msg
    assert "Known attributes: " + ", ".join(sorted(known, key=str.lower)) in msg
    assert "[audiences.lapsed] where" in msg and "personae.toml" in msg
    # a text value in double quotes is a column name in SQL: say so
    with pytest.raises(AudienceError, match="single quotes: 'female'"):
        check_predicate('gender = "female"', known, "women")
    # field names are checked case-insensitively, like DuckDB does
    check_predicate("Recency_Days > 90 AND CLV_12M > 1", known, "ok")


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("true; drop table profiles", "';'"),
        ("orders > 1; drop table profiles", "';'"),
        ("profile_id in (select profile_id from value_scores)", "subqueries"),
        ("exists (select 1)", "subqueries"),
        ("1=1) or (1=1", "closes more"),
        ("orders > 1 --", "comment"),
        ("orders > (1", "never closed"),
        ("drop table profiles", "does not parse"),
        ("", "empty"),
    ],
)
def test_anything_but_one_condition_is_rejected(retail, where, why):
    with retail.connect(read_only=True) as con:
        known = audience_columns(con, 12)
        with pytest.raises(AudienceError, match=why) as err:
            list_audiences(con, {"bad": AudienceSettings.model_construct(where=where)}, 12)
        assert "'bad'" in str(err.value) and "not a single SQL condition" in str(err.value)
        check_predicate("orders > 1", known, "fine")
    assert retail.sql("SELECT count(*) AS n FROM profiles").column("n")[0].as_py() > 0


def test_a_type_error_names_the_audience_and_duckdbs_reason(retail, define):
    ws = define('\n[audiences.typo]\nwhere = "email > 5"\n')
    with pytest.raises(AudienceError) as err:
        ws.audiences()
    msg = str(err.value)
    assert "'typo'" in msg and "email > 5" in msg and "Cannot compare" in msg
    assert "LINE" not in msg and "SELECT" not in msg  # not the generated query
    ws = define('\n[audiences.typo]\nwhere = "gender = 5"\n')
    with pytest.raises(AudienceError, match="Could not convert string"):
        ws.audiences()


def _read(path: Path, fmt: str) -> list[dict]:
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    if fmt == "parquet":
        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_export_round_trips(retail, define, tmp_path, fmt):
    ws = define(AUDIENCES_TOML)
    expected = _expected(_people(ws))
    clv = {r["profile_id"]: r["clv"] for r in ws.sql("SELECT * FROM value_scores").to_pylist()}
    out = tmp_path / "sub" / f"lapsed.{fmt}"
    assert ws.export_audience("lapsed_vip", out) == len(expected["lapsed_vip"])
    rows = _read(out, fmt)
    assert list(rows[0]) == ["profile_id", "email", "clv", "recency_days"]
    ids = [r["profile_id"] for r in rows]
    assert ids == sorted(expected["lapsed_vip"])
    for r in rows:
        assert float(r["clv"]) == pytest.approx(clv[r["profile_id"]])
        assert float(r["clv"]) > 100 and int(r["recency_days"]) > 90
    # no columns: the ids alone; an explicit format wins over the file name
    n = ws.export_audience("women", tmp_path / "women.out", fmt=fmt)
    rows = _read(tmp_path / "women.out", fmt)
    assert n == len(rows) == len(expected["women"]) and list(rows[0]) == ["profile_id"]


def test_export_errors(retail, define, tmp_path):
    with retail.connect(read_only=True) as con, pytest.raises(AudienceError) as err:
        export_audience(con, "x", {}, tmp_path / "x.csv", 12)
    assert "no audiences are defined" in str(err.value) and "[audiences.lapsed_vip]" in str(
        err.value
    )
    ws = define(AUDIENCES_TOML + '\n[audiences.bad_cols]\nwhere = "true"\ncolumns = ["emial"]\n')
    with pytest.raises(AudienceError, match=r"no audience named 'woman' \(did you mean 'women'"):
        ws.export_audience("woman", tmp_path / "w.csv")
    with pytest.raises(AudienceError, match=r"unknown column emial.*email") as err:
        ws.export_audience("bad_cols", tmp_path / "b.csv")
    assert "[audiences.bad_cols] columns" in str(err.value)
    with pytest.raises(AudienceError, match="unknown export format"):
        ws.export_audience("women", tmp_path / "w.csv", fmt="xlsx")
    assert not (tmp_path / "b.csv").exists()


def test_profile_attributes_work_before_value_scores(retail, tmp_path):
    ws = _copy(retail, tmp_path / "built-only")
    with ws.connect() as con:
        con.execute("DROP TABLE value_scores")
    with open(ws.path / "personae.toml", "a", encoding="utf-8") as fh:
        fh.write("\n[audiences.women]\nwhere = \"gender = 'female' and orders > 0\"\n")
    ws.reload()
    people = ws.sql("SELECT * FROM profiles WHERE NOT anonymous").to_pylist()
    want = sum(1 for p in people if p["gender"] == "female" and (p["orders"] or 0) > 0)
    assert [(a.name, a.members) for a in ws.audiences()] == [("women", want)]
    with ws.connect(read_only=True) as con:
        known = audience_columns(con, 12)
    assert "clv_12m" not in known
    with pytest.raises(AudienceError, match="once `personae value` has run"):
        check_predicate("clv_12m > 500", known, "vip")


def test_segments_and_account_attributes(saas, tmp_path):
    ws = _copy(saas, tmp_path / "segmented")
    people = ws.sql(
        "SELECT profile_id, account_id, account_plan FROM profiles "
        "WHERE NOT anonymous ORDER BY profile_id"
    ).to_pylist()
    accounts = ws.sql("SELECT account_id, plan, mrr FROM account_profiles").to_pylist()
    account_ids = sorted(a["account_id"] for a in accounts)
    with ws.connect() as con:
        con.execute(
            """CREATE TABLE segments (entity VARCHAR, entity_id VARCHAR, segment INTEGER,
               segment_name VARCHAR, probability DOUBLE, probabilities DOUBLE[],
               outlier BOOLEAN, role VARCHAR)"""
        )
        for i, a in enumerate(account_ids):
            con.execute(
                "INSERT INTO segments VALUES ('account', ?, ?, ?, 0.9, [0.9, 0.1], false, ?)",
                [a, i % 3, f"Group {i % 3}", "primary" if i % 3 == 0 else "other"],
            )
        # one person has a segment of their own: it wins over their account's
        own = next(p for p in people if p["account_id"])
        con.execute(
            "INSERT INTO segments VALUES ('person', ?, 7, 'Solo', 0.6, [0.6], true, 'negative')",
            [own["profile_id"]],
        )
    seg_of = {a: i % 3 for i, a in enumerate(account_ids)}
    mrr = {a["account_id"]: a["mrr"] for a in accounts}
    with ws.connect(read_only=True) as con:
        names = audience_columns(con, 12)
        view = audience_view_sql(con, 12)
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                f"SELECT profile_id, segment, segment_name, segment_role, segment_probability, "
                f"segment_outlier, account_mrr, account_plan FROM ({view})"
            ).fetchall()
        }
    assert len(rows) == len(people)
    for name in ("segment", "segment_name", "segment_role", "segment_probability"):
        assert name in names
    assert "probabilities" not in names and "account_account_id" not in names
    assert names.count("account_plan") == 1  # the profile's column; not repeated
    assert {"account_mrr", "account_industry"} <= set(names)
    assert rows[own["profile_id"]][:5] == (7, "Solo", "negative", 0.6, True)
    for p in people:
        if p["profile_id"] == own["profile_id"]:
            continue
        seg = seg_of.get(p["account_id"])
        assert rows[p["profile_id"]][0] == seg
        assert rows[p["profile_id"]][5] == mrr.get(p["account_id"])
    with open(ws.path / "personae.toml", "a", encoding="utf-8") as fh:
        fh.write(
            "\n[audiences.big_primary]\n"
            "where = \"segment_role = 'primary' and account_mrr > 500\"\n"
        )
    ws.reload()
    want = sum(
        1
        for p in people
        if p["profile_id"] != own["profile_id"]
        and seg_of.get(p["account_id"]) == 0
        and (mrr.get(p["account_id"]) or 0) > 500
    )
    assert [a.members for a in ws.audiences()] == [want]
    assert want > 0


def test_cli_lists_and_exports(retail, define, tmp_path):
    ws = define(AUDIENCES_TOML)
    expected = _expected(_people(ws))
    runner = CliRunner()
    res = runner.invoke(app, ["audiences", "-w", str(ws.path)])
    assert res.exit_code == 0, res.output
    assert "lapsed_vip" in res.output and "older_repeat" in res.output
    assert f"{len(expected['women']):,}" in res.output
    res = runner.invoke(app, ["audiences", "-w", str(ws.path), "--json"])
    assert res.exit_code == 0, res.output
    listed = {a["name"]: a["members"] for a in json.loads(res.stdout)}
    assert listed == {k: len(v) for k, v in expected.items()}

    res = runner.invoke(app, ["audiences", "export", "lapsed_vip", "-w", str(ws.path)])
    assert res.exit_code == 0, res.output
    default = ws.path / "exports" / "lapsed_vip.csv"
    assert [r["profile_id"] for r in _read(default, "csv")] == sorted(expected["lapsed_vip"])
    assert f"{len(expected['lapsed_vip']):,}" in res.output
    # -w before the subcommand works too; --format sets the default file's suffix
    res = runner.invoke(
        app, ["audiences", "-w", str(ws.path), "export", "women", "--format", "parquet"]
    )
    assert res.exit_code == 0, res.output
    assert pq.read_table(ws.path / "exports" / "women.parquet").num_rows == len(expected["women"])
    out = tmp_path / "w.jsonl"
    res = runner.invoke(app, ["audiences", "export", "women", "-w", str(ws.path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(_read(out, "jsonl")) == len(expected["women"])

    res = runner.invoke(app, ["audiences", "export", "nobody", "-w", str(ws.path)])
    assert res.exit_code == 2
    assert "no audience named 'nobody'" in res.stderr and "Traceback" not in res.output
    define(AUDIENCES_TOML + '\n[audiences.typo]\nwhere = "recency_day > 90"\n')
    res = runner.invoke(app, ["audiences", "-w", str(ws.path)])
    assert res.exit_code == 2
    assert "recency_day" in res.stderr and "recency_days" in res.stderr


def test_cli_without_audiences_says_how_to_define_one(retail):
    res = CliRunner().invoke(app, ["audiences", "-w", str(retail.path)])
    assert res.exit_code == 0, res.output
    assert "No audiences defined" in res.output and "[audiences.lapsed_vip]" in res.output
