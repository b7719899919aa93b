"""Subject-access export: everything held on one demo person, judged against the demo's
ground truth (which records belong to whom), from a read-only connection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from personae import Workspace
from personae.governance.export import export_subject
from tests.helpers import read_truth, stored_records

RAW = (
    "raw_contacts", "raw_orders", "raw_events", "raw_email_events", "raw_survey_responses",
    "raw_tickets", "raw_reviews", "raw_social_posts",
)  # fmt: skip


def _truth_owner(data: Path) -> dict[tuple[str, int], str]:
    return {
        (r["source_file"], int(r["source_row"])): r["person_id"]
        for r in read_truth(data, "records.csv")
    }


def _busiest_person(ws: Workspace, owner: dict[tuple[str, int], str]) -> tuple[str, str, list]:
    """The person with records in the most source kinds (then the most records) whose
    stored records all resolve to one profile; their profile and stored record keys."""
    stored, linked = stored_records(ws, RAW)
    mine: dict[str, list[tuple[str, int]]] = {}
    for key, person in owner.items():
        if key in stored:
            mine.setdefault(person, []).append(key)
    best = None
    for person, keys in sorted(mine.items()):
        profiles = {linked.get(k) for k in keys}
        if len(profiles) != 1 or None in profiles:
            continue
        rank = (len({stored[k] for k in keys}), len(keys))
        if best is None or rank > best[0]:
            best = (rank, person, profiles.pop(), keys)
    assert best is not None
    return best[1], best[2], best[3]


def test_export_holds_every_record_of_the_person_and_nobody_else(retail_5k, tmp_path: Path):
    ws, data = retail_5k
    owner = _truth_owner(data)
    person, profile_id, keys = _busiest_person(ws, owner)
    with ws.connect(read_only=True) as con:
        phone, email = con.execute(
            "SELECT phone, email FROM profiles WHERE profile_id = ?", [profile_id]
        ).fetchall()[0]
        # asked by an identifier written differently from every record
        id_type, value = ("email", f" {email.upper()} ") if email else ("phone", phone)
        first = export_subject(con, ws.path, id_type, value, tmp_path / "a")
        again = export_subject(con, ws.path, id_type, value, tmp_path / "b")
        quarantined = con.execute("SELECT source_file, source_row, raw FROM quarantine").fetchall()

    doc = json.loads(first.json_path.read_text(encoding="utf-8"))
    assert doc["found"] and doc["subject"]["profile_ids"] == [profile_id]
    assert [r["profile_id"] for r in doc["profile"]["profiles"]] == [profile_id]
    exported = {
        (Path(r["_source_file"]).name, r["_source_row"])
        for rows in doc["records"].values()
        for r in rows
    }
    # every record the workspace stores of theirs is in the export …
    assert set(keys) <= exported, sorted(set(keys) - exported)[:5]
    # … and no record of anyone else
    assert {owner.get(k, person) for k in exported} == {person}
    # their rejected rows that name them are there too
    mine_rejected = {
        (Path(f).name, r)
        for f, r, raw in quarantined
        if owner.get((Path(f).name, r)) == person and email and email.lower() in raw.lower()
    }
    got_rejected = {
        (Path(r["source_file"]).name, r["source_row"]) for r in doc["other"].get("quarantine", [])
    }
    assert mine_rejected <= got_rejected
    assert {owner.get(k, person) for k in got_rejected} <= {person}
    # their words, scores and segment
    assert doc["text"].get("text_docs") is None or all(
        d["profile_id"] == profile_id for d in doc["text"]["text_docs"]
    )
    assert doc["scores"]["value_scores"][0]["profile_id"] == profile_id
    assert doc["segment"]["segments"][0]["entity_id"] == profile_id
    assert {i["type"] for i in doc["subject"]["identifiers"]} >= {"email"}

    # one CSV per table, with the rows of the document
    for table, path in first.csv_paths.items():
        with open(path, newline="", encoding="utf-8") as fh:
            assert sum(1 for _ in csv.reader(fh)) - 1 == first.counts[table]
    assert sorted(doc["files"]) == sorted(p.name for p in first.csv_paths.values())
    # deterministic: the same request gives byte-identical files
    for path in [first.json_path, *first.csv_paths.values()]:
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    assert again.counts == first.counts


def test_export_includes_rejected_rows_that_name_the_person(retail_5k, tmp_path: Path) -> None:
    ws, data = retail_5k
    owner = _truth_owner(data)
    with ws.connect(read_only=True) as con:
        known = {
            v
            for (v,) in con.execute(
                "SELECT id_value FROM identity_map WHERE id_type = 'email' AND status = 'linked'"
            ).fetchall()
        }
        rejected = con.execute(
            "SELECT source_file, source_row, regexp_extract(lower(raw), "
            "'[a-z0-9._+-]+@[a-z0-9.-]+[.][a-z]+') FROM quarantine ORDER BY ALL"
        ).fetchall()
        pick = next(
            (Path(f).name, r, e)
            for f, r, e in rejected
            if e in known and (Path(f).name, r) in owner
        )
        got = export_subject(con, ws.path, "email", pick[2], tmp_path)
    doc = json.loads(got.json_path.read_text(encoding="utf-8"))
    rows = {(Path(r["source_file"]).name, r["source_row"]) for r in doc["other"]["quarantine"]}
    assert pick[:2] in rows
    assert {owner.get(k, owner[pick[:2]]) for k in rows} == {owner[pick[:2]]}


def test_export_of_an_unknown_person_says_so(retail_5k, tmp_path: Path) -> None:
    ws, _ = retail_5k
    with ws.connect(read_only=True) as con:
        got = export_subject(con, ws.path, "email", "nobody.at.all@mailbox.test", tmp_path)
    doc = json.loads(got.json_path.read_text(encoding="utf-8"))
    assert not got.found and doc["found"] is False
    assert doc["files"] == [] and got.csv_paths == {}
    assert [p.name for p in tmp_path.iterdir()] == ["subject.json"]
