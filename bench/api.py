"""Benchmark: ``personae serve`` — tracking throughput and profile API latency, over loopback.

    .venv/bin/python bench/api.py                     # 1,000,000 profiles, 15 s per load
    .venv/bin/python bench/api.py --quick             # smoke run: 50,000 profiles, 5 s loads
    .venv/bin/python bench/api.py --json out.json     # also write the results as JSON

The load generator is ``wrk`` (Debian's, driven by ``bench/api_wrk.lua``), a separate
process from the server, which runs as ``python -m personae.cli serve WORKSPACE --port P``
exactly as a user starts it; the script waits for ``/v1/health``, runs a load, and stops the
server with SIGINT. Three loads:

1. **track** — single-event ``POST /v1/track`` requests (Segment write-key Basic auth, a
   ~600-byte track call, every request its own ``messageId``); requests/s, p50, p99.
2. **batch** — ``POST /v1/batch`` with ``--batch-size`` (100) such events per request;
   events/s, p50, p99 per request.
3. **profile** — ``GET /v1/profiles/{type}:{value}`` with ``--connections`` (32) concurrent
   connections for random existing identifiers (a third each user id, email and profile id)
   of a workspace with ``--profiles`` profiles; p50/p95/p99 and requests/s.

Tracking runs with the live updater on (the default and real configuration: the same
process applies the log to DuckDB while it answers), and as the **baseline** with
``--no-live`` (the request path alone: parse, check, group-commit fsync). After each
tracking load the script waits until the live updater has applied the whole log
(``/v1/health`` lag 0), then, with the server stopped, counts the load's messages in the log
and in ``raw_events`` (rows from ``stream/``): every 200 must be stored exactly once. wrk stops
mid-flight, so requests it had sent but not seen answered may also be stored; the check is
``ok <= stored <= sent`` (in events) with no message id twice.

The workspace for (3) is the 5,000-customer demo workspace (``demo-workspace/``, or one built
with ``personae demo``) copied and multiplied in DuckDB SQL: profiles, identity map, value
scores, segments and ICP scores are replicated with fresh ids (``profile_id-k``, identifiers
suffixed ``-k``; emails before the ``@``) up to ``--profiles``. Raw events are not copied, so
only the original profiles have recent events. The copy is kept in ``bench/out/api/`` for
re-runs; its ``serving.sqlite`` is deleted before each run so that ``serve`` rebuilds it, and
that start-up is timed. Each profile load follows a warm-up of up to 5 s (not recorded:
the fresh 5 GB store is read into the page cache). The baseline row is the same load on the
unmultiplied demo. The "load" column is the machine's 1-minute load average just before the
load (the machine is shared; the server and wrk themselves account for about 1-2).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from personae.web.auth import AuthStore  # noqa: E402
from personae.web.serving import SERVING_FILE  # noqa: E402

OUT = ROOT / "bench" / "out" / "api"
LUA = ROOT / "bench" / "api_wrk.lua"
DEMO = ROOT / "demo-workspace"
console = Console(width=150)


@dataclass
class Row:
    """One load's result (one table row)."""

    load: str
    config: str
    profiles: int | None
    connections: int
    seconds: float
    requests_per_s: float
    events_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    ok: int
    non_200: int
    socket_errors: int
    sent: int
    events_ok: int = 0
    events_sent: int = 0
    logged: int | None = None
    stored: int | None = None
    stored_distinct: int | None = None
    drain_s: float | None = None
    load_before: float | None = None
    notes: list[str] = field(default_factory=list)


# -- workspaces -----------------------------------------------------------------------------
def base_workspace(path: Path | None) -> Path:
    """The 5,000-customer demo workspace to copy (built with ``personae demo`` if missing)."""
    if path is not None:
        return path
    if (DEMO / "personae.duckdb").exists():
        return DEMO
    built = OUT / "demo-5000"
    if not (built / "personae.duckdb").exists():
        console.print(f"building the demo workspace in {built} (~45 s)")
        subprocess.run(
            [sys.executable, "-m", "personae.cli", "demo", "--customers", "5000", "--out",
             str(built)],
            check=True,
        )  # fmt: skip
    return built


def copy_workspace(base: Path, target: Path) -> Path:
    """A fresh copy of the settings and the database (no keys, log or serving store)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("personae.toml", "personae.duckdb", "personae.duckdb.wal"):
        if (base / name).exists():
            shutil.copy(base / name, target / name)
    return target


def multiply(ws: Path, profiles: int) -> dict[str, Any]:
    """Replicate the workspace's profiles (and what the serving store reads) to ``profiles``.

    Copy k of profile p is ``p-k``; its identifiers get ``-k`` (before the ``@`` for emails),
    and its value scores, segment and ICP score are the original's. Returns the counts.
    """
    con = duckdb.connect(str(ws / "personae.duckdb"))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            "CREATE TEMP TABLE _rank AS SELECT profile_id, "
            "row_number() OVER (ORDER BY profile_id) - 1 AS r FROM profiles"
        )
        n = con.execute("SELECT count(*) FROM _rank").fetchone()[0]
        copies = max(1, -(-profiles // n))
        con.execute(
            f"CREATE TEMP TABLE _copy AS SELECT profile_id AS src, profile_id || '-' || k AS dst, "
            f"k FROM _rank, range(1, {copies}) t(k) WHERE k * {n} + r < {profiles}"
        )
        suffix = {
            "user_id": "p.user_id || '-' || c.k",
            "email": "regexp_replace(p.email, '@', '-' || c.k || '@')",
        }
        cols = {r[0] for r in con.execute("DESCRIBE profiles").fetchall()}
        repl = ", ".join(f"{v} AS {k}" for k, v in suffix.items() if k in cols)
        con.execute("BEGIN")
        con.execute(
            f"INSERT INTO profiles SELECT p.* REPLACE (c.dst AS profile_id, {repl}) "
            "FROM profiles p JOIN _copy c ON p.profile_id = c.src"
        )
        con.execute(
            "INSERT INTO identity_map SELECT m.* REPLACE (c.dst AS profile_id, CASE "
            "WHEN m.id_type = 'email' THEN regexp_replace(m.id_value, '@', '-' || c.k || '@') "
            "ELSE m.id_value || '-' || c.k END AS id_value) "
            "FROM identity_map m JOIN _copy c ON m.profile_id = c.src"
        )
        con.execute(
            "INSERT INTO value_scores SELECT v.* REPLACE (c.dst AS profile_id) "
            "FROM value_scores v JOIN _copy c ON v.profile_id = c.src"
        )
        for table in ("segments", "icp_scores"):
            con.execute(
                f"INSERT INTO {table} SELECT t.* REPLACE (c.dst AS entity_id) "
                f"FROM {table} t JOIN _copy c ON t.entity_id = c.src"
            )
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("profiles", "identity_map", "value_scores", "segments", "icp_scores")
        }
    finally:
        con.close()
    counts["original_profiles"] = n
    return counts


def profiles_workspace(
    base: Path, profiles: int, *, rebuild: bool = False
) -> tuple[Path, dict[str, Any]]:
    """The multiplied workspace, reused from an earlier run when it is complete."""
    ws = OUT / f"profiles-{profiles}"
    marker = ws / "bench-multiplied.json"
    if marker.exists() and not rebuild:
        return ws, json.loads(marker.read_text())
    console.print(f"multiplying {base} to {profiles:,} profiles in {ws}")
    started = time.perf_counter()
    copy_workspace(base, ws)
    info = multiply(ws, profiles)
    info["seconds"] = round(time.perf_counter() - started, 1)
    marker.write_text(json.dumps(info))
    return ws, info


def _safe(value: str) -> bool:
    return value.isascii() and all(ch.isalnum() or ch in "._@+-" for ch in value)


def write_user_ids(ws: Path, path: Path, limit: int = 5000) -> int:
    """User ids of the workspace's customers, the ``userId`` of the tracked events."""
    with duckdb.connect(str(ws / "personae.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT id_value FROM identity_map WHERE id_type = 'user_id' "
            f"AND profile_id IS NOT NULL ORDER BY id_value LIMIT {limit}"
        ).fetchall()
    users = [r[0] for r in rows if _safe(r[0])]
    path.write_text("\n".join(users) + "\n")
    return len(users)


def write_profile_keys(ws: Path, path: Path, count: int = 100_000) -> int:
    """Random existing identifiers, a third each user id, email and profile id, as URL paths."""
    per = count // 3
    with duckdb.connect(str(ws / "personae.duckdb"), read_only=True) as con:
        con.execute("SELECT setseed(0.42)")
        keys = []
        for id_type in ("user_id", "email"):
            keys += con.execute(
                "SELECT id_type, id_value FROM identity_map "
                f"WHERE id_type = '{id_type}' AND profile_id IS NOT NULL "
                f"ORDER BY random() LIMIT {per}"
            ).fetchall()
        keys += con.execute(
            f"SELECT 'profile_id', profile_id FROM profiles ORDER BY random() LIMIT {per}"
        ).fetchall()
    lines = [f"{t}:{urllib.parse.quote(v, safe='@+-._')}" for t, v in keys]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


# -- the server -----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=10) as r:
            return json.loads(r.read())
    except OSError:
        return None


@contextmanager
def serve(ws: Path, *, live: bool, log_name: str, startup_timeout: float = 3 * 3600):
    """Run ``personae serve`` in its own process; yields (port, seconds until healthy)."""
    port = free_port()
    cmd = [sys.executable, "-m", "personae.cli", "serve", str(ws), "--port", str(port)]
    if not live:
        cmd.append("--no-live")
    log = open(OUT / log_name, "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    shown = -1
    try:
        while health(port) is None:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}); see {log.name}")
            waited = time.perf_counter() - started
            if waited > startup_timeout:
                raise RuntimeError(f"the server did not start in {waited:.0f} s; see {log.name}")
            if int(waited) % 300 == 299 and int(waited) != shown:
                shown = int(waited)
                console.print(f"  still starting after {waited:.0f} s (building the serving store)")
            time.sleep(0.2)
        yield port, time.perf_counter() - started
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(180)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wait_applied(port: int, timeout: float = 1800) -> float:
    """Seconds until the live updater has applied every logged line (health lag 0).

    Polled every two seconds: ``/v1/health`` reads the updater's position, and a failed pass
    is retried by the updater itself, so only an error that lasts a minute ends the wait.
    """
    started = time.perf_counter()
    failing_since = None
    while time.perf_counter() - started < timeout:
        h = health(port)
        if h and h.get("lag") == 0 and not h.get("last_error"):
            return time.perf_counter() - started
        if h and h.get("last_error"):
            failing_since = failing_since or time.perf_counter()
            if time.perf_counter() - failing_since > 60:
                raise RuntimeError(f"the live updater keeps failing: {h['last_error']}")
        elif h:
            failing_since = None
        time.sleep(2.0)
    raise RuntimeError(f"the live updater did not catch up within {timeout:.0f} s")


# -- wrk ------------------------------------------------------------------------------------
def wrk(
    port: int, auth: str, script_args: list[str], *, connections: int, threads: int,
    seconds: float,
) -> dict[str, Any]:  # fmt: skip
    """Run wrk with ``api_wrk.lua``; returns the numbers its ``done()`` printed."""
    cmd = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "30s", "-s", str(LUA), "-H", f"Authorization: {auth}",
        "-H", "Content-Type: application/json", f"http://127.0.0.1:{port}", "--", *script_args,
    ]  # fmt: skip
    load_before = os.getloadavg()[0]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    got = None
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            got = json.loads(line[6:])
        elif line.startswith("BENCH_ERROR "):
            console.print(f"[yellow]first non-200 answer:[/] {line[12:]}")
    if got is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    got["load_before"] = round(load_before, 2)
    return got


def _row(load: str, config: str, res: dict[str, Any], events_per_request: int, **kw: Any) -> Row:
    """A table row from wrk's numbers (rates count 200 answers only)."""
    secs = res["duration_us"] / 1e6
    socket_errors = sum(res[f"errors_{k}"] for k in ("connect", "read", "write", "timeout"))
    return Row(
        load=load,
        config=config,
        seconds=round(secs, 2),
        requests_per_s=round(res["ok"] / secs, 1),
        events_per_s=round(res["ok"] * events_per_request / secs, 1),
        p50_ms=res["p50_us"] / 1000,
        p95_ms=res["p95_us"] / 1000,
        p99_ms=res["p99_us"] / 1000,
        ok=res["ok"],
        non_200=res["bad"],
        socket_errors=socket_errors,
        sent=res["sent"],
        events_ok=res["ok"] * events_per_request,
        events_sent=res["sent"] * events_per_request,
        load_before=res.get("load_before"),
        **kw,
    )


# -- the loads ------------------------------------------------------------------------------
def logged_count(ws: Path, prefix: str) -> int:
    """Lines in the workspace's event log whose messageId starts with ``prefix-``."""
    needle = f'"messageId":"{prefix}-'.encode()
    return sum(p.read_bytes().count(needle) for p in sorted((ws / "stream").glob("*.jsonl")))


def stored_count(ws: Path, prefix: str) -> tuple[int, int]:
    """(rows, distinct message ids) in ``raw_events`` that came from the tracking API."""
    with duckdb.connect(str(ws / "personae.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM raw_events "
            "WHERE _source_file LIKE '%/stream/%' AND message_id LIKE ?",
            [f"{prefix}-%"],
        ).fetchone()


def log_failures(log: Path) -> dict[str, int]:
    """Failures the server logged: live passes that raised, requests that answered 500."""
    text = log.read_text(errors="replace")
    return {
        "failed_live_passes": text.count("live update failed"),
        "failed_requests": text.count("Exception in ASGI application"),
    }


def tracking(base: Path, args: argparse.Namespace, live: bool) -> list[Row]:
    """The track and batch loads against one server (live updater on or off)."""
    config = "live updater on" if live else "--no-live (baseline)"
    ws = copy_workspace(base, OUT / ("track-live" if live else "track-nolive"))
    users = OUT / "users.txt"
    write_user_ids(ws, users)
    key = AuthStore(ws).create_key("bench", "writer")
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    nonce = time.strftime("%H%M%S")
    loads = [("track", 1), ("batch", args.batch_size)]
    rows: list[Row] = []
    log_name = f"serve-track-{'live' if live else 'nolive'}.log"
    with serve(ws, live=live, log_name=log_name) as (port, _):
        for load, size in loads:
            prefix = f"{load}{nonce}"
            console.print(f"{load} ({config}): {args.duration} s, {args.connections} connections")
            res = wrk(
                port, auth, [load, prefix, str(users), str(size)],
                connections=args.connections, threads=args.threads, seconds=args.duration,
            )  # fmt: skip
            label = "track" if load == "track" else f"batch ×{size}"
            row = _row(label, config, res, size, profiles=None, connections=args.connections)
            row.notes.append(prefix)
            if live:
                row.drain_s = round(wait_applied(port), 1)
            rows.append(row)
    failures = log_failures(OUT / log_name)
    if any(failures.values()):
        console.print(f"[yellow]server log ({config}):[/] {failures}")
    for row in rows:
        row.notes.append(f"server log: {failures}")
        prefix = row.notes[0]
        row.logged = logged_count(ws, prefix)
        if live:
            row.stored, row.stored_distinct = stored_count(ws, prefix)
    return rows


def profile_load(
    ws: Path,
    args: argparse.Namespace,
    profiles: int,
    config: str,
    *,
    warmup: float,
    reuse_serving: bool = False,
) -> tuple[Row, float, int]:
    """The profile API load; returns the row, start-up seconds and serving store bytes.

    The serving store is deleted first, so the start-up includes its full rebuild, unless
    ``reuse_serving`` keeps the one an earlier start-up built.
    """
    if not reuse_serving:
        for extra in ("", "-wal", "-shm"):
            (ws / (SERVING_FILE + extra)).unlink(missing_ok=True)
    keys = OUT / f"profile-keys-{profiles}.txt"
    write_profile_keys(ws, keys)
    key = AuthStore(ws).create_key("bench-profiles", "analyst")
    log_name = f"serve-profiles-{profiles}.log"
    with serve(ws, live=True, log_name=log_name, startup_timeout=args.startup_timeout) as (
        port,
        startup,
    ):
        console.print(f"profiles ({config}): serve started in {startup:.1f} s")
        h = health(port) or {}
        if warmup:
            wrk(
                port, f"Bearer {key}", ["profile", str(keys)], connections=args.connections,
                threads=args.threads, seconds=warmup,
            )  # fmt: skip
        res = wrk(
            port, f"Bearer {key}", ["profile", str(keys)], connections=args.connections,
            threads=args.threads, seconds=args.duration,
        )  # fmt: skip
    row = _row("profile", config, res, 1, profiles=profiles, connections=args.connections)
    if not h.get("ok", False):
        row.notes.append(f"health not ok: {h}")
    return row, startup, (ws / SERVING_FILE).stat().st_size


# -- output ---------------------------------------------------------------------------------
def _n(x: float | int | None, digits: int = 0) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def print_tables(rows: list[Row]) -> None:
    table = Table(title="personae serve over loopback (wrk in its own process)")
    for col in ("load", "config", "profiles", "conns", "req/s", "events/s", "p50 ms", "p95 ms",
                "p99 ms", "non-200", "load"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("load", "config") else "right")
    for r in rows:
        table.add_row(
            r.load, r.config, _n(r.profiles), str(r.connections), _n(r.requests_per_s),
            _n(r.events_per_s), _n(r.p50_ms, 2), _n(r.p95_ms, 2), _n(r.p99_ms, 2),
            str(r.non_200 + r.socket_errors), _n(r.load_before, 2),
        )  # fmt: skip
    console.print(table)
    check = Table(title="every 200 stored exactly once (events)")
    for col in ("load", "config", "200 ok", "sent", "in log", "in raw_events", "distinct ids",
                "applied within s", "verdict"):  # fmt: skip
        check.add_column(col, justify="left" if col in ("load", "config", "verdict") else "right")
    for r in rows:
        if r.logged is None:
            continue
        held = r.stored if r.stored is not None else r.logged
        good = r.events_ok <= held <= r.events_sent
        good = good and (r.stored is None or r.stored == r.stored_distinct == r.logged)
        check.add_row(
            r.load, r.config, _n(r.events_ok), _n(r.events_sent), _n(r.logged), _n(r.stored),
            _n(r.stored_distinct), _n(r.drain_s, 1), "ok" if good else "MISMATCH",
        )  # fmt: skip
    console.print(check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="50,000 profiles, 5 s loads")
    parser.add_argument("--base", type=Path, help="workspace to copy (default: the demo)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline rows")
    parser.add_argument("--skip-tracking", action="store_true")
    parser.add_argument("--skip-profiles", action="store_true")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--rebuild", action="store_true", help="multiply the workspace again (not reused)"
    )
    parser.add_argument("--startup-timeout", type=float, default=3 * 3600, help="seconds")
    parser.add_argument(
        "--reuse-serving",
        action="store_true",
        help="keep the multiplied workspace's serving.sqlite (start-up not rebuilt or timed)",
    )
    args = parser.parse_args()
    if args.quick:
        args.profiles, args.duration = 50_000, 5.0
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    base = base_workspace(args.base)
    rows: list[Row] = []
    result: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
    }

    def save() -> None:  # after every phase, so a late failure keeps the earlier numbers
        result["rows"] = [asdict(r) for r in rows]
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))

    if not args.skip_tracking:
        rows += tracking(base, args, live=True)
        save()
        if not args.no_baseline:
            rows += tracking(base, args, live=False)
            save()
        print_tables(rows)
    if not args.skip_profiles:
        warmup = min(5.0, args.duration / 3)
        ws, info = profiles_workspace(base, args.profiles, rebuild=args.rebuild)
        console.print(f"multiplied workspace: {info}")
        row, startup, size = profile_load(
            ws, args, info["profiles"], "live updater on", warmup=warmup,
            reuse_serving=args.reuse_serving,
        )  # fmt: skip
        rows.append(row)
        result["profiles_workspace"] = info
        result["startup_s"] = round(startup, 1)
        result["startup_rebuilt_serving"] = not args.reuse_serving
        result["serving_bytes"] = size
        save()
        what = "reusing the serving store" if args.reuse_serving else "serving store rebuilt"
        console.print(
            f"start-up ({what}) at {info['profiles']:,} profiles: {startup:.1f} s; "
            f"serving.sqlite {size / 1e9:.2f} GB"
        )
        if not args.no_baseline:
            small = copy_workspace(base, OUT / "profiles-demo")
            n = info["original_profiles"]
            row, startup_small, _ = profile_load(
                small, args, n, "demo, not multiplied (baseline)", warmup=warmup
            )
            rows.append(row)
            result["startup_demo_s"] = round(startup_small, 1)
            save()
    print_tables(rows)
    save()
    if args.json:
        console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
