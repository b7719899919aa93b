"""The state one ``personae serve`` process holds: the workspace database, credentials,
the event log, the live updater and the profile serving store.

One process owns the workspace's DuckDB file for writing (DuckDB allows one writer
process); request handlers and the live updater each take their own cursor on that one
database instance, so reads see committed live updates at once.

Start-up order matters for crash safety: the log is opened first (cutting off a torn last
line), the serving store is rebuilt when it does not match the tables, and only then does
the live updater replay whatever the log holds beyond the last applied position.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
import orjson

from personae.identity.identifiers import Normaliser
from personae.web.auth import AuthStore
from personae.web.eventlog import EventLog
from personae.web.live import LiveUpdater
from personae.web.serving import ServingStore
from personae.web.tracking import RecentIds
from personae.workspace import Workspace

log = logging.getLogger(__name__)
STREAM_DIR = "stream"
ID_TYPES = (
    "profile_id", "user_id", "email", "phone", "anonymous_id", "crm_id", "device_id",
    "external_id", "social_handle", "response_id",
)  # fmt: skip


class Server:
    """Everything a request handler may need, opened once at start-up."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        live: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.workspace = workspace
        self.progress = progress
        self.auth = AuthStore(workspace.path)
        self.recent = RecentIds()
        self.with_live = live
        self._stack = ExitStack()
        self.db: duckdb.DuckDBPyConnection | None = None
        self.log: EventLog | None = None
        self.live: LiveUpdater | None = None
        self.serving = ServingStore(workspace.path)
        self.pseudonyms = workspace.pseudonymiser()

    @property
    def path(self) -> Path:
        return self.workspace.path

    def open(self) -> Server:
        self.db = self._stack.enter_context(self.workspace.connect())
        self.log = EventLog(self.path / STREAM_DIR).open()
        self._stack.callback(self.log.close)
        settings = self.workspace.config
        self.live = LiveUpdater(
            self.db.cursor(),
            self.log,
            self.serving,
            Normaliser(settings.identity),
            pseudonyms=self.pseudonyms,
        )
        self._refresh_serving()
        for line in _unapplied(self):
            self.recent.add(line)
        if self.with_live:
            self.live.start()
            self._stack.callback(self.live.stop)
        return self

    def batch_version(self) -> str:
        """Changes whenever a batch step (build, value, segment, personas, …) has run."""
        try:
            got = self.cursor().execute("SELECT max(finished_at) FROM runs").fetchone()[0]
        except duckdb.Error:
            got = None
        return str(got)

    def _refresh_serving(self) -> None:
        assert self.live is not None
        pos = self.live.position()
        version = self.batch_version()
        if (
            self.serving.meta("version") == version
            and self.serving.position() == f"{pos.segment}:{pos.line}"
        ):
            return
        if not _has_profiles(self.cursor()):
            return
        # a large workspace takes minutes (about 2 at a million profiles): say what is happening
        say = self.progress or (lambda msg: log.info("%s", msg))
        total = self.cursor().execute("SELECT count(*) FROM profiles").fetchone()[0]
        say(f"Building the serving store for {total:,} profiles (after each `personae run`)…")
        started = time.perf_counter()
        n = self.serving.rebuild(self.cursor(), version)
        self.serving.set_position(pos)
        say(f"Serving store ready: {n:,} profiles in {time.perf_counter() - started:.1f} s")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for the calling thread (DuckDB cursors are not shared)."""
        if self.db is None:
            raise RuntimeError("the server is not open")
        return self.db.cursor()

    def profile_document(self, id_type: str, id_value: str) -> dict[str, Any] | None:
        """The profile of any identifier, or None (see ``_profile_document_contract``)."""
        pseudonymous = self.pseudonyms is not None and id_type != "profile_id"
        if pseudonymous and not id_value.startswith("ps_"):  # look up by the value's pseudonym
            id_value = self.pseudonyms.token(id_type, self._normalise(id_type, id_value))
        value = id_value.strip()
        if id_type in ("email", "social_handle"):
            value = value.lower().removeprefix("@") if id_type == "social_handle" else value.lower()
        pid = self.serving.profile_id(id_type, value)
        if pid is None and id_type in ("email", "phone", "user_id", "anonymous_id", "crm_id"):
            pid = self.serving.profile_id(id_type, self._normalise(id_type, id_value))
        return None if pid is None else self.serving.document(pid)

    def _normalise(self, id_type: str, value: str) -> str:
        """The identity resolver's canonical form (plus-tags, dots, phone E.164)."""
        if id_type == "phone":
            from personae.identity.identifiers import parse_phone

            return parse_phone(value, self.workspace.config.identity.region) or value
        if id_type == "social_handle":
            return value.strip().lower().removeprefix("@")
        sql = Normaliser(self.workspace.config.identity).sql(id_type, "?")
        got = self.cursor().execute(f"SELECT {sql}", [value] * sql.count("?")).fetchone()
        return got[0] if got and got[0] else value

    def erase(self, id_type: str, value: str):
        """Erase a person while serving: live updates pause, the erasure runs on the
        server's own connection. The database file is compacted only by ``personae
        compact`` with the server stopped (compaction needs the file closed)."""
        from personae.governance.erase import erase_subject, verify_erased

        assert self.live is not None
        with self.live.lock:
            con = self.cursor()
            report = erase_subject(
                con, self.path, id_type, value, key=self.workspace.secret_key(),
                settings=self.workspace.config, verify=False,
            )  # fmt: skip
            report.searched = len(report.needles)
            found = verify_erased(con, self.path, report.needles, kinds=report.kinds)
        # the open database file still holds the deleted bytes until it is compacted; that is
        # reported as compacted=False, not as a finding
        db = self.workspace.database_path.name
        report.findings = [f for f in found if not (f.where == "file" and f.name.startswith(db))]
        report.notes.append(
            "the database file is compacted by `personae compact` with the server stopped"
        )
        return report

    def close(self) -> None:
        self._stack.close()
        self.db = None


def _has_profiles(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'profiles'"
        ).fetchone()[0]
    )


def _unapplied(server: Server) -> list[str]:
    """Message ids logged but not yet applied, so a retry of one is dropped at once."""
    assert server.live is not None and server.log is not None
    lines, _ = server.log.read(server.live.position(), 1_000_000)
    out = []
    for line in lines:
        try:
            mid = orjson.loads(line).get("messageId")
        except orjson.JSONDecodeError:
            continue
        if isinstance(mid, str):
            out.append(mid)
    return out


# -- contract for the pages ----------------------------------------------------------------
def _profile_document_contract() -> None:
    """``Server.profile_document(id_type, id_value) -> dict | None`` returns, for any
    identifier of a person (``("email", "a@b.com")``, ``("profile_id", "p…")``, …)::

        {"profile_id": str, "identifiers": [{"type": str, "value": str}],
         "traits": {name: value}, "computed": {name: value}, "value": {name: value},
         "segment": {"segment": int, "name": str, "role": str, "probability": float} | None,
         "persona": {"id": str, "title": str, "name": str} | None,
         "icp": {"fit_score": float, "fit_tier": str} | None,
         "recent_events": [{"type", "event", "name", "timestamp", "properties"}]}
    """
