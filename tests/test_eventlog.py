"""The tracking API's write-ahead log: group commit, durability, torn tails, segments."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import orjson
import pytest

from personae.web.eventlog import EventLog, Position, read_all, segment_name


def _line(i: int) -> bytes:
    return orjson.dumps({"messageId": f"m{i}", "type": "track", "event": "E"}) + b"\n"


def test_concurrent_appends_share_fsyncs_and_all_land(tmp_path: Path, monkeypatch) -> None:
    calls = []
    real = os.fdatasync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", counting)
    log = EventLog(tmp_path).open()

    async def send() -> None:
        await asyncio.gather(*(log.append([_line(i)]) for i in range(300)))

    asyncio.run(send())
    log.close()
    lines = read_all(tmp_path)
    assert sorted(orjson.loads(x)["messageId"] for x in lines) == sorted(
        f"m{i}" for i in range(300)
    )
    # every request waited for an fsync, but requests arriving together shared one
    assert 1 <= len(calls) < 300
    assert log.durable == Position(1, sum(len(_line(i)) for i in range(300)), 300)


def test_append_resolves_only_after_the_data_is_on_disk(tmp_path: Path) -> None:
    log = EventLog(tmp_path).open()

    async def send() -> bytes:
        await log.append([_line(1), _line(2)])
        return (tmp_path / segment_name(1)).read_bytes()

    on_disk = asyncio.run(send())
    log.close()
    assert on_disk == _line(1) + _line(2)


def test_open_cuts_a_torn_last_line_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / segment_name(1)
    path.write_bytes(_line(1) + _line(2) + b'{"messageId": "m3", "ty')
    log = EventLog(tmp_path).open()
    assert path.read_bytes() == _line(1) + _line(2)
    assert log.durable.line == 2

    async def send() -> None:
        await log.append([_line(4)])

    asyncio.run(send())
    log.close()
    assert [orjson.loads(x)["messageId"] for x in read_all(tmp_path)] == ["m1", "m2", "m4"]


def test_reading_follows_segments_in_order(tmp_path: Path) -> None:
    log = EventLog(tmp_path, segment_bytes=200).open()

    async def send() -> None:
        for i in range(20):
            await log.append([_line(i)])

    asyncio.run(send())
    assert len(list(tmp_path.glob("events-*.jsonl"))) > 2
    pos, got = Position(), []
    for _ in range(100):
        lines, pos = log.read(pos, max_lines=3)
        got += [orjson.loads(x)["messageId"] for x in lines]
        if pos >= log.durable:
            break
    log.close()
    assert got == [f"m{i}" for i in range(20)]


def test_a_closed_log_refuses_appends(tmp_path: Path) -> None:
    log = EventLog(tmp_path).open()
    log.close()

    async def send() -> None:
        await log.append([_line(1)])

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(send())
