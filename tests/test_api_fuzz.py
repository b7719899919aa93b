"""Schemathesis against ``/openapi.json`` of a real ``personae serve`` on loopback.

Every operation the OpenAPI document lists gets generated requests (valid and invalid
ones, bounded per operation so the suite stays fast): none may answer 5xx, and every
answer must be one the document declares, with the declared content type and body. The
served workspace is a copy of the 5k retail demo with personas, so the routes have data
behind them; erasures the fuzzer sends only touch that copy.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web_support import Served, copy_workspace, serve

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(served_retail: Served, retail_5k, tmp_path_factory) -> Iterator[Served]:
    """Its own served copy (``served_retail`` made the personas; others read that one)."""
    ws, _ = retail_5k
    copy = copy_workspace(ws.path, tmp_path_factory.mktemp("fuzzed") / "ws")
    with serve(copy) as s:
        yield s


_TRACKING = {"identify", "track", "page", "screen", "group", "alias", "batch"}
_TRACKING |= {"i", "t", "p", "s", "g", "a", "b"}
EXAMPLES = 20  # per operation and mode: about 1,000 requests in all


def _auth(s: Served, path: str) -> dict[str, str]:
    if path.startswith("/v1/") and path.split("/")[2] in _TRACKING:
        key = base64.b64encode(f"{s.keys['writer']}:".encode()).decode()
        return {"Authorization": f"Basic {key}"}
    return {"Authorization": f"Bearer {s.keys['admin']}"}


def _runner(s: Served, op, mode: GenerationMode, *, keyed: bool = True, examples: int = EXAMPLES):
    headers = _auth(s, op.path) if keyed else {}

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=op.as_strategy(mode))
    def run(case) -> None:
        case.call_and_validate(base_url=s.url, headers=headers, checks=CHECKS, timeout=60)

    return run


def test_no_5xx_and_only_documented_answers(fuzzed: Served) -> None:
    """Valid and invalid requests for every operation. (Schemathesis' pytest plugin does
    not load on pytest 9, so the operations are walked here, one hypothesis run each.)"""
    api = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    failures: list[str] = []
    for op in operations:
        runs = {
            "valid": _runner(fuzzed, op, GenerationMode.POSITIVE),
            "invalid": _runner(fuzzed, op, GenerationMode.NEGATIVE),
            "without a key": _runner(fuzzed, op, GenerationMode.POSITIVE, keyed=False, examples=5),
        }
        for what, run in runs.items():
            try:
                run()
            except Unsatisfiable:  # no invalid request exists (e.g. a free-text path part)
                continue
            except Exception as exc:  # collect every operation's failure, then report all
                first = str(exc).strip().splitlines()[:12]
                failures.append(f"{op.label} ({what}):\n  " + "\n  ".join(first))
    assert not failures, "\n\n".join(failures)
