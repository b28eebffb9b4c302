"""Every process-wide knob, documented once. Per-tenant knobs live in the scenario files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def default_scenario_path() -> Path:
    """The shipped fixtures/default.yaml, found from the installed package (editable or not)."""
    return fixtures_dir() / "default.yaml"


def fixtures_dir() -> Path:
    # the package's own directory (importlib.resources and the zipfile it loads cost ~2 ms of
    # every start; the fixtures are read as files anyway, so a zipped install was never usable)
    import emulator.fixtures
    return Path(emulator.fixtures.__file__).parent


@dataclass
class Settings:
    host: str = "127.0.0.1"          # --host / IMEMU_HOST
    port: int = 8080                 # --port / IMEMU_PORT; 0 picks a free port
    scenario: Path | None = None     # --scenario / IMEMU_SCENARIO; None = default.yaml
    state_file: Path | None = None   # --state-file / IMEMU_STATE_FILE: load at start, save at exit
    journal_size: int = 1000         # --journal-size / IMEMU_JOURNAL_SIZE: ring-buffer length
    log_level: str = "INFO"          # --log-level / IMEMU_LOG_LEVEL
    admin_token: str | None = None   # --admin-token / IMEMU_ADMIN_TOKEN: guards /_emulator/*
    tls: bool = False                # --tls / IMEMU_TLS: HTTPS with a certificate made at start
    tls_dir: Path | None = None      # --tls-dir / IMEMU_TLS_DIR: where ca.pem goes (default: a temp dir)
    data_dir: Path | None = None     # --data-dir / IMEMU_DATA_DIR: durable state (core/persist.py)
    sync: str = "normal"             # --sync / IMEMU_SYNC: normal (survives kill -9) or full (power loss)
    snapshot_every: int = 10_000     # --snapshot-every / IMEMU_SNAPSHOT_EVERY: log entries per snapshot
    loop: str = "auto"               # --loop / IMEMU_LOOP: auto (uvloop when importable), asyncio, uvloop
    # Largest request body read; bigger bodies are refused by the provider's own rule when it has
    # one (RongCloud: 1508 over 100 KB), otherwise by this cap.
    max_body_bytes: int = 16 * 1024 * 1024
    providers: tuple[str, ...] = field(default=("tencent", "openim", "rongcloud"))
    # Reliability limits (README "Reliability"): a shared CI container must survive one bad client.
    journal_body_bytes: int = 64 * 1024        # --journal-body-bytes / IMEMU_JOURNAL_BODY_BYTES:
                                               # prefix of each body the journal keeps
    journal_max_bytes: int = 32 * 1024 * 1024  # --journal-max-bytes / IMEMU_JOURNAL_MAX_BYTES:
                                               # kept bodies in all; oldest entries go first
    max_connections: int = 1000      # --max-connections / IMEMU_MAX_CONNECTIONS: more get a 503
    header_timeout_s: float = 10.0   # --header-timeout / IMEMU_HEADER_TIMEOUT: a new connection
                                     # must send a whole request head within this
    keepalive_timeout_s: float = 75.0  # --keepalive-timeout / IMEMU_KEEPALIVE_TIMEOUT: idle
                                       # keep-alive connections close after this

    def scenario_path(self) -> Path:
        return Path(self.scenario) if self.scenario else default_scenario_path()
