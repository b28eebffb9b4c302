"""Run the im-emulator image from Python tests with testcontainers, for teams that use the image
rather than the in-process pytest fixture (``pip install 'im-emulator[testcontainers]'``)::

    from emulator.testcontainers import IMEmulatorContainer

    with IMEmulatorContainer("im-emulator:latest") as emu:
        client = MyBackend(base_url=emu.url)
        ...
        assert emu.journal(provider="rongcloud")

``start()`` returns once ``GET /_emulator/health`` answers 200 (the container's own HEALTHCHECK is
not relied on: podman ignores it for images built in OCI format). Any Docker-API engine works:
Docker, or podman's Docker-compatible socket (``DOCKER_HOST=unix:///run/podman/podman.sock``).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

try:
    from testcontainers.core.container import DockerContainer
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("emulator.testcontainers needs testcontainers: "
                      "pip install 'im-emulator[testcontainers]'") from exc

CONTAINER_PORT = 8080            # the image's IMEMU_PORT
SCENARIO_IN_CONTAINER = "/scenario/scenario.yaml"


class IMEmulatorContainer(DockerContainer):
    """The im-emulator image as a testcontainers container.

    ``scenario``: a YAML file on the host, mounted read-only and loaded at start (default: the
    image's default scenario). ``admin_token``: guards the control plane; the helpers send it.
    ``bind_host``: the host interface the port is published on; loopback by default (the
    credentials are public test values), ``None`` for every interface (a remote engine).
    """

    def __init__(self, image: str = "im-emulator:latest", *, scenario: str | Path | None = None,
                 admin_token: str | None = None, bind_host: str | None = "127.0.0.1",
                 startup_timeout_s: float = 60.0, **kwargs) -> None:
        super().__init__(image, **kwargs)
        self.admin_token = admin_token
        self.startup_timeout_s = startup_timeout_s
        if bind_host is None:
            self.with_exposed_ports(CONTAINER_PORT)
        else:  # a free port on that interface only (docker SDK port binding: (host ip,))
            self.ports[f"{CONTAINER_PORT}/tcp"] = (bind_host,)  # type: ignore[assignment]
        self.with_env("IMEMU_PORT", str(CONTAINER_PORT))
        if scenario is not None:
            path = Path(scenario).resolve()
            if not path.is_file():
                raise FileNotFoundError(f"scenario {path} not found")
            self.with_volume_mapping(str(path), SCENARIO_IN_CONTAINER, "ro")
            self.with_env("IMEMU_SCENARIO", SCENARIO_IN_CONTAINER)
        if admin_token is not None:
            self.with_env("IMEMU_ADMIN_TOKEN", admin_token)

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> "IMEmulatorContainer":
        super().start()
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        last = "no answer yet"
        while time.monotonic() < deadline:
            self.get_wrapped_container().reload()
            if self.get_wrapped_container().status in ("exited", "dead"):
                raise RuntimeError(f"im-emulator container exited before it was healthy:\n{self._logs()}")
            try:
                status, body = self.control("GET", "/_emulator/health")
                if status == 200 and body.get("status") == "ok":
                    return
                last = f"HTTP {status}: {body}"
            except (OSError, ValueError) as exc:  # refused/reset while starting; port not mapped yet
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(f"im-emulator not healthy within {self.startup_timeout_s}s ({last}):\n{self._logs()}")

    def _logs(self) -> str:
        out, err = self.get_logs()
        return (out + err).decode(errors="replace")[-4000:]

    # --- where it is ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of every provider and the control plane, e.g. http://127.0.0.1:32771."""
        host = self.get_container_host_ip()
        if host in ("localhost", "0.0.0.0"):
            host = "127.0.0.1"
        return f"http://{host}:{self.get_exposed_port(CONTAINER_PORT)}"

    # --- control plane ----------------------------------------------------------------------
    def control(self, method: str, path: str, body=None) -> tuple[int, dict]:
        """One control-plane call: (HTTP status, JSON reply)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.admin_token is not None:
            headers["X-Emulator-Token"] = self.admin_token
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def _ok(self, method: str, path: str, body=None):
        status, reply = self.control(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {reply}")
        return reply

    def reset(self) -> dict:
        """State back to the scenario the container started with."""
        return self._ok("POST", "/_emulator/reset")

    def journal(self, **filters) -> list[dict]:
        """The recorded exchanges, oldest first (filters: provider, api, tenant, limit)."""
        query = "&".join(f"{k}={v}" for k, v in filters.items() if v is not None)
        return self._ok("GET", "/_emulator/journal" + (f"?{query}" if query else ""))["entries"]

    def add_fault(self, **spec) -> dict:
        return self._ok("POST", "/_emulator/faults", spec)
