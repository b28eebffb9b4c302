"""Shared helpers: server processes, CPU pinning, RSS readings, small HTTP calls, tables."""

from __future__ import annotations

import http.client as httpclient
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
LISTEN_RE = re.compile(r"listening on http://([^:]+):(\d+)")
PROVIDERS = ("tencent", "openim", "rongcloud")


# --- providers ---------------------------------------------------------------------------------
def available_providers(report: list | None = None) -> list[str]:
    """Providers that import and accept a small bench scenario (all three once complete)."""
    import tempfile

    from bench.clients import scenario
    from emulator.app import create_app
    from emulator.settings import Settings

    out = []
    for name in PROVIDERS:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "probe.json"
                path.write_text(json.dumps(scenario([name], 20, 2)))
                create_app(Settings(port=0, scenario=path, providers=(name,)))
        except Exception as exc:  # a provider still being written: benchmark the others
            if report is not None:
                report.append(f"{name}: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        out.append(name)
    return out


# --- CPU pinning -------------------------------------------------------------------------------
def cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def server_cpu() -> int | None:
    """Server on the first CPU, load generator on the last one (when there are two or more)."""
    c = cpus()
    return c[0] if len(c) >= 2 else None


def client_cpu() -> int | None:
    c = cpus()
    return c[-1] if len(c) >= 2 else None


def pin_preexec(cpu: int | None):
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


# --- server processes --------------------------------------------------------------------------
class Server:
    """A server in its own process; the port is parsed from its "listening on" line."""

    def __init__(self, argv: list[str], cpu: int | None = None, env: dict | None = None,
                 timeout: float = 60.0) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=ROOT, preexec_fn=pin_preexec(cpu),
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + timeout
        while True:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read()
                raise RuntimeError(f"server {argv} exited: {err[-2000:]}")
            m = LISTEN_RE.search(line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server {argv} did not start in {timeout}s")
        self.listening = time.perf_counter()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used (/proc/PID/stat utime, stime)."""
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def emulator_argv(scenario: Path | None, providers: list[str], loop: str = "asyncio") -> list[str]:
    """`python -m emulator` when every provider imports; else bench.serve with the ones that do.
    `loop` is the event loop (--loop): asyncio unless a figure says otherwise."""
    extra = ["--scenario", str(scenario)] if scenario else []
    extra += ["--loop", loop]
    if list(providers) == list(PROVIDERS):
        return [PYTHON, "-m", "emulator", "--port", "0", "--log-level", "WARNING", *extra]
    return [PYTHON, "-m", "bench.serve", "--providers", ",".join(providers), *extra]


def have_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


# --- HTTP --------------------------------------------------------------------------------------
def http(host: str, port: int, method: str, path: str, body: bytes | str | dict | None = None,
         headers: dict | None = None, timeout: float = 120.0) -> tuple[int, bytes]:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    conn = httpclient.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


# --- memory ------------------------------------------------------------------------------------
def rss_bytes() -> int:
    """VmRSS of this process from /proc/self/status."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def trim() -> None:
    """Collect garbage and hand freed heap pages back, so RSS readings are comparable."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


# --- output ------------------------------------------------------------------------------------
def table(title: str, headers: list[str], rows: list[list], note: str = "") -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    def fmt(r):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    lines = [f"### {title}", "", fmt(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt(r) for r in cells[1:]]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def median(xs):
    s = sorted(xs)
    n = len(s)
    if not n:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
