"""The live identity rules, on hand-made rows (the served tests check them end to end)."""

from __future__ import annotations

from personae.web.live import _Row, profile_id_for, resolve_rows


def _row(n: int, kind: str = "track", prev: str | None = None, **ids: str) -> _Row:
    order = ("user_id", "email", "anonymous_id")
    return _Row(n, kind, [(t, ids[t]) for t in order if t in ids], prev)


def test_unknown_visitor_gets_a_new_profile_that_later_rows_reuse() -> None:
    rows = [_row(1, "page", anonymous_id="a1"), _row(2, "page", anonymous_id="a1")]
    assigned, added, merges, created = resolve_rows(rows, {}, set())
    pid = profile_id_for("anonymous_id", "a1")
    assert assigned == {1: pid, 2: pid}
    assert added == {("anonymous_id", "a1"): pid}
    assert created == {pid} and merges == {}


def test_login_merges_the_anonymous_profile_into_the_known_customer() -> None:
    known = {("user_id", "C1"): "pC1", ("anonymous_id", "a1"): "pAnon"}
    rows = [_row(1, "identify", user_id="C1", anonymous_id="a1", email="c1@shop.test")]
    assigned, added, merges, created = resolve_rows(rows, dict(known), {"pC1"})
    assert assigned == {1: "pC1"}
    assert merges == {"pAnon": "pC1"}
    assert added == {("email", "c1@shop.test"): "pC1"}
    assert not created


def test_two_named_customers_on_one_device_are_not_fused() -> None:
    known = {("user_id", "C1"): "pC1", ("user_id", "C2"): "pC2", ("anonymous_id", "tablet"): "pC1"}
    rows = [_row(1, "identify", user_id="C2", anonymous_id="tablet")]
    assigned, added, merges, _ = resolve_rows(rows, dict(known), {"pC1", "pC2"})
    assert assigned == {1: "pC2"} and merges == {} and added == {}


def test_alias_merges_the_previous_id_and_a_new_user_claims_a_fresh_visitor() -> None:
    rows = [
        _row(1, "page", anonymous_id="a9"),
        _row(2, "alias", prev="a9", user_id="NEW"),
        _row(3, "track", user_id="NEW"),
    ]
    assigned, added, merges, created = resolve_rows(rows, {}, set())
    visitor = profile_id_for("anonymous_id", "a9")
    assert set(assigned.values()) == {visitor}
    assert added[("user_id", "NEW")] == visitor
    assert created == {visitor} and merges == {}


def test_merges_chain_to_the_final_profile() -> None:
    known = {("anonymous_id", "a1"): "pA", ("anonymous_id", "a2"): "pB", ("user_id", "C"): "pC"}
    rows = [
        _row(1, "identify", email="x@shop.test", anonymous_id="a1"),
        _row(2, "page", email="x@shop.test", anonymous_id="a2"),
        _row(3, "identify", user_id="C", email="x@shop.test"),
    ]
    assigned, added, merges, _ = resolve_rows(rows, dict(known), {"pC"})
    assert merges == {"pB": "pC", "pA": "pC"} or merges == {"pA": "pC", "pB": "pC"}
    assert set(assigned.values()) == {"pC"}
    assert added == {("email", "x@shop.test"): "pC"}
