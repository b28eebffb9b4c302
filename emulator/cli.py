"""`im-emulator` / `python -m emulator`: flags (each with an IMEMU_* variable) -> Settings -> run."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from aiohttp import web

from emulator import __version__
from emulator.settings import Settings

ENV = {
    "host": "IMEMU_HOST", "port": "IMEMU_PORT", "scenario": "IMEMU_SCENARIO",
    "state_file": "IMEMU_STATE_FILE", "journal_size": "IMEMU_JOURNAL_SIZE",
    "log_level": "IMEMU_LOG_LEVEL", "admin_token": "IMEMU_ADMIN_TOKEN",
    "data_dir": "IMEMU_DATA_DIR", "sync": "IMEMU_SYNC", "snapshot_every": "IMEMU_SNAPSHOT_EVERY",
}


def _env(name: str, default):
    return os.environ.get(ENV[name], default)


def parse_args(argv: list[str] | None) -> Settings:
    d = Settings()
    p = argparse.ArgumentParser(prog="im-emulator", description=(
        "Local emulator of the Tencent Cloud Chat, OpenIM and RongCloud server REST APIs. "
        "Every flag can also be set with the IMEMU_* variable named in its help."))
    p.add_argument("--host", default=_env("host", d.host), help="bind address [IMEMU_HOST, 127.0.0.1]")
    p.add_argument("--port", type=int, default=int(_env("port", d.port)),
                   help="port, 0 picks a free one [IMEMU_PORT, 8080]")
    p.add_argument("--scenario", type=Path, default=_env("scenario", None),
                   help="scenario YAML [IMEMU_SCENARIO, the shipped fixtures/default.yaml]")
    p.add_argument("--state-file", type=Path, default=_env("state_file", None),
                   help="load state from here at start if it exists, save it here at exit [IMEMU_STATE_FILE]")
    p.add_argument("--journal-size", type=int, default=int(_env("journal_size", d.journal_size)),
                   help="exchanges kept in the journal [IMEMU_JOURNAL_SIZE, 1000]")
    p.add_argument("--log-level", default=_env("log_level", d.log_level),
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
                   help="[IMEMU_LOG_LEVEL, INFO]")
    p.add_argument("--admin-token", default=_env("admin_token", None),
                   help="require header X-Emulator-Token on /_emulator/* [IMEMU_ADMIN_TOKEN]")
    p.add_argument("--data-dir", type=Path, default=_env("data_dir", None),
                   help="durable state: every answered write is in DIR/state.db (SQLite, WAL) before "
                        "its reply leaves; a restart, even after kill -9, resumes from it [IMEMU_DATA_DIR]")
    p.add_argument("--sync", default=_env("sync", d.sync), choices=["normal", "full"],
                   help="with --data-dir: normal survives a killed process, full also a power loss "
                        "(an fsync per commit) [IMEMU_SYNC, normal]")
    p.add_argument("--snapshot-every", default=_env("snapshot_every", d.snapshot_every),
                   type=_positive_int("--snapshot-every"),
                   help="with --data-dir: logged writes between snapshots, the most a restart "
                        "replays [IMEMU_SNAPSHOT_EVERY, 10000]")
    p.add_argument("--version", action="version", version=f"im-emulator {__version__}")
    a = p.parse_args(argv)
    if a.journal_size < 1:
        p.error("--journal-size must be at least 1")
    if a.sync not in ("normal", "full"):   # argparse does not check a default from the environment
        p.error(f"--sync / IMEMU_SYNC must be normal or full, not {a.sync!r}")
    return Settings(host=a.host, port=a.port, scenario=a.scenario, state_file=a.state_file,
                    journal_size=a.journal_size, log_level=a.log_level.upper(), admin_token=a.admin_token,
                    data_dir=a.data_dir, sync=a.sync, snapshot_every=a.snapshot_every)


def _positive_int(flag: str):
    def conv(text) -> int:
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number, not {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be at least 1")
        return value
    return conv


class ListenError(Exception):
    pass


# How long a SIGTERM waits for in-flight requests (a delay fault, a slow client) before it cancels
# them; cancelled ones were never answered, and nothing a cancelled request did is half-applied.
SHUTDOWN_TIMEOUT_S = 10.0


async def serve(settings: Settings) -> list[str]:
    """Run until SIGTERM/SIGINT; the messages of whatever failed while saving at exit."""
    from emulator.app import RUNTIME, create_app

    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ListenError(exc.strerror or str(exc)) from None
    # Handlers first: a signal sent as soon as the line appears must stop the server cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    port = site._server.sockets[0].getsockname()[1]  # the real port when --port 0
    print(f"im-emulator listening on http://{settings.host}:{port}", flush=True)
    await stop.wait()
    # Stops accepting, lets in-flight requests finish, then on_cleanup saves (app.persist_at_exit).
    await runner.cleanup()
    return app[RUNTIME].shutdown_errors


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from emulator.core.errors import ScenarioError
    from emulator.core.persist import PersistError
    try:
        errors = asyncio.run(serve(settings))
    except ScenarioError as exc:
        print(f"im-emulator: invalid scenario\n{exc}", file=sys.stderr)
        return 2
    except ListenError as exc:
        print(f"im-emulator: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    except PersistError as exc:   # a state file or database that cannot be used: nothing started
        print(f"im-emulator: {exc}", file=sys.stderr)
        return 2
    for message in errors:
        print(f"im-emulator: at exit: {message}", file=sys.stderr)
    return 1 if errors else 0
