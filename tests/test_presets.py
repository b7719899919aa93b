"""Vendor presets: each fixture, laid out as the vendor documents the export, is recognised
with the right kind and mapping with no config, and ingests with every row accounted for.

The fixtures and where each layout comes from: tests/fixtures/exports/README.md.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from personae import Workspace
from personae.ingest.discover import discover
from personae.ingest.discover.expect import expectation
from personae.ingest.discover.fit import content_fit
from personae.ingest.discover.presets import preset_columns, presets
from personae.ingest.schema import normalise_header

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
DOCS = Path(__file__).parent.parent / "docs"


def _fixtures() -> dict[str, list[str]]:
    """preset -> its fixtures, from each vendor folder's ``expected.toml`` (``"file" =
    "preset"``): a folder per vendor, so adding a vendor touches no shared list."""
    out: dict[str, list[str]] = {}
    for listing in sorted(EXPORTS.glob("*/expected.toml")):
        for file, preset in tomllib.loads(listing.read_text("utf-8")).items():
            out.setdefault(preset, []).append(f"{listing.parent.name}/{file}")
    return out


# preset -> its fixtures (a second, differently shaped one where the layout varies)
FIXTURES = _fixtures()
CASES = [(name, f) for name, files in FIXTURES.items() for f in files]


def test_every_preset_has_a_fixture_and_a_docs_section():
    names = {p.name for p in presets()}
    assert names == set(FIXTURES), "list the preset's fixture in its folder's expected.toml"
    docs = (DOCS / "input-data.md").read_text(encoding="utf-8")
    readme = (EXPORTS / "README.md").read_text(encoding="utf-8")
    for p in presets():
        assert p.title in docs, f"docs/input-data.md has no section for {p.title}"
        for f in FIXTURES[p.name]:
            own = EXPORTS / f.split("/")[0] / "README.md"  # a vendor folder may have its own
            text = readme + (own.read_text(encoding="utf-8") if own.exists() else "")
            assert f.split("/")[-1] in text, f"no README in tests/fixtures/exports describes {f}"


def test_preset_files_are_consistent():
    for p in presets():
        assert p.docs, f"{p.name}: name the vendor's documentation"
        listed = {normalise_header(h) for h in (*p.required, *p.optional)}
        for field, headers in p.columns.items():
            # a mapped header is one the layout documents (alternatives may follow it)
            assert any(normalise_header(h) in listed for h in headers), (p.name, field)


@pytest.mark.parametrize(("preset", "fixture"), CASES)
def test_fixture_is_recognised_with_kind_and_mapping(preset: str, fixture: str):
    path = EXPORTS / fixture
    (plan,) = discover([path]).sources
    d = plan.decision
    p = next(x for x in presets() if x.name == preset)
    assert d.preset is not None and d.preset.name == preset
    assert d.kind == p.kind
    assert not [q for q in d.questions if q.blocking]
    expected = preset_columns(p, d.columns)
    assert expected, "the fixture has none of the preset's columns"
    assert {f: c.column for f, c in d.mapping.items() if f in expected} == expected
    # the values under each mapped header look like the field (the layout was read right);
    # a column feeding two fields (Google Forms' Timestamp also stands for the missing
    # response id) must look like at least one of them
    fields_of: dict[str, list[str]] = {}
    for field, column in expected.items():
        fields_of.setdefault(column, []).append(field)
    for column, fields in fields_of.items():
        prof = next(x for x in d.profiles if x.name == column)
        if not prof.non_null:
            continue
        fits = [(content_fit(prof, e), e) for e in (expectation(p.kind, f) for f in fields)]
        assert any(fit >= e.floor for (fit, _), e in fits), (
            f"{fixture}: {column!r} as {fields}: {[why for (_, why), _ in fits]}"
        )


@pytest.mark.parametrize(("preset", "fixture"), CASES)
def test_fixture_ingests_with_every_row_accounted_for(preset: str, fixture: str, tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    found = ws.add_files([EXPORTS / fixture])
    assert not found.blocking
    report = ws.ingest()
    (f,) = report.files
    assert f.conserved
    # every row is kept: a layout that gives a record's own fields on its first row only
    # (row_shape fill_down) has them filled down over the record's other rows at ingest
    assert f.rejected == 0, ws.quarantine().to_pylist()[:3]
    assert f.ingested + f.duplicates == f.rows_in
