"""The tracking API's write-ahead log: fsync'd JSON Lines segments in ``stream/``.

An event is durable when its line is on disk, not when it is in DuckDB: DuckDB commits
cost milliseconds each and one writer does them, which would cap the API far below the
rate a site sends. So a request appends its messages here and waits for the next *group
commit* (one ``write`` + ``fdatasync`` for every request that arrived meanwhile), then
answers 200. The live updater (``live.py``) moves lines into the workspace tables in
batches, recording in the same DuckDB transaction how far it got, so a crash at any point
loses nothing and applies nothing twice.

Segments are named ``events-00000001.jsonl``; a new one starts past ``segment_bytes``. A
crash can leave a partial last line (its request never got a 200); :meth:`EventLog.open`
cuts it off.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass
from pathlib import Path

SEGMENT_BYTES = 64 * 1024 * 1024
_PREFIX = "events-"
_SUFFIX = ".jsonl"


@dataclass(frozen=True, order=True)
class Position:
    """A place in the log: segment number, byte offset and line number within it."""

    segment: int = 1
    offset: int = 0
    line: int = 0


def segment_name(segment: int) -> str:
    return f"{_PREFIX}{segment:08d}{_SUFFIX}"


def _segments(folder: Path) -> list[int]:
    out = []
    for p in folder.glob(f"{_PREFIX}*{_SUFFIX}"):
        try:
            out.append(int(p.name[len(_PREFIX) : -len(_SUFFIX)]))
        except ValueError:
            continue
    return sorted(out)


class _Group:
    """Lines waiting for the same fsync, and the future their requests await."""

    __slots__ = ("future", "lines")

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.lines: list[bytes] = []
        self.future = future


class EventLog:
    """Append-only log with group commit. ``append`` is awaited from the event loop."""

    def __init__(self, folder: str | Path, *, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = Path(folder)
        self.segment_bytes = segment_bytes
        self._lock = threading.Condition()
        self._group: _Group | None = None
        self._closing = False
        self._fh = None
        self._segment = 1
        self._size = 0
        self._durable = Position()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.appended = 0

    # -- life cycle -----------------------------------------------------------------------
    def open(self) -> EventLog:
        """Open the newest segment for appending, cutting off a torn last line."""
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = _segments(self.folder)
        self._segment = existing[-1] if existing else 1
        path = self.folder / segment_name(self._segment)
        if path.exists():
            data = path.read_bytes()
            keep = data.rfind(b"\n") + 1
            if keep < len(data):
                with open(path, "r+b") as fh:
                    fh.truncate(keep)
                    os.fsync(fh.fileno())
            lines = data.count(b"\n", 0, keep)
            self._size = keep
        else:
            lines = 0
            self._size = 0
        self._fh = open(path, "ab", buffering=0)  # noqa: SIM115 - held open for the log's life
        self._durable = Position(self._segment, self._size, lines)
        self._thread = threading.Thread(target=self._writer, name="eventlog-writer", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join()
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    @property
    def durable(self) -> Position:
        """Everything before this position is on disk."""
        return self._durable

    # -- appending ------------------------------------------------------------------------
    def append(self, lines: list[bytes]) -> asyncio.Future[None]:
        """Queue lines (each ending in a newline); await the result for durability.

        Called on the event loop thread; the returned future resolves after the fsync that
        covers these lines (or raises if writing failed).
        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        with self._lock:
            if self._closing:
                raise RuntimeError("the event log is closed")
            if self._group is None:
                self._group = _Group(loop.create_future())
                self._lock.notify()
            self._group.lines.extend(lines)
            self.appended += len(lines)
            return self._group.future

    def _writer(self) -> None:
        while True:
            with self._lock:
                while self._group is None and not self._closing:
                    self._lock.wait()
                group, self._group = self._group, None
                if group is None:
                    return
            error: BaseException | None = None
            try:
                self._write(group.lines)
            except BaseException as exc:  # resolved into every waiting request
                error = exc
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, group.future, error)

    def _write(self, lines: list[bytes]) -> None:
        assert self._fh is not None
        data = b"".join(lines)
        if self._size and self._size + len(data) > self.segment_bytes:
            self._fh.close()
            self._segment += 1
            self._size = 0
            self._fh = open(self.folder / segment_name(self._segment), "ab", buffering=0)  # noqa: SIM115
            self._durable = Position(self._segment, 0, 0)
            _fsync_dir(self.folder)
        view = memoryview(data)
        while view:
            written = self._fh.write(view)
            view = view[written:]
        os.fdatasync(self._fh.fileno())
        self._size += len(data)
        self._durable = Position(self._segment, self._size, self._durable.line + len(lines))

    # -- reading --------------------------------------------------------------------------
    def read(self, start: Position, max_lines: int = 20_000) -> tuple[list[bytes], Position]:
        """Complete, durable lines from ``start`` (within one segment) and where they end.

        A caller at the end of a segment that is no longer the newest moves on to the next.
        """
        durable = self._durable
        if start.segment < durable.segment:
            end = None  # an older segment is complete
        elif start.segment == durable.segment:
            end = durable.offset
        else:
            return [], start
        path = self.folder / segment_name(start.segment)
        with open(path, "rb") as fh:
            fh.seek(start.offset)
            data = fh.read() if end is None else fh.read(max(0, end - start.offset))
        if not data:
            if end is None:
                return self.read(Position(start.segment + 1, 0, 0), max_lines)
            return [], start
        lines = data.split(b"\n")
        lines.pop()  # the (empty or partial) rest after the last newline
        lines = lines[:max_lines]
        used = sum(len(x) + 1 for x in lines)
        return lines, Position(start.segment, start.offset + used, start.line + len(lines))


def _resolve(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_all(folder: str | Path) -> list[bytes]:
    """Every complete line in the log (for tests and recovery checks)."""
    out: list[bytes] = []
    for seg in _segments(Path(folder)):
        data = (Path(folder) / segment_name(seg)).read_bytes()
        keep = data.rfind(b"\n") + 1
        out.extend(x for x in data[:keep].split(b"\n") if x)
    return out
