"""The load generator: wrk (C, epoll) driven by a generated Lua script, pinned to its own CPU.

A load is described by a `Load`: method, path (with query), headers (one set, or a pool that
requests rotate through, e.g. RongCloud signatures), a body that is either fixed or a template
whose %G% and %U% take a fresh (group, user) pair per request, and the substrings that mark a
success reply. Every reply is checked in Lua; anything else is counted as a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from bench.common import client_cpu, pin_preexec


@dataclass
class Load:
    name: str
    path: str
    headers: list[dict]                 # one dict, or a pool rotated per request
    body: str = ""                      # fixed body, or a template with %G% / %U%
    ok: list[str] = field(default_factory=list)   # substrings every success reply contains
    groups: int = 0                     # template: group index cycles fastest over [0, groups)
    users: int = 0                      # then the user index over [0, users): unique pairs
    method: str = "POST"

    @property
    def dynamic(self) -> bool:
        return "%G%" in self.body or "%U%" in self.body or len(self.headers) > 1

    @property
    def capacity(self) -> int:
        """Distinct requests a templated load can issue before a (group, user) pair repeats."""
        return self.groups * self.users if "%U%" in self.body else 1 << 62


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int          # replies that are not a provider success (status or body)
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for our ASCII


def _lua_headers(h: dict) -> str:
    return "{" + ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in h.items()) + "}"


def lua_script(load: Load) -> str:
    oks = "{" + ", ".join(_lua_str(s) for s in load.ok) + "}"
    out = [
        "local threads = {}",
        "function setup(thread) table.insert(threads, thread) end",
        "fails = 0",
        f"local oks = {oks}",
        "function response(status, headers, body)",
        "  if status ~= 200 then fails = fails + 1 return end",
        "  for _, s in ipairs(oks) do",
        "    if not string.find(body, s, 1, true) then fails = fails + 1 return end",
        "  end",
        "end",
    ]
    if load.dynamic:
        fmt = load.body.replace("%", "%%")
        order = []
        for i in range(len(load.body)):
            if load.body.startswith("%G%", i):
                order.append("g")
            elif load.body.startswith("%U%", i):
                order.append("u")
        fmt = fmt.replace("%%G%%", "%d").replace("%%U%%", "%d")
        args = "".join(f", {v}" for v in order)
        pool = "{" + ", ".join(_lua_headers(h) for h in load.headers) + "}"
        out += [
            f"local pool = {pool}",
            f"local G, U = {max(load.groups, 1)}, {max(load.users, 1)}",
            "local n = 0",
            "function request()",
            "  local k = n",
            "  n = n + 1",
            "  local g = k % G",
            "  local u = math.floor(k / G) % U",
            f"  local body = string.format({_lua_str(fmt)}{args})",
            f"  return wrk.format({_lua_str(load.method)}, {_lua_str(load.path)}, pool[(k % #pool) + 1], body)",
            "end",
        ]
    else:
        out += [
            f"wrk.method = {_lua_str(load.method)}",
            f"wrk.path = {_lua_str(load.path)}",
            f"wrk.body = {_lua_str(load.body)}",
            f"wrk.headers = {_lua_headers(load.headers[0])}",
        ]
    out += [
        "function done(summary, latency, requests)",
        "  local f = 0",
        "  for _, t in ipairs(threads) do f = f + t:get('fails') end",
        "  local e = summary.errors",
        "  io.write(string.format('WRKJSON {\"requests\":%d,\"duration_us\":%d,\"p50\":%d,"
        "\"p99\":%d,\"fails\":%d,\"sock\":%d}\\n', summary.requests, summary.duration,"
        " latency:percentile(50), latency:percentile(99), f,"
        " e.connect + e.read + e.write + e.timeout))",
        "end",
    ]
    return "\n".join(out) + "\n"


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run(url: str, load: Load, connections: int, seconds: float) -> Result:
    """One wrk run; wrk's own thread count is 1 (one core is the load generator's)."""
    if not have_wrk():
        from bench import pyload
        return pyload.run(url, load, connections, seconds)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua_script(load))
        script = fh.name
    try:
        argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                "-s", script, url]
        proc = subprocess.run(argv, capture_output=True, text=True, preexec_fn=pin_preexec(client_cpu()),
                              timeout=seconds + 60)
    finally:
        os.unlink(script)
    for line in proc.stdout.splitlines():
        if line.startswith("WRKJSON "):
            d = json.loads(line[8:])
            return Result(d["requests"], d["duration_us"] / 1e6, d["p50"] / 1000, d["p99"] / 1000,
                          d["fails"], d["sock"])
    raise RuntimeError(f"wrk failed: {proc.stdout[-1000:]} {proc.stderr[-1000:]}")
