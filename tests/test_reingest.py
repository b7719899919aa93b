"""A mapping can be corrected: the same file ingested again with another mapping replaces
what the first read wrote, so the workspace ends as if the file had been read right the
first time; ``--replace`` forces that; ``personae sources remove`` takes a source out.

Real DuckDB workspaces, the real CLI (typer's CliRunner). The fixture is a contacts export
in HubSpot's layout (Contacts > Export: "Record ID" first, then the view's properties by
their labels, dates as "YYYY-MM-DD HH:MM"; see tests/fixtures/exports/README.md), with
invented people.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personae import Workspace
from personae.cli import app
from personae.ingest.schema import KINDS

HEADER = "Record ID,First Name,Last Name,Email,Phone Number,Create Date,Lifecycle Stage\n"
ROWS = [
    "501,Ada,Quill,ada.quill@example.com,+44 7700 900101,2024-03-01 09:15,Customer\n",
    "502,Ben,Marsh,ben.marsh@example.org,+44 7700 900102,2024-03-02 10:20,\n",
    "503,Cleo,Dunn,cleo.dunn@example.net,+1 201-555-0123,2024-02-30 11:25,Lead\n",  # no Feb 30
    "504,Dev,Hart,dev.hart@example.net,+1 201-555-0144,2024-03-04 12:30,\n",
    "504,Dev,Hart,dev.hart@example.net,+1 201-555-0144,2024-03-04 12:30,\n",  # exported twice
    "505,Eve,Stone,eve.stone@example.com,+44 7700 900105,2024-03-05 13:35,Opportunity\n",
    "506,Finn,Ross,finn.ross@example.org,,2024-03-06 08:05,\n",
]
# A later export of the same view: two people again, one new.
MARCH = [
    ROWS[5],
    ROWS[6],
    "507,Gus,Lane,gus.lane@example.com,+44 7700 900107,2024-03-07 16:45,Lead\n",
]

# The mistake: first and last name swapped, the phone column taken for the email, and the
# lifecycle stage for the creation date (so contacts with a stage are rejected).
WRONG = ["email=Phone Number", "first_name=Last Name", "last_name=First Name",
         "created_at=Lifecycle Stage"]  # fmt: skip
RIGHT = ["created_at=Create Date"]  # the rest HubSpot's headers name themselves

# Columns that differ between two reads of the same rows by their nature: when and by
# which run they were written (and, in the ledger, how long it took and what it replaced).
INGEST_TIME = {
    "record": {"_ingested_at", "_run_id"},
    "quarantine": {"run_id", "quarantined_at"},
    "ingest_files": {"run_id", "seconds", "ingested_at", "replaced"},
    "ingest_decisions": {"run_id", "decided_at"},
}

runner = CliRunner()


def cli(*args: str) -> str:
    """The command's output, its lines joined (Rich wraps them at the terminal's width)."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def ingest(ws: Path, path: Path, mapping: list[str], *extra: str) -> str:
    maps = [a for m in mapping for a in ("--map", m)]
    return cli("ingest", "contacts", str(path), "-w", str(ws), *maps, *extra)


def _rows(ws: Path, table: str, drop: set[str]) -> list[tuple]:
    w = Workspace(ws)
    cols = [c for c in w.table(table).column_names if c not in drop]
    if not cols:
        return []
    listed = ", ".join(f'"{c}"' for c in cols)
    got = w.sql(f"SELECT {listed} FROM {table} ORDER BY ALL NULLS FIRST").to_pylist()
    return [tuple(r.items()) for r in got]


def state(ws: Path) -> dict[str, list[tuple]]:
    """Every record table, the quarantine, the ledger and the reading decisions, without
    the columns that say when a row was written."""
    out = {k.table: _rows(ws, k.table, INGEST_TIME["record"]) for k in KINDS.values()}
    for table in ("quarantine", "ingest_files", "ingest_decisions"):
        out[table] = _rows(ws, table, INGEST_TIME[table])
    return out


def scalar(ws: Path, sql: str):
    return Workspace(ws).sql(sql).to_pylist()[0]["n"]


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    f = tmp_path / "exports" / "hubspot-crm-exports-all-contacts-2024-03-08.csv"
    f.parent.mkdir()
    f.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    return f


def new_ws(tmp_path: Path, name: str) -> Path:
    cli("init", str(tmp_path / name))
    return tmp_path / name


def test_reingest_with_the_right_mapping_equals_a_fresh_ingest(tmp_path, export):
    fixed = new_ws(tmp_path, "fixed")
    ingest(fixed, export, WRONG)
    # the first read is wrong in the ways a wrong mapping is: fields land in the wrong
    # place, and rows are rejected for values that were never meant for the field
    assert scalar(fixed, "SELECT count(*) AS n FROM raw_contacts WHERE first_name = 'Marsh'")
    assert scalar(fixed, "SELECT count(*) AS n FROM raw_contacts WHERE email LIKE '+44%'")
    wrong_rows = scalar(fixed, "SELECT count(*) AS n FROM raw_contacts")
    wrong_rejected = scalar(fixed, "SELECT count(*) AS n FROM quarantine")
    assert wrong_rows and wrong_rejected

    out = ingest(fixed, export, RIGHT)
    assert f"replaced {wrong_rows} rows and {wrong_rejected} quarantine rows" in out
    assert "personae run" in out  # what is stale now, and how to rebuild it

    fresh = new_ws(tmp_path, "fresh")
    ingest(fresh, export, RIGHT)
    assert state(fixed) == state(fresh)
    # the fresh read is a real one: records, a rejected row and a duplicate
    got = state(fresh)
    assert len(got["raw_contacts"]) == 5 and len(got["quarantine"]) >= 1
    (entry,) = Workspace(fresh).table("ingest_files").to_pylist()
    assert (entry["rows_in"], entry["duplicates"]) == (len(ROWS), 1)
    (entry,) = Workspace(fixed).table("ingest_files").to_pylist()
    assert entry["replaced"] == wrong_rows


def test_the_same_mapping_again_adds_nothing_and_replaces_nothing(tmp_path, export):
    ws = new_ws(tmp_path, "ws")
    ingest(ws, export, RIGHT)
    before = state(ws)["raw_contacts"]
    out = ingest(ws, export, RIGHT)
    assert "replaced" not in out
    assert state(ws)["raw_contacts"] == before
    last = (
        Workspace(ws)
        .sql(
            "SELECT ingested, rejected, duplicates, replaced FROM ingest_files "
            "ORDER BY ingested_at DESC LIMIT 1"
        )
        .to_pylist()[0]
    )
    assert last["ingested"] == 0 and last["replaced"] == 0
    assert last["duplicates"] == len(ROWS) - last["rejected"]
    # naming the columns the fields already found is the same read, not another mapping
    out = ingest(ws, export, [*RIGHT, "email=Email", "first_name=First Name"])
    assert "replaced" not in out


def test_replace_flag_replaces_even_with_the_same_mapping(tmp_path, export):
    ws = new_ws(tmp_path, "ws")
    ingest(ws, export, RIGHT)
    once = state(ws)
    rows = len(once["raw_contacts"])
    out = ingest(ws, export, RIGHT, "--replace")
    assert f"replaced {rows} rows" in out and "--replace" in out
    assert state(ws) == once  # one ledger entry, as before: the old one went with its rows


def test_a_corrected_source_mapping_in_personae_toml_replaces_its_rows(tmp_path, export):
    """The mapping fixed in [sources.NAME.columns]; a second source's export holds two of
    the same people: duplicates across files are still found, and the records end as a
    fresh workspace's (a record another file also holds stays with that file)."""
    march = export.with_name("hubspot-crm-exports-all-contacts-2024-03-31.csv")
    march.write_text(HEADER + "".join(MARCH), encoding="utf-8")

    def block(columns: dict[str, str]) -> str:
        cols = "\n".join(f'{k} = "{v}"' for k, v in columns.items())
        return (
            f'\n[sources.crm]\nkind = "contacts"\npaths = ["{export}"]\n'
            f"[sources.crm.columns]\n{cols}\n"
            f'\n[sources.crm_march]\nkind = "contacts"\npaths = ["{march}"]\n'
            '[sources.crm_march.columns]\ncreated_at = "Create Date"\n'
        )

    wrong = dict(m.split("=", 1) for m in WRONG)
    right = dict(m.split("=", 1) for m in RIGHT)
    fixed, fresh = new_ws(tmp_path, "fixed"), new_ws(tmp_path, "fresh")
    config = fixed / "personae.toml"
    plain = config.read_text(encoding="utf-8")
    config.write_text(plain + block(wrong), encoding="utf-8")
    cli("ingest", "-w", str(fixed))
    config.write_text(plain + block(right), encoding="utf-8")
    out = cli("ingest", "-w", str(fixed))
    assert f"{export.name}: replaced" in out and f"{march.name}: replaced" not in out

    (fresh / "personae.toml").write_text(
        (fresh / "personae.toml").read_text(encoding="utf-8") + block(right), encoding="utf-8"
    )
    cli("ingest", "-w", str(fresh))
    lineage = INGEST_TIME["record"] | {"_source_file", "_source_row"}
    assert _rows(fixed, "raw_contacts", lineage) == _rows(fresh, "raw_contacts", lineage)
    assert state(fixed)["quarantine"] == state(fresh)["quarantine"]
    # 505 and 506 are in both exports: one record each, found again as duplicates
    assert scalar(fixed, "SELECT count(*) AS n FROM raw_contacts WHERE contact_id = '506'") == 1
    assert scalar(fresh, "SELECT sum(duplicates) AS n FROM ingest_files") == 3


def test_a_changed_file_appends_its_new_rows_and_keeps_the_earlier_ones(tmp_path, export):
    ws = new_ws(tmp_path, "ws")
    ingest(ws, export, RIGHT)
    before = scalar(ws, "SELECT count(*) AS n FROM raw_contacts")
    export.write_text(HEADER + "".join(ROWS) + MARCH[2], encoding="utf-8")
    out = ingest(ws, export, RIGHT)
    assert "replaced" not in out
    assert scalar(ws, "SELECT count(*) AS n FROM raw_contacts") == before + 1


def test_a_changed_file_read_otherwise_names_the_kept_rows_and_replace_fixes_them(tmp_path, export):
    fixed = new_ws(tmp_path, "fixed")
    ingest(fixed, export, WRONG)
    wrong_rows = scalar(fixed, "SELECT count(*) AS n FROM raw_contacts")
    export.write_text(HEADER + "".join(ROWS) + MARCH[2], encoding="utf-8")
    out = ingest(fixed, export, RIGHT)
    assert f"{wrong_rows} rows from earlier versions of this file" in out and "--replace" in out
    out = ingest(fixed, export, RIGHT, "--replace")
    assert "replaced" in out
    fresh = new_ws(tmp_path, "fresh")
    ingest(fresh, export, RIGHT)
    assert state(fixed) == state(fresh)


def test_sources_remove_takes_out_the_block_and_its_rows_only(tmp_path, export):
    ws = new_ws(tmp_path, "ws")
    march = export.with_name("march.csv")
    march.write_text(HEADER + MARCH[2], encoding="utf-8")
    config = ws / "personae.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "\n# --- the HubSpot export ---\n# my note on it\n"
        + f'[sources.hubspot]\nkind = "contacts"\npaths = ["{export}"]\n'
        + '[sources.hubspot.columns]\ncreated_at = "Create Date"\n# kept in _extra: stage\n'
        + "\n# --- the March export ---\n"
        + f'[sources.march]\nkind = "contacts"\npaths = ["{march}"]\n'
        + '[sources.march.columns]\ncreated_at = "Create Date"\n',
        encoding="utf-8",
    )
    before = config.read_text(encoding="utf-8")
    cli("ingest", "-w", str(ws))
    hub_rows = scalar(ws, f"SELECT count(*) AS n FROM raw_contacts WHERE _source_file = '{export}'")
    assert hub_rows and scalar(ws, "SELECT count(*) AS n FROM quarantine")

    out = cli("sources", "remove", "hubspot", "-w", str(ws))
    assert f"{hub_rows} rows" in out and "personae run" in out
    after = config.read_text(encoding="utf-8")
    assert "[sources.hubspot" not in after and export.name not in after
    assert "my note on it" not in after and "kept in _extra: stage" not in after
    assert "# --- the March export ---" in after  # the next block's banner stays
    settings = tomllib.loads(after)
    assert list(settings["sources"]) == ["march"]
    assert {k: v for k, v in settings.items() if k != "sources"} == {
        k: v for k, v in tomllib.loads(before).items() if k != "sources"
    }
    got = state(ws)
    assert [dict(r)["contact_id"] for r in got["raw_contacts"]] == ["507"]
    assert got["quarantine"] == []
    assert {dict(r)["source"] for r in got["ingest_files"]} == {"march"}
    assert {dict(r)["source"] for r in got["ingest_decisions"]} == {"march"}
    # the March source ingests as before; the HubSpot export's rows do not come back
    cli("ingest", "-w", str(ws))
    assert scalar(ws, "SELECT count(*) AS n FROM raw_contacts") == 1


def test_sources_remove_of_an_unknown_name_lists_the_known_ones(tmp_path, export):
    ws = new_ws(tmp_path, "ws")
    config = ws / "personae.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[sources.crm]\nkind = "contacts"\npaths = ["{export}"]\n',
        encoding="utf-8",
    )
    before = config.read_text(encoding="utf-8")
    result = runner.invoke(app, ["sources", "remove", "cmr", "-w", str(ws)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "'cmr'" in lines[0] and "crm" in lines[0] and "Traceback" not in result.output
    assert config.read_text(encoding="utf-8") == before


def test_a_source_declared_for_a_file_tried_on_the_command_line_replaces_that_read(
    tmp_path, export
):
    """The usual way to a fixed mapping: `personae ingest contacts FILE` first, then a
    [sources.NAME] with the right columns. The source owns the file from then on; a later
    command-line read of it is told where its mapping lives."""
    fixed = new_ws(tmp_path, "fixed")
    ingest(fixed, export, WRONG)
    source = (
        f'\n[sources.hubspot]\nkind = "contacts"\npaths = ["{export}"]\n'
        '[sources.hubspot.columns]\ncreated_at = "Create Date"\n'
    )
    config = fixed / "personae.toml"
    config.write_text(config.read_text(encoding="utf-8") + source, encoding="utf-8")
    assert "replaced" in cli("ingest", "-w", str(fixed))

    fresh = new_ws(tmp_path, "fresh")
    (fresh / "personae.toml").write_text(
        (fresh / "personae.toml").read_text(encoding="utf-8") + source, encoding="utf-8"
    )
    cli("ingest", "-w", str(fresh))
    assert state(fixed) == state(fresh)

    out = ingest(fixed, export, WRONG)
    assert "replaced" not in out and "[sources.hubspot.columns]" in out
    assert _rows(fixed, "raw_contacts", INGEST_TIME["record"]) == state(fresh)["raw_contacts"]


def test_a_workspace_made_before_content_hashes_reads_on(tmp_path, export):
    """Ledger entries without content or read hashes (an older workspace): a re-ingest
    finds the records again as duplicates and replaces nothing; --replace replaces them."""
    ws = new_ws(tmp_path, "ws")
    ingest(ws, export, RIGHT)
    once = state(ws)["raw_contacts"]
    w = Workspace(ws)
    with w.connect() as con:
        con.execute("UPDATE ingest_files SET content_hash = NULL, read_hash = NULL")
    assert "replaced" not in ingest(ws, export, RIGHT)
    assert state(ws)["raw_contacts"] == once
    assert f"replaced {len(once)} rows" in ingest(ws, export, RIGHT, "--replace")
    assert state(ws)["raw_contacts"] == once
    assert scalar(ws, "SELECT count(*) AS n FROM ingest_files") == 1
