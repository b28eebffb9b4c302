"""emulator.testcontainers.IMEmulatorContainer against the real image, through a Docker-API
socket: Docker's when a daemon answers, else podman's Docker-compatible service started here
(podman set up as tests/test_docker.py does). Skips, saying why, when neither can run."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker
pytest.importorskip("testcontainers", reason="testcontainers is not installed (pip install 'im-emulator[testcontainers]')")

from tests.test_docker import ROOT, _container_engine, _ok  # noqa: E402

IMAGE = "localhost/im-emulator:testcontainers"
BUILD_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def docker_host(tmp_path_factory):
    """A DOCKER_HOST the docker SDK (and so testcontainers) can use."""
    engine, why = _container_engine()
    if engine is None:
        pytest.skip(f"no usable container engine: {why}")
    keys = ("DOCKER_HOST", "TESTCONTAINERS_RYUK_DISABLED", "TESTCONTAINERS_CONNECTION_MODE")
    saved = {k: os.environ.get(k) for k in keys}
    # Ryuk (the reaper) is an image from a registry this machine cannot reach; the fixtures below
    # stop what they start. The engine runs on this host, so its published ports are ours to reach
    # (testcontainers would guess a Docker-in-Docker gateway when this machine looks containerised).
    os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"
    os.environ["TESTCONTAINERS_CONNECTION_MODE"] = "docker_host"
    from testcontainers.core import config as tc_config
    from testcontainers.core.config import ConnectionMode
    monkey = pytest.MonkeyPatch()
    monkey.setattr(tc_config.testcontainers_config, "ryuk_disabled", True, raising=False)
    monkey.setattr(tc_config.testcontainers_config, "connection_mode_override", ConnectionMode.docker_host,
                   raising=False)
    service = None
    if engine == "podman":
        sock = Path(tempfile.mkdtemp(prefix="imemu-podman-")) / "podman.sock"
        service = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not sock.exists() and time.monotonic() < deadline and service.poll() is None:
            time.sleep(0.1)
        if not sock.exists():
            service.kill()
            pytest.skip(f"podman's Docker-compatible service did not start: "
                        f"{(service.stderr.read() or b'').decode(errors='replace')[-1000:]}")
        os.environ["DOCKER_HOST"] = f"unix://{sock}"
    yield engine
    monkey.undo()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    if service is not None:
        service.terminate()
        try:
            service.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.kill()


@pytest.fixture(scope="module")
def image(docker_host):
    cmd = [docker_host, "build", "-t", IMAGE]
    if docker_host == "podman":
        cmd += ["--format", "docker"]
        if _ok(["podman", "image", "exists", "python:3.11-slim"])[0]:
            cmd.append("--pull=never")
    ok, out = _ok([*cmd, str(ROOT)], timeout=BUILD_TIMEOUT_S)
    assert ok, f"image build failed:\n{out}"
    return IMAGE


def rc_headers() -> dict:
    nonce, ts = "tc1", str(int(time.time()))
    return {"App-Key": "uwd1c0sxdlx2", "Nonce": nonce, "Timestamp": ts,
            "Signature": hashlib.sha1(f"Y1W2MeFwwwRxa0{nonce}{ts}".encode()).hexdigest(),
            "Content-Type": "application/x-www-form-urlencoded"}


def test_container_waits_for_health_and_exposes_url(image):
    from emulator.testcontainers import IMEmulatorContainer

    with IMEmulatorContainer(image) as emu:
        assert emu.url.startswith("http://")
        with urllib.request.urlopen(emu.url + "/_emulator/health", timeout=5) as resp:
            assert json.loads(resp.read())["status"] == "ok"
        req = urllib.request.Request(emu.url + "/entrust/group/create.json", method="POST",
                                     data=b"groupId=tc1&name=n&owner=u", headers=rc_headers())
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.loads(resp.read()) == {"code": 200}
        assert [e["api"] for e in emu.journal(provider="rongcloud")] == ["entrust/group/create"]
        def group_ids():
            state = emu.control("GET", "/_emulator/state?provider=rongcloud")[1]
            return [g["groupId"] for g in state["rongcloud"]["uwd1c0sxdlx2"]["groups"]]
        assert "tc1" in group_ids()
        emu.reset()
        assert "tc1" not in group_ids()


def test_container_with_a_scenario_and_an_admin_token(image, tmp_path):
    from emulator.testcontainers import IMEmulatorContainer

    scenario = tmp_path / "mine.yaml"
    scenario.write_text("rongcloud:\n  apps:\n    - {app_key: mine, app_secret: s3cret}\n")
    scenario.chmod(0o644)
    with IMEmulatorContainer(image, scenario=scenario, admin_token="tok") as emu:
        assert emu.control("GET", "/_emulator/state")[1]["rongcloud"].keys() == {"mine"}
        req = urllib.request.Request(emu.url + "/_emulator/state")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 401


def test_a_container_that_cannot_start_fails_with_its_logs(image, tmp_path):
    from emulator.testcontainers import IMEmulatorContainer

    bad = tmp_path / "bad.yaml"
    bad.write_text("tencent:\n  apps:\n    - {sdkappid: nope}\n")
    bad.chmod(0o644)
    with pytest.raises(RuntimeError, match="exited before it was healthy"):
        with IMEmulatorContainer(image, scenario=bad, startup_timeout_s=30):
            pass


def test_url_and_helpers_without_an_engine_are_importable():
    assert shutil.which("python3")
    from emulator.testcontainers import IMEmulatorContainer
    assert callable(IMEmulatorContainer.start) and isinstance(IMEmulatorContainer.url, property)
