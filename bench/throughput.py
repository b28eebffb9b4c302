"""(1) Throughput and latency: one read and one write per provider at 50 and 200 connections,
the emulator beside a bare aiohttp handler (bench/bare.py) in the same run.

Both servers run in their own processes on one CPU, wrk on the other. Cells alternate bare /
emulator so drift in the machine's load hits both. Before each emulator write cell the provider
is reset to the bench scenario (POST /_emulator/reset), so every write adds a new member.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench import loadgen
from bench.clients import CLIENTS, scenario
from bench.common import PYTHON, Server, emulator_argv, http, server_cpu, table, verdict

CONNECTIONS = (50, 200)
TARGET = {"read": 0.6, "write": 0.5}
# Write pairs: GROUPS x USERS distinct memberships; far above what a cell can issue.
GROUPS, USERS = 200, 600


def _reset(emu: Server, provider: str) -> None:
    status, body = http(emu.host, emu.port, "POST", f"/_emulator/reset?provider={provider}")
    if status != 200:
        raise RuntimeError(f"reset failed: {status} {body[:200]!r}")


def run(providers: list[str], seconds: float, warmup: float = 1.0) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_scenario.json"
        path.write_text(json.dumps(scenario(providers, USERS, GROUPS)))
        cpu = server_cpu()
        with Server(emulator_argv(path, providers), cpu=cpu) as emu, \
                Server([PYTHON, "-m", "bench.bare"], cpu=cpu) as bare:
            rows = []
            for p in providers:
                c = CLIENTS[p]
                a = c.auth(emu.host, emu.port)
                read, write = c.read_load(a), c.write_load(a, GROUPS, USERS)
                if warmup:
                    for srv in (bare, emu):
                        loadgen.run(srv.url, read, 50, warmup)
                        loadgen.run(srv.url, write, 50, warmup)
                for kind, load, api in (("read", read, c.read_api), ("write", write, c.write_api)):
                    for conns in CONNECTIONS:
                        c0 = bare.cpu_seconds()
                        rb = loadgen.run(bare.url, load, conns, seconds)
                        cpu_b = (bare.cpu_seconds() - c0) / max(rb.requests, 1) * 1e6
                        if kind == "write":
                            # a reset drops issued tokens (OpenIM): sign again, as a client would
                            _reset(emu, p)
                            load = c.write_load(c.auth(emu.host, emu.port), GROUPS, USERS)
                        c0 = emu.cpu_seconds()
                        re_ = loadgen.run(emu.url, load, conns, seconds)
                        cpu_e = (emu.cpu_seconds() - c0) / max(re_.requests, 1) * 1e6
                        if kind == "write" and re_.requests > load.capacity:
                            raise RuntimeError(f"{load.name}: {re_.requests} requests exceed "
                                               f"{load.capacity} distinct memberships")
                        ratio = re_.rps / rb.rps if rb.rps else 0.0
                        rows.append([p, f"{api} ({kind})", conns,
                                     f"{re_.rps:,.0f}", f"{re_.p50_ms:.2f}", f"{re_.p99_ms:.2f}",
                                     f"{re_.failures + re_.socket_errors}/{re_.requests}",
                                     f"{rb.rps:,.0f}", f"{rb.p50_ms:.2f}", f"{rb.p99_ms:.2f}",
                                     f"{ratio:.2f}", f"{cpu_e:.0f}", f"{cpu_b:.0f}", f"{cpu_b / cpu_e:.2f}",
                                     f">= {TARGET[kind]}", verdict(ratio >= TARGET[kind])])
    gen = "wrk -t1 (Lua-generated, signed requests)" if loadgen.have_wrk() else "bench.pyload"
    return table(
        f"Throughput and latency ({seconds:g} s per cell; load generator: {gen})",
        ["provider", "API", "conns", "emu req/s", "emu p50 ms", "emu p99 ms", "emu non-success",
         "bare req/s", "bare p50 ms", "bare p99 ms", "emu/bare", "emu CPU us/req", "bare CPU us/req",
         "CPU ratio", "target", "verdict"],
        rows,
        "non-success = replies that are not the provider's success (HTTP status or body) "
        "plus socket errors, out of all requests. CPU us/req = server process CPU time (utime + "
        "stime) per request; CPU ratio = bare/emulator CPU per request, the same ratio measured "
        "in CPU time, which other processes on the machine disturb less than req/s. The verdict "
        "uses emu/bare req/s.")
