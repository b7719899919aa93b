"""Pseudonymisation: no readable identifier or name is stored, identities resolve the same.

The same demo files are ingested twice, plainly and with ``pseudonymise = true``; the
pseudonymised workspace must hold none of the people's emails, phones or names outside
the vault, and identity resolution must group exactly the same records into profiles.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from personae import Workspace
from personae.governance.pseudonyms import reveal
from personae.pipeline import demo_sources
from tests.web_support import serve

pytestmark = pytest.mark.slow

FREE_TEXT = {"body", "text", "answer", "question", "subject", "title", "raw", "detail"}


def _workspace(data: Path, folder: Path, pseudonymise: bool) -> Workspace:
    ws = Workspace.init(folder)
    cfg = folder / "personae.toml"
    cfg.write_text(
        cfg.read_text().replace(
            "pseudonymise = false", f"pseudonymise = {str(pseudonymise).lower()}"
        )
    )
    ws = Workspace(folder)
    for name, kind, patterns in demo_sources(data, data):
        ws.add_source(name, kind, [str(data / p) for p in patterns])
    ws.ingest()
    ws.build()
    return ws


@pytest.fixture(scope="module")
def pair(retail_data: Path, tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("pseudonyms")
    return _workspace(retail_data, base / "plain", False), _workspace(
        retail_data, base / "pseudo", True
    )


def _text_columns(ws: Workspace) -> list[tuple[str, str]]:
    rows = ws.sql(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE (table_name LIKE 'raw_%' OR table_name IN ('profiles', 'identity_map')) "
        "AND data_type IN ('VARCHAR', 'JSON')"
    ).to_pylist()
    return [(r["table_name"], r["column_name"]) for r in rows if r["column_name"] not in FREE_TEXT]


def test_no_readable_identifier_or_name_is_stored_outside_the_vault(pair) -> None:
    plain, pseudo = pair
    people = plain.sql(
        "SELECT lower(email) AS email, phone, first_name, last_name FROM profiles "
        "WHERE email IS NOT NULL AND last_name IS NOT NULL"
    ).to_pylist()
    assert len(people) > 500
    # names alone are common words ("Page", "Lincoln"): full names, and the name columns
    # are checked for tokens below
    needles = sorted(
        {p["email"] for p in people} | {p["phone"] for p in people if p["phone"]}
        | {f"{p['first_name']} {p['last_name']}" for p in people}
    )  # fmt: skip
    found = []
    with pseudo.connect() as con:
        con.execute(
            "CREATE TEMP TABLE _needles AS SELECT DISTINCT lower(unnest(?)) AS v", [needles]
        )
        for table, column in _text_columns(pseudo):
            # a whole value, or any quoted string inside a JSON value, that is a needle
            # (equality joins: a scan of every row against every needle took minutes)
            text = f'lower(CAST(t."{column}" AS VARCHAR))'
            hits = con.execute(
                f'SELECT count(*) FROM (SELECT {text} AS v FROM "{table}" t UNION ALL '
                f'SELECT unnest(regexp_extract_all({text}, \'"([^"]*)"\', 1)) FROM "{table}" t '
                f"WHERE contains({text}, '\"')) x JOIN _needles USING (v)"
            ).fetchone()[0]
            if hits:
                found.append((table, column, hits))
        vault = con.execute("SELECT count(*) FROM vault").fetchone()[0]
        for table in ("raw_contacts", "profiles"):
            plain_names = con.execute(
                f"SELECT count(*) FROM {table} WHERE NOT starts_with(first_name, 'ps_') "
                "OR NOT starts_with(last_name, 'ps_')"
            ).fetchone()[0]
            assert plain_names == 0, f"{table} holds {plain_names} readable names"
        in_traits = con.execute(
            "SELECT count(*) FROM raw_events WHERE NOT starts_with("
            "coalesce(json_extract_string(traits, '$.firstName'), 'ps_'), 'ps_')"
        ).fetchone()[0]
        assert in_traits == 0
    assert not found, f"readable personal data outside the vault: {found[:5]}"
    assert vault > 1000
    # the control: the plain workspace is full of them
    with plain.connect() as con:
        n = con.execute(
            "SELECT count(*) FROM raw_contacts WHERE lower(email) IN (SELECT unnest(?))",
            [[p["email"] for p in people]],
        ).fetchone()[0]
    assert n > 500


def test_identity_resolution_groups_the_same_records(pair) -> None:
    plain, pseudo = pair

    def groups(ws: Workspace) -> set[frozenset[tuple[str, str, int]]]:
        rows = ws.sql(
            "SELECT profile_id, source_kind, source_file, source_row FROM record_profiles "
            "WHERE profile_id IS NOT NULL"
        ).to_pylist()
        by: dict[str, set] = {}
        for r in rows:
            by.setdefault(r["profile_id"], set()).add(
                (r["source_kind"], Path(r["source_file"]).name, r["source_row"])
            )
        return {frozenset(v) for v in by.values()}

    a, b = groups(plain), groups(pseudo)
    assert len(a) > 1000
    same = len(a & b) / len(a)
    assert same > 0.99, f"only {same:.1%} of profiles are the same records"


def test_admins_read_the_vault_and_lookups_take_readable_values(pair, tmp_path) -> None:
    plain, pseudo = pair
    person = plain.sql(
        "SELECT lower(email) AS email, user_id FROM profiles WHERE email IS NOT NULL "
        "AND user_id IS NOT NULL ORDER BY profile_id LIMIT 1"
    ).to_pylist()[0]
    with pseudo.connect() as con:
        token = con.execute(
            "SELECT email FROM profiles WHERE user_id = ?",
            [pseudo.pseudonymiser().token("user_id", person["user_id"])],
        ).fetchone()[0]
        assert token.startswith("ps_")
        assert reveal(con, [token]) == {token: person["email"]}
    with serve(pseudo.path) as s:
        analyst = {"Authorization": f"Bearer {s.keys['analyst']}"}
        admin = {"Authorization": f"Bearer {s.keys['admin']}"}
        r = requests.get(f"{s.url}/v1/profiles/email:{person['email'].upper()}", headers=analyst)
        assert r.status_code == 200 and r.json()["traits"]["email"] == token
        assert person["email"] not in r.text
        assert requests.get(f"{s.url}/v1/vault/{token}", headers=analyst).status_code == 403
        r = requests.get(f"{s.url}/v1/vault/{token}", headers=admin)
        assert r.status_code == 200 and r.json()["value"] == person["email"]
    from personae.governance.audit import AuditLog

    assert AuditLog(pseudo.path).entries("vault_read")[0]["target"] == token
