"""(6) Durable state (--data-dir): write throughput with durability on vs off, and restart time
after a kill -9 with 100,000 logged writes.

Throughput: the same write loads as (1), one server without and one with --data-dir, cells
alternating off / on so drift in the machine's load hits both; each provider is reset before each
cell. Restart: a server with --data-dir takes WRITES writes spread over the providers, is killed
with SIGKILL (no last snapshot), and the clock runs from the restart's spawn to the first 200 of
/_emulator/health, with everything restored. Two configurations: the default snapshot interval,
and snapshots off (--snapshot-every above WRITES: every write is replayed, the worst case).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

from bench import loadgen
from bench.clients import CLIENTS, scenario
from bench.common import PYTHON, Server, http, median, server_cpu, table, verdict
from emulator.settings import Settings

TARGET_RATIO = 0.8
RESTART_TARGET_S = 2.0
WRITES = 100_000
GROUPS, USERS = 200, 600       # distinct (group, user) pairs per provider: 120,000


def _argv(path: Path, data_dir: Path | None, extra: tuple[str, ...] = ()) -> list[str]:
    argv = [PYTHON, "-m", "emulator", "--port", "0", "--log-level", "WARNING", "--scenario", str(path)]
    return argv + (["--data-dir", str(data_dir)] if data_dir else []) + list(extra)


def _reset(srv: Server, provider: str) -> None:
    status, body = http(srv.host, srv.port, "POST", f"/_emulator/reset?provider={provider}")
    if status != 200:
        raise RuntimeError(f"reset failed: {status} {body[:200]!r}")


def throughput(providers: list[str], seconds: float, path: Path, tmp: Path) -> list[list]:
    rows = []
    cpu = server_cpu()
    with Server(_argv(path, None), cpu=cpu) as off, Server(_argv(path, tmp / "tp"), cpu=cpu) as on, \
            Server(_argv(path, tmp / "tf", ("--sync", "full")), cpu=cpu) as full:
        for p in providers:
            c = CLIENTS[p]
            res = {}
            cells = (("off", off), ("on", on), ("full", full))
            for name, srv in cells:
                _reset(srv, p)
                loadgen.run(srv.url, c.write_load(c.auth(srv.host, srv.port), GROUPS, USERS), 50, 1)
            cpu_us: dict[str, list[float]] = {}
            for name, srv in cells + cells:
                _reset(srv, p)  # a reset drops issued tokens (OpenIM): sign again
                load = c.write_load(c.auth(srv.host, srv.port), GROUPS, USERS)
                c0 = srv.cpu_seconds()
                r = loadgen.run(srv.url, load, 50, seconds)
                cpu_us.setdefault(name, []).append((srv.cpu_seconds() - c0) / max(r.requests, 1) * 1e6)
                res.setdefault(name, []).append(r)
            rps = {k: median([r.rps for r in v]) for k, v in res.items()}
            cpu = {k: median(v) for k, v in cpu_us.items()}
            bad = sum(r.failures + r.socket_errors for v in res.values() for r in v)
            ratio = rps["on"] / rps["off"] if rps["off"] else 0.0
            cpu_ratio = cpu["off"] / cpu["on"] if cpu["on"] else 0.0
            p99 = median([r.p99_ms for r in res["on"]])
            rows.append([p, c.write_api, 50, f"{rps['off']:,.0f}", f"{rps['on']:,.0f}", f"{p99:.2f}",
                         bad, f"{ratio:.2f}", f"{cpu['off']:.0f}", f"{cpu['on']:.0f}", f"{cpu_ratio:.2f}",
                         f">= {TARGET_RATIO}", verdict(cpu_ratio >= TARGET_RATIO),
                         f"{rps['full']:,.0f}", f"{rps['full'] / rps['off']:.2f}" if rps["off"] else ""])
    return rows


def _fill(srv: Server, providers: list[str], total: int) -> int:
    """Exactly ``total`` successful writes, spread over the providers, 50 at a time (each a
    distinct (group, user) pair of the provider's write load)."""
    import asyncio

    import aiohttp

    async def provider_fill(session, p: str, count: int) -> int:
        c = CLIENTS[p]
        load = c.write_load(c.auth(srv.host, srv.port), GROUPS, USERS)
        counter = iter(range(count))
        ok = 0

        async def worker():
            nonlocal ok
            for k in counter:
                data = load.body.replace("%G%", str(k % GROUPS)).replace("%U%", str(k // GROUPS % USERS))
                async with session.post(srv.url + load.path, data=data,
                                        headers=load.headers[k % len(load.headers)]) as r:
                    text = await r.text()
                if r.status != 200 or any(m not in text for m in load.ok):
                    raise RuntimeError(f"{p} write {k} failed: {r.status} {text[:200]}")
                ok += 1

        await asyncio.gather(*(worker() for _ in range(50)))
        return ok

    async def main() -> int:
        per = [total // len(providers) + (1 if i < total % len(providers) else 0) for i in range(len(providers))]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:
            return sum([await provider_fill(session, p, n) for p, n in zip(providers, per)])

    return asyncio.run(main())


def restart(providers: list[str], path: Path, tmp: Path, writes: int) -> list[list]:
    rows = []
    for label, extra in (("default snapshot interval", ()),
                         ("snapshots off (all replayed)", ("--snapshot-every", str(writes * 10)))):
        data = tmp / f"rs-{len(rows)}"
        with Server(_argv(path, data, extra)) as srv:
            answered = _fill(srv, providers, writes)
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait()
        db = sqlite3.connect(data / "state.db")
        tail = db.execute("SELECT count(*) FROM log").fetchone()[0]
        db.close()
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            srv = Server(_argv(path, data, extra))
            try:
                status, _ = http(srv.host, srv.port, "GET", "/_emulator/health")
                times.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"health answered {status}")
                srv.proc.send_signal(signal.SIGKILL)   # keep the tail for the next run
                srv.proc.wait()
            finally:
                srv.stop()
        m = median(times)
        default = not extra     # the target is for the default; the other row shows the cost per entry
        rows.append([label, f"{answered:,}", f"{tail:,}", f"{m:.2f}", f"{min(times):.2f} / {max(times):.2f}",
                     f"< {RESTART_TARGET_S:g}" if default else "(reference)",
                     verdict(m < RESTART_TARGET_S) if default else ""])
    return rows


# --- memory of a save ----------------------------------------------------------------------------
SAVE_GROUPS, SAVE_MEMBERS = 20_000, 50


def _save_child(mode: str, n_groups: int) -> dict:
    """In a fresh process: one OpenIM tenant with ``n_groups`` x SAVE_MEMBERS members loaded from
    a dump, then one save; peak RSS above the state (VmHWM, reset before the save) / state RSS."""
    import gc

    from bench.common import rss_bytes, trim
    from emulator.app import RUNTIME, create_app
    from emulator.core.persist import Store
    from emulator.settings import fixtures_dir

    def hwm() -> int:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))

    rt = create_app(Settings(port=0, scenario=fixtures_dir() / "empty.yaml"))[RUNTIME]
    trim()
    base = rss_bytes()
    users = [[f"u{i}", "", "", "", 0, 1, 0] for i in range(10_000)]
    groups = [{"groupID": f"g{g}", "groupName": f"g{g}", "notification": "", "introduction": "", "faceURL": "",
               "ownerUserID": "u0", "createTime": 1, "ex": "", "status": 0, "creatorUserID": "u0",
               "groupType": 2, "needVerification": 0, "lookMemberInfo": 0, "applyMemberFriend": 0,
               "notificationUpdateTime": 0, "notificationUserID": "", "requests": [],
               "members": [[f"u{(g * SAVE_MEMBERS + j) % 10_000}", 100 if j else 20, 1, 2, "u0", "", "", "", "", 0]
                           for j in range(SAVE_MEMBERS)]} for g in range(n_groups)]
    rt.load_state({"openim": {"s1": {"secret": "s1", "admins": ["u0"], "settings": {}, "users": users,
                                     "groups": groups}}})
    del users, groups
    gc.collect()
    trim()
    state = rss_bytes() - base
    with tempfile.TemporaryDirectory() as tmp:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")   # VmHWM := VmRSS
        r0 = rss_bytes()
        t0 = time.perf_counter()
        if mode == "file":
            rt.save_state_file(Path(tmp) / "s.json")
        elif mode == "db":
            store = Store(Path(tmp) / "d")
            store.open()
            store.snapshot(rt, full=True)
            store.close_quietly()
        else:   # the whole state as one JSON document, as the state file was written before
            import orjson
            blob = orjson.dumps({"state": rt.dump_state()}, option=orjson.OPT_INDENT_2)
            (Path(tmp) / "s.json").write_bytes(blob)
            del blob
        took = time.perf_counter() - t0
        peak = hwm() - r0
    return {"state": state, "peak": peak, "seconds": took}


def save_memory(n_groups: int) -> list[list]:
    import subprocess

    rows = []
    for mode, label in (("whole", "one JSON document (before: reference)"), ("file", "--state-file, streamed per tenant"),
                        ("db", "--data-dir snapshot, a row per tenant")):
        out = subprocess.run([PYTHON, "-m", "bench.durability", "--save-child", mode, str(n_groups)],
                             capture_output=True, text=True, timeout=600, check=True, cwd=Path(__file__).parent.parent)
        d = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append([label, f"{d['state'] / 1e6:.0f}", f"{d['peak'] / 1e6:.0f}", f"{d['peak'] / d['state']:.2f}",
                     f"{d['seconds']:.1f}"])
    return rows


def run(providers: list[str], seconds: float, writes: int = WRITES) -> str:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "bench_scenario.json"
        path.write_text(json.dumps(scenario(providers, USERS, GROUPS)))
        out = table(
            f"Durable state: write throughput, --data-dir on vs off ({seconds:g} s per cell, median of 2)",
            ["provider", "API", "conns", "off req/s", "on req/s", "on p99 ms", "non-success", "on/off req/s",
             "off CPU us/req", "on CPU us/req", "CPU ratio off/on", "target", "verdict",
             "--sync full req/s", "full/off req/s"],
            throughput(providers, seconds, path, tmp),
            f"on = --data-dir with the default --sync normal (WAL, one commit per event-loop turn, no fsync: "
            f"survives a killed process); --sync full adds an fsync per commit (survives power loss). "
            f"Snapshot every {Settings().snapshot_every:,} writes by default. CPU us/req = server "
            f"process CPU time per request; the verdict uses the CPU ratio, which other processes "
            f"on the machine disturb less than req/s (on this shared machine req/s ratios of the "
            f"same tree moved between 0.65 and 1.2).")
        out += "\n" + table(
            f"Durable state: restart after kill -9 with {writes:,} logged writes (median of 3)",
            ["configuration", "writes answered", "log entries replayed", "spawn -> first 200 s",
             "min / max s", "target", "verdict"],
            restart(providers, path, tmp, writes),
            "Spawn of `python -m emulator --data-dir` to the first 200 of /_emulator/health, the "
            "state restored (last snapshot + the log after it). Writes spread evenly over the providers.")
    n = SAVE_GROUPS if writes >= WRITES else SAVE_GROUPS // 10
    out += "\n" + table(
        f"Durable state: memory of one save, one OpenIM tenant of {n:,} groups x {SAVE_MEMBERS} members",
        ["save", "state MB (RSS)", "extra peak MB", "extra / state", "seconds"],
        save_memory(n),
        "Each in a fresh process; extra peak = VmHWM during the save minus RSS before it. A save "
        "holds at most one tenant's dump at a time, so a state spread over tenants needs less.")
    return out


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "--save-child":
        print(json.dumps(_save_child(sys.argv[2], int(sys.argv[3]))))
