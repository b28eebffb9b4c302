"""(2) Start-up: from process start to the first 200 from /_emulator/health, median of 5.

The server is started as users start it (`python -m emulator --port 0`, the shipped default
scenario); the clock starts just before the process is spawned and stops when the health
reply arrives (the port is read from the "listening on" line, printed once the socket is open).

Python's default is to cache compiled bytecode (__pycache__; a pip install writes it at install
time), so the figure that counts runs with the cache on, after one warm-up start fills it. A
shell with PYTHONDONTWRITEBYTECODE=1 recompiles every emulator module at each start; that is
shown on its own row.

CPU time (the server process's user + system time when the health reply arrives, from
/proc/PID/schedstat, all threads) is printed beside the wall time: on a shared machine it moves
far less than the wall clock. A second table times the first signed call of each provider after
a start (the route's schema is built on that call since round 4) beside the second.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import PROVIDERS, Server, emulator_argv, http, median, table, verdict

TARGET_MS = 350   # issue 16 (was 500)
RUNS = 5
FIRST_CALL_RUNS = 5


CACHED = {"PYTHONDONTWRITEBYTECODE": ""}      # empty = unset for Python: bytecode is cached
UNCACHED = {"PYTHONDONTWRITEBYTECODE": "1"}


def cpu_ms(pid: int) -> float:
    """User + system time of every thread of ``pid`` so far (schedstat: nanoseconds on a CPU)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e6


def one(argv: list[str], env: dict = CACHED) -> tuple[float, float, float]:
    """(wall ms to the first 200, wall ms to the listening line, CPU ms at the first 200)."""
    t0 = time.perf_counter()
    srv = Server(argv, env=env)
    try:
        status, _ = http(srv.host, srv.port, "GET", "/_emulator/health")
        t1 = time.perf_counter()
        cpu = cpu_ms(srv.proc.pid)
        if status != 200:
            raise RuntimeError(f"health answered {status}")
        return (t1 - t0) * 1000, (srv.listening - t0) * 1000, cpu
    finally:
        srv.stop()


def run(providers: list[str], runs: int = RUNS) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        argv, what = emulator_argv(None, list(PROVIDERS), "auto"), "python -m emulator --port 0 (default scenario, default loop)"
        try:
            one(argv)
        except RuntimeError:  # a provider still broken: the others, on a scenario of their own
            from bench.clients import READ_MEMBERS, scenario
            import json
            path = Path(tmp) / "s.json"
            path.write_text(json.dumps(scenario(providers, READ_MEMBERS, 0)))
            argv, what = emulator_argv(path, providers, "auto"), f"bench.serve --providers {','.join(providers)}"
        samples = [one(argv) for _ in range(runs)]
    uncached = [one(argv, UNCACHED)[0] for _ in range(runs)]
    healthy = [s[0] for s in samples]
    listening = [s[1] for s in samples]
    cpu = [s[2] for s in samples]
    m = median(healthy)
    rows = [["start -> first 200 /_emulator/health", f"{m:.0f}",
             f"{min(healthy):.0f} / {max(healthy):.0f}", f"< {TARGET_MS}", verdict(m < TARGET_MS)],
            ["CPU time of the server at that first 200", f"{median(cpu):.0f}",
             f"{min(cpu):.0f} / {max(cpu):.0f}", "", ""],
            ["start -> 'listening' line", f"{median(listening):.0f}",
             f"{min(listening):.0f} / {max(listening):.0f}", "", ""],
            ["start -> first 200, PYTHONDONTWRITEBYTECODE=1 (sources compiled each start)",
             f"{median(uncached):.0f}", f"{min(uncached):.0f} / {max(uncached):.0f}", "", ""]]
    base = [s for s in (one_bare() for _ in range(3))]
    rows.append(["python -c 'import aiohttp' (floor)", f"{median(base):.0f}",
                 f"{min(base):.0f} / {max(base):.0f}", "", ""])
    base_cpu = [one_bare_cpu() for _ in range(3)]
    rows.append(["CPU time of python -c 'import aiohttp.web'", f"{median(base_cpu):.0f}",
                 f"{min(base_cpu):.0f} / {max(base_cpu):.0f}", "", ""])
    out = table(f"Start-up, median of {runs} ({what})",
                ["measure", "median ms", "min / max ms", "target", "verdict"], rows)
    out += "\n" + first_calls(providers)
    return out


def one_bare_cpu() -> float:
    import subprocess
    import sys
    code = ("import aiohttp.web, resource; u = resource.getrusage(resource.RUSAGE_SELF); "
            "print((u.ru_utime + u.ru_stime) * 1000)")
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout)


def first_calls(providers: list[str], runs: int = FIRST_CALL_RUNS) -> str:
    """Each provider's read API (the throughput bench's), first and second call after a start on
    the bench scenario; a fresh server per run. OpenIM's admin token is fetched first (that
    request is its own provider's first call, and is timed on its own row)."""
    import json

    from bench.clients import CLIENTS, READ_MEMBERS, scenario
    from bench.common import emulator_argv

    samples: dict[str, list[tuple[float, float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.json"
        path.write_text(json.dumps(scenario(providers, READ_MEMBERS, 0)))
        argv = emulator_argv(path, providers, "auto")
        for _ in range(runs):
            with Server(argv) as srv:
                for name in providers:
                    client = CLIENTS[name]
                    t0, c0 = time.perf_counter(), cpu_ms(srv.proc.pid)
                    a = client.auth(srv.host, srv.port)
                    if name == "openim":
                        samples.setdefault("openim get_admin_token", []).append(
                            ((time.perf_counter() - t0) * 1000, float("nan"), cpu_ms(srv.proc.pid) - c0,
                             float("nan")))
                    load = client.read_load(a)
                    times, cpus = [], []
                    for i in range(2):
                        headers = load.headers[i % len(load.headers)]
                        t0, c0 = time.perf_counter(), cpu_ms(srv.proc.pid)
                        status, body = http(srv.host, srv.port, load.method, load.path, load.body, headers)
                        times.append((time.perf_counter() - t0) * 1000)
                        cpus.append(cpu_ms(srv.proc.pid) - c0)
                        if status != 200 or not all(ok.encode() in body for ok in load.ok):
                            raise RuntimeError(f"{load.name}: {status} {body[:200]!r}")
                    samples.setdefault(load.name, []).append((times[0], times[1], cpus[0], cpus[1]))
    rows = []
    for name, quads in samples.items():
        first = [q[0] for q in quads]
        second = [q[1] for q in quads if q[1] == q[1]]
        cpu_first = [q[2] for q in quads]
        cpu_second = [q[3] for q in quads if q[3] == q[3]]
        rows.append([name, f"{median(first):.1f}", f"{min(first):.1f} / {max(first):.1f}",
                     f"{median(second):.1f}" if second else "-", f"{median(cpu_first):.1f}",
                     f"{median(cpu_second):.1f}" if cpu_second else "-"])
    return table(f"First call per provider after a start, median of {runs} (bench scenario, default loop; "
                 "client wall time, one connection per call; server CPU time of the call)",
                 ["call", "first ms", "min / max ms", "second ms", "first CPU ms", "second CPU ms"], rows)


def one_bare() -> float:
    import subprocess
    import sys
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import aiohttp.web"], check=True)
    return (time.perf_counter() - t0) * 1000
