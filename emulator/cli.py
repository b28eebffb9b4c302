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
    p.add_argument("--version", action="version", version=f"im-emulator {__version__}")
    p.epilog = ("Credentials, offline: im-emulator sign tencent|gateway|rongcloud, "
                "im-emulator token openim (see im-emulator sign -h).")
    a = p.parse_args(argv)
    if a.journal_size < 1:
        p.error("--journal-size must be at least 1")
    return Settings(host=a.host, port=a.port, scenario=a.scenario, state_file=a.state_file,
                    journal_size=a.journal_size, log_level=a.log_level.upper(), admin_token=a.admin_token)


async def serve(settings: Settings) -> None:
    from emulator.app import create_app

    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
    await site.start()
    # Handlers first: a signal sent as soon as the line appears must stop the server cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    port = site._server.sockets[0].getsockname()[1]  # the real port when --port 0
    print(f"im-emulator listening on http://{settings.host}:{port}", flush=True)
    await stop.wait()
    await runner.cleanup()  # runs on_shutdown: the state file is written here


# Subcommands that mint credentials offline (cli_credentials.py); anything else starts the server.
CREDENTIAL_COMMANDS = ("sign", "token")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in CREDENTIAL_COMMANDS:
        from emulator.cli_credentials import run
        return run(list(args))
    settings = parse_args(argv)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from emulator.core.errors import ScenarioError
    try:
        asyncio.run(serve(settings))
    except ScenarioError as exc:
        print(f"im-emulator: invalid scenario\n{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"im-emulator: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    except ValueError as exc:  # a state file that is not JSON
        print(f"im-emulator: cannot read state file {settings.state_file}: {exc}", file=sys.stderr)
        return 2
    return 0
