"""The same workspace built on DuckDB and on Spark gives identical identities and profiles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from personae import Workspace
from personae.pipeline import enable_fuzzy_matching
from tests.helpers import table_differences

pytestmark = pytest.mark.spark

COMPARED = {
    "identity_map": ["id_type", "id_value"],
    "identity_signatures": ["sig_key"],
    "identity_audit": ["profile_id", "rule", "id_type", "id_value", "other_type", "other_value"],
    "account_links": ["profile_id", "account_id", "rule"],
    "profiles": ["profile_id"],
    "profile_sources": ["profile_id", "attribute"],
    "account_profiles": ["account_id"],
}


@pytest.mark.parametrize("scenario", ["retail", "saas"])
def test_duckdb_and_spark_agree(scenario, request, tmp_path):
    ingested, _ = request.getfixturevalue(f"{scenario}_ws")
    built = {}
    for backend in ("duckdb", "spark"):
        folder = tmp_path / backend
        shutil.copytree(ingested.path, folder)
        ws = Workspace(folder)
        enable_fuzzy_matching(ws)
        result = ws.build(backend=backend)
        assert result.engine == backend and result.profiles > 100
        built[backend] = ws.database_path
    problems: list[str] = []
    for table, key in COMPARED.items():
        problems += table_differences(built["duckdb"], built["spark"], table, key)
    assert problems == [], "\n".join(problems[:20])
    # and the comparison itself can fail: a changed value is reported
    assert _tamper_is_detected(built["duckdb"], tmp_path)


def _tamper_is_detected(db: Path, tmp_path: Path) -> bool:
    import duckdb

    copy = tmp_path / "tampered.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    con.execute(
        "UPDATE profiles SET revenue = revenue + 0.01 "
        "WHERE profile_id = (SELECT min(profile_id) FROM profiles WHERE revenue > 0)"
    )
    con.close()
    return bool(table_differences(db, copy, "profiles", ["profile_id"]))
