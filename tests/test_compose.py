"""docker-compose.yml and the README's GitHub Actions snippet: their health checks really tell a
healthy emulator from a missing one (run here against a local server; no compose tool needed)."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from tests.test_cli import _env, servers  # noqa: F401  (servers: fixture)

ROOT = Path(__file__).resolve().parent.parent


def compose_health() -> list[str]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svc = doc["services"]["im-emulator"]
    assert svc["ports"] == ["127.0.0.1:8080:8080"]
    test = svc["healthcheck"]["test"]
    assert test[0] == "CMD", "exec form: no shell needed in the image"
    assert test[1] == "python"
    return test[1:]


def actions_health() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"### GitHub Actions\n.*?```yaml\n(.*?)```", text, re.S).group(1)
    svc = yaml.safe_load(snippet)["jobs"]["test"]["services"]["im-emulator"]
    assert svc["ports"] == ["8080:8080"]
    opts = shlex.split(svc["options"])
    assert {"--health-interval", "--health-retries"} <= set(opts)
    return shlex.split(opts[opts.index("--health-cmd") + 1])  # docker runs it with /bin/sh -c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], port: int) -> int:
    # the check's command as the container runs it, with this machine's Python and port
    cmd = [sys.executable if cmd[0] == "python" else cmd[0],
           *[c.replace("8080", str(port)) for c in cmd[1:]]]
    return subprocess.run(cmd, env=_env(IMEMU_PORT=str(port)), capture_output=True, timeout=30).returncode


def test_health_checks_pass_on_a_healthy_emulator_and_fail_without_one(servers):
    s = servers()
    port = int(s.wait_listening()["port"])
    for cmd in (compose_health(), actions_health()):
        assert run(cmd, port) == 0, cmd
        assert run(cmd, free_port()) != 0, cmd


def test_health_check_works_with_an_admin_token(servers):
    s = servers("--admin-token", "secret")
    port = int(s.wait_listening()["port"])
    assert run(compose_health(), port) == 0
