"""The command line, run for real in subprocesses: `python -m emulator` and the `im-emulator` script."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

LINE = re.compile(r"^im-emulator listening on http://(?P<host>[^:/\s]+):(?P<port>\d+)$")
START_TIMEOUT_S = 30.0
STOP_LIMIT_S = 1.0   # the issue: SIGTERM or SIGINT stops it within a second
RC_KEY, RC_SECRET = "uwd1c0sxdlx2", "Y1W2MeFwwwRxa0"


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMEMU_")}
    env.update(extra)
    return env


class Server:
    """One emulator process: its printed line, stdout lines, stderr (in a file), HTTP helpers."""

    def __init__(self, tmp_path: Path, *args: str, cmd: list[str] | None = None, env: dict | None = None,
                 cwd: Path | None = None, default_port: bool = True) -> None:
        cmd = cmd or [sys.executable, "-m", "emulator"]
        argv = [*cmd, *(["--port", "0"] if default_port else []), *args]
        self.stderr_path = tmp_path / f"stderr-{time.monotonic_ns()}.log"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     env=env if env is not None else _env(), cwd=cwd or tmp_path)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = ""

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_listening(self, headers: dict | None = None) -> re.Match:
        try:
            line = self.lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self.kill()
            pytest.fail(f"no start line within {START_TIMEOUT_S}s; stderr:\n{self.stderr()}")
        if line is None:
            self.proc.wait(timeout=5)
            pytest.fail(f"exited {self.proc.returncode} before listening; stderr:\n{self.stderr()}")
        m = LINE.match(line)
        assert m, f"unexpected start line {line!r}"
        self.url = f"http://{m['host']}:{m['port']}"
        # once /health answers, the event loop is running and the signal handlers are installed
        assert self.get("/_emulator/health", headers)[0] == 200
        return m

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)

    def rc_post(self, path: str, form: dict):
        nonce, ts = "90210", str(int(time.time()))
        sig = hashlib.sha1(f"{RC_SECRET}{nonce}{ts}".encode()).hexdigest()
        body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
        return self.request("POST", path, body, {"App-Key": RC_KEY, "Nonce": nonce, "Timestamp": ts,
                                                 "Signature": sig,
                                                 "Content-Type": "application/x-www-form-urlencoded"})

    def stop(self, sig: int = signal.SIGTERM) -> float:
        """Send ``sig``; return how long the process took to exit."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"did not stop on {signal.Signals(sig).name}")
        return time.monotonic() - t0

    def rest_of_stdout(self) -> list[str]:
        out = []
        while (line := self.lines.get(timeout=5)) is not None:
            out.append(line)
        return out

    def wait_exit(self, timeout: float = START_TIMEOUT_S) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("the process did not exit")

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


@pytest.fixture
def servers(tmp_path):
    started: list[Server] = []

    def start(*args: str, **kw) -> Server:
        s = Server(tmp_path, *args, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()
        s._stderr.close()


# --- start, the printed line, health ----------------------------------------------------------

def test_port_zero_prints_one_line_and_serves_health(servers):
    s = servers()
    m = s.wait_listening()
    assert m["host"] == "127.0.0.1" and int(m["port"]) > 0
    status, health = s.get("/_emulator/health")
    assert status == 200 and health["status"] == "ok"
    assert health["providers"] == ["tencent", "openim", "rongcloud"]
    assert s.stop() < STOP_LIMIT_S
    assert s.proc.returncode == 0
    assert s.rest_of_stdout() == []        # exactly one line on stdout
    assert "Traceback" not in s.stderr()


def test_default_scenario_is_found_from_any_directory(servers, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    s = servers(cwd=elsewhere)
    s.wait_listening()
    status, state = s.get("/_emulator/state")
    assert status == 200
    assert "1400000000" in state["tencent"]
    assert "openIM123" in json.dumps(state["openim"])
    assert "uwd1c0sxdlx2" in state["rongcloud"]


def test_help_names_every_environment_variable():
    out = subprocess.run([sys.executable, "-m", "emulator", "--help"], capture_output=True, text=True,
                         timeout=60, env=_env())
    assert out.returncode == 0
    for var in ("IMEMU_HOST", "IMEMU_PORT", "IMEMU_SCENARIO", "IMEMU_STATE_FILE", "IMEMU_JOURNAL_SIZE",
                "IMEMU_LOG_LEVEL", "IMEMU_ADMIN_TOKEN"):
        assert var in out.stdout


def test_environment_variables_configure_the_server(servers, tmp_path):
    scenario = tmp_path / "env.yaml"
    scenario.write_text("description: from env\n"
                        "faults:\n  - {provider: rongcloud, api: entrust/group/create, error: 1000, times: 0}\n")
    env = _env(IMEMU_HOST="127.0.0.1", IMEMU_PORT="0", IMEMU_SCENARIO=str(scenario),
               IMEMU_JOURNAL_SIZE="7", IMEMU_LOG_LEVEL="WARNING", IMEMU_ADMIN_TOKEN="s3cret",
               IMEMU_STATE_FILE=str(tmp_path / "env-state.json"))
    s = servers(default_port=False, env=env)
    tok = {"X-Emulator-Token": "s3cret"}
    s.wait_listening(tok)
    assert s.get("/_emulator/health")[0] == 200   # open for probes
    assert s.get("/_emulator/journal")[0] == 401
    status, journal = s.get("/_emulator/journal", tok)
    assert status == 200 and journal["size"] == 7
    status, faults = s.get("/_emulator/faults", tok)
    assert [f["api"] for f in faults["faults"]] == ["entrust/group/create"]
    assert s.stop() < STOP_LIMIT_S
    assert (tmp_path / "env-state.json").is_file()
    assert "INFO" not in s.stderr()   # IMEMU_LOG_LEVEL=WARNING


def test_flags_override_environment_variables(servers):
    s = servers("--journal-size", "5", env=_env(IMEMU_JOURNAL_SIZE="7", IMEMU_PORT="1"))
    s.wait_listening()
    assert s.get("/_emulator/journal")[1]["size"] == 5


# --- bad input at start --------------------------------------------------------------------------

def _run_to_exit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emulator", "--port", "0", *args], capture_output=True,
                          text=True, timeout=60, env=_env(), cwd=cwd)


def test_bad_scenario_exits_2_naming_file_path_and_reason(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tencent:\n  apps:\n    - sdkappid: not-a-number\n"
                   "      key: 5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e\n"
                   "      admins: [administrator]\n")
    out = _run_to_exit("--scenario", str(bad), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""                       # no "listening" line: it never listened
    assert "Traceback" not in out.stderr
    assert re.search(rf"{re.escape(str(bad))}: tencent\.apps\[0\]\.sdkappid: \S+", out.stderr), out.stderr


@pytest.mark.parametrize("content,where", [
    ("faults:\n  - {provider: nowhere, api: x, error: 1}\n", r"faults\[0\]\.provider: \S+"),
    ("nosuchprovider: {}\n", r"nosuchprovider: Unknown field"),
    ("tencent: [unclosed\n", r"line \d+, column \d+: not valid YAML"),
    ("- just\n- a list\n", r"a scenario must be a mapping"),
])
def test_bad_scenarios_of_every_kind_exit_2(tmp_path, content, where):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    out = _run_to_exit("--scenario", str(bad), cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert re.search(rf"{re.escape(str(bad))}: {where}", out.stderr), out.stderr


def test_missing_scenario_file_exits_2(tmp_path):
    out = _run_to_exit("--scenario", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert out.returncode == 2
    assert "nope.yaml" in out.stderr and "cannot read" in out.stderr
    assert "Traceback" not in out.stderr


def test_busy_port_exits_1_without_traceback(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "emulator", "--port", str(port)], capture_output=True,
                             text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr


# --- stopping ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_it_within_a_second(servers, sig):
    s = servers()
    s.wait_listening()
    # an open keep-alive connection must not hold the shutdown up
    conn = socket.create_connection((s.url.split("//")[1].split(":")[0], int(s.url.rsplit(":", 1)[1])))
    try:
        assert s.stop(sig) < STOP_LIMIT_S
    finally:
        conn.close()
    assert s.proc.returncode == 0
    assert "Traceback" not in s.stderr()


# --- state file ---------------------------------------------------------------------------------

def test_state_file_survives_a_sigterm_restart(servers, tmp_path):
    state_file = tmp_path / "data" / "state.json"
    s = servers("--state-file", str(state_file))
    s.wait_listening()
    assert not state_file.exists()
    status, body = s.rc_post("/entrust/group/create.json", {"groupId": "persist1", "name": "kept", "owner": "leckie"})
    assert (status, body["code"]) == (200, 200)
    before = s.get("/_emulator/state")[1]
    assert "persist1" in json.dumps(before["rongcloud"])
    assert s.stop() < STOP_LIMIT_S and s.proc.returncode == 0

    assert json.loads(state_file.read_text())["state"] == before
    assert sorted(p.name for p in state_file.parent.iterdir()) == ["state.json"]   # no temp file left
    first_inode = state_file.stat().st_ino

    s2 = servers("--state-file", str(state_file))
    s2.wait_listening()
    assert s2.get("/_emulator/state")[1] == before
    status, body = s2.rc_post("/entrust/group/profile/query.json", {"groupIds": "persist1"})
    assert body["code"] == 200 and body["profiles"][0]["groupName"] == "kept"
    # change it through the control plane too, then stop with SIGINT this time
    status, _ = s2.request("PUT", "/_emulator/state", json.dumps({"rongcloud": {}}).encode(),
                           {"Content-Type": "application/json"})
    assert status == 200
    after = s2.get("/_emulator/state")[1]
    assert after["rongcloud"] == {} and after["tencent"] == before["tencent"]
    assert s2.stop(signal.SIGINT) < STOP_LIMIT_S

    # written by temp file + rename: a new inode replaced the old file, nothing else left
    assert state_file.stat().st_ino != first_inode
    assert sorted(p.name for p in state_file.parent.iterdir()) == ["state.json"]
    assert json.loads(state_file.read_text())["state"] == after

    s3 = servers("--state-file", str(state_file))
    s3.wait_listening()
    assert s3.get("/_emulator/state")[1] == after


def test_unreadable_state_file_exits_2(tmp_path):
    bad = tmp_path / "state.json"
    bad.write_text("{not json")
    out = _run_to_exit("--state-file", str(bad), cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


# --- the console script --------------------------------------------------------------------------

def _console_script() -> str | None:
    here = Path(sys.executable).parent
    return shutil.which("im-emulator", path=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.mark.skipif(_console_script() is None, reason="the im-emulator console script is not installed")
def test_console_script_behaves_like_python_m(servers):
    s = servers(cmd=[_console_script()])
    m = s.wait_listening()
    assert m["host"] == "127.0.0.1"
    assert s.get("/_emulator/health")[1]["providers"] == ["tencent", "openim", "rongcloud"]
    assert s.stop() < STOP_LIMIT_S and s.proc.returncode == 0
    assert s.rest_of_stdout() == []
