"""The optional narrative through the persona builder, against a local OpenAI-compatible fake.

The fake answers from the facts it is sent: faithfully (the first facts, verbatim), or with
an invented figure. Faithful answers land in the documents; invented ones are rejected with
a warning and the template bio stays. With the narrative off, nothing is sent.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import duckdb
import pytest

from personae.config import NarrativeSettings, PersonaSettings
from personae.personas.build import PersonaBuilder


class _Fake(BaseHTTPRequestHandler):
    mode = "faithful"
    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        payload = json.loads(body["messages"][-1]["content"])
        facts = payload["facts"]
        if type(self).mode == "faithful":
            bio = " ".join(f.rstrip(".") + "." for f in facts[:3])
        else:
            bio = "She drives a Tesla and spends $9,999 a week on yoga retreats."
        answer = {"choices": [{"message": {"content": json.dumps({"bio": bio})}}], "model": "fake"}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def fake_llm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture
def segmented_copy(retail_5k, tmp_path):
    """A private copy of the segmented retail demo database (the build writes personas)."""
    ws, _ = retail_5k
    target = tmp_path / "copy.duckdb"
    with ws.connect() as con:
        con.execute("CHECKPOINT")
    shutil.copy(ws.database_path, target)
    con = duckdb.connect(str(target))
    yield con
    con.close()


def _settings(url: str | None) -> PersonaSettings:
    if url is None:
        return PersonaSettings()
    return PersonaSettings(narrative=NarrativeSettings(enabled=True, base_url=url, model="fake"))


@pytest.mark.slow
def test_faithful_narratives_are_accepted_and_stored(fake_llm, segmented_copy):
    _Fake.mode, _Fake.requests = "faithful", []
    result = PersonaBuilder(_settings(fake_llm)).build(segmented_copy)
    assert len(_Fake.requests) == len(result.personas)
    for p in result.personas:
        assert p.narrative is not None and p.narrative.checked, result.warnings
        assert p.narrative.model == "fake"
    # what was sent is the persona's facts, never records or identifiers
    sent = json.dumps(_Fake.requests)
    assert "@" not in sent and "record_ids" not in sent and "<svg" not in sent
    stored = segmented_copy.execute("SELECT document FROM personas WHERE current").fetchall()
    assert all(json.loads(d)["narrative"]["bio"] for (d,) in stored)


@pytest.mark.slow
def test_invented_figures_are_rejected_and_the_template_bio_stays(fake_llm, segmented_copy):
    _Fake.mode, _Fake.requests = "invent", []
    result = PersonaBuilder(_settings(fake_llm)).build(segmented_copy)
    assert result.personas and all(p.narrative is None for p in result.personas)
    assert len([w for w in result.warnings if "rejected" in w]) == len(result.personas)
    assert all(p.bio for p in result.personas)


@pytest.mark.slow
def test_nothing_is_sent_when_the_narrative_is_off(fake_llm, segmented_copy):
    _Fake.requests = []
    result = PersonaBuilder(_settings(None)).build(segmented_copy)
    assert result.personas and _Fake.requests == []
