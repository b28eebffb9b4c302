"""CLI mistakes get one line and exit 2 (never a traceback); shipped scenarios by name; an empty
scenario file is refused; --admin-token leaves only health open."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_cli import Server, _env, servers  # noqa: F401  (servers: fixture)


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emulator", *args], capture_output=True, text=True,
                          timeout=30, env=_env(**env))


@pytest.mark.parametrize("args,env,needle", [
    (["--port", "99999"], {}, "--port: 99999 is out of range"),
    (["--port", "-1"], {}, "--port: -1 is out of range"),
    (["--port", "http"], {}, "--port: 'http' is not a port number"),
    ([], {"IMEMU_PORT": "abc"}, "IMEMU_PORT: 'abc' is not a port number"),
    ([], {"IMEMU_PORT": "70000"}, "IMEMU_PORT: 70000 is out of range"),
    ([], {"IMEMU_JOURNAL_SIZE": "many"}, "IMEMU_JOURNAL_SIZE: 'many' is not a whole number"),
    (["--journal-size", "0"], {}, "--journal-size: must be at least 1"),
    ([], {"IMEMU_LOG_LEVEL": "chatty"}, "IMEMU_LOG_LEVEL: 'chatty' is not one of"),
    (["--no-such-flag"], {}, "unrecognized arguments: --no-such-flag"),
    (["--loop", "trio"], {}, "invalid choice: 'trio'"),
    ([], {"IMEMU_LOOP": "trio"}, "IMEMU_LOOP must be one of auto, asyncio, uvloop, not 'trio'"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, env, needle):
    out = run(*args, **env)
    assert out.returncode == 2, out
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("im-emulator: error: "), out.stderr
    assert needle in lines[0]
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("name", ["empty.yaml", "empty"])
def test_scenario_accepts_a_shipped_name(servers, tmp_path, name):
    s = servers("--scenario", name)  # run in tmp_path: no such file there, the shipped one is used
    s.wait_listening()
    status, state = s.get("/_emulator/state")
    assert status == 200 and state == {"tencent": {}, "openim": {}, "rongcloud": {}}


def test_scenario_given_by_env_accepts_a_shipped_name(servers):
    s = servers(env=_env(IMEMU_SCENARIO="empty.yaml"))
    s.wait_listening()
    assert s.get("/_emulator/state")[1]["rongcloud"] == {}


def test_a_local_file_wins_over_a_shipped_name(servers, tmp_path):
    (tmp_path / "empty.yaml").write_text(
        "rongcloud:\n  apps:\n    - {app_key: mine, app_secret: s}\n")
    s = servers("--scenario", "empty.yaml", cwd=tmp_path)
    s.wait_listening()
    assert list(s.get("/_emulator/state")[1]["rongcloud"]) == ["mine"]


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_an_empty_scenario_file_is_refused(tmp_path, text):
    path = tmp_path / "blank.yaml"
    path.write_text(text)
    out = run("--port", "0", "--scenario", str(path))
    assert out.returncode == 2
    assert str(path) in out.stderr and "declares nothing" in out.stderr and "empty.yaml" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_scenario_name_names_the_path():
    out = run("--port", "0", "--scenario", "no-such-scenario.yaml")
    assert out.returncode == 2 and "no-such-scenario.yaml" in out.stderr and "cannot read file" in out.stderr


def test_admin_token_leaves_only_health_open(servers):
    s = servers("--admin-token", "t0ken")
    s.wait_listening()
    assert s.get("/_emulator/health")[0] == 200
    import urllib.request
    head = urllib.request.Request(s.url + "/_emulator/health", method="HEAD")
    with urllib.request.urlopen(head, timeout=10) as resp:
        assert resp.status == 200
    for method, path in [("GET", "/_emulator/state"), ("GET", "/_emulator/apis"), ("POST", "/_emulator/reset"),
                         ("GET", "/_emulator/faults"), ("GET", "/_emulator/journal"),
                         ("GET", "/_emulator/openapi.json"), ("GET", "/_emulator/clock")]:
        status, body = s.request(method, path, headers={"X-Emulator-Token": "t0ken-"})
        assert status == 401 and "X-Emulator-Token" in body["error"], (method, path)
        assert s.request(method, path, headers={"X-Emulator-Token": "t0ken"})[0] == 200, (method, path)


# --- the event loop (--loop / IMEMU_LOOP) -----------------------------------------------------

@pytest.mark.parametrize("args,env,expected", [
    (["--loop", "asyncio"], {}, "asyncio"),
    (["--loop", "uvloop"], {}, "uvloop"),
    ([], {"IMEMU_LOOP": "asyncio"}, "asyncio"),
    ([], {}, "uvloop"),                     # auto: uvloop when importable (a dependency)
])
def test_loop_choice_serves_on_the_chosen_loop(servers, args, env, expected):
    pytest.importorskip("uvloop")
    s = servers(*args, "--log-level", "DEBUG", env=_env(**env))
    s.wait_listening()
    status, health = s.get("/_emulator/health")
    assert status == 200 and health["status"] == "ok"
    assert s.stop() < 5
    assert f"event loop: {expected}" in s.stderr()


def test_loop_factory_falls_back_only_on_auto(monkeypatch):
    import sys as _sys

    from emulator.cli import LoopUnavailable, loop_factory
    monkeypatch.setitem(_sys.modules, "uvloop", None)    # as if uvloop had no wheel here
    assert loop_factory("auto") == ("asyncio", None)
    assert loop_factory("asyncio") == ("asyncio", None)
    with pytest.raises(LoopUnavailable, match="uvloop is not installed"):
        loop_factory("uvloop")
