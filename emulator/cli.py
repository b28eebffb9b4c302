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
    "tls": "IMEMU_TLS", "tls_dir": "IMEMU_TLS_DIR",
    "data_dir": "IMEMU_DATA_DIR", "sync": "IMEMU_SYNC", "snapshot_every": "IMEMU_SNAPSHOT_EVERY",
    "journal_body_bytes": "IMEMU_JOURNAL_BODY_BYTES", "journal_max_bytes": "IMEMU_JOURNAL_MAX_BYTES",
    "max_connections": "IMEMU_MAX_CONNECTIONS", "header_timeout_s": "IMEMU_HEADER_TIMEOUT",
    "keepalive_timeout_s": "IMEMU_KEEPALIVE_TIMEOUT",
    "loop": "IMEMU_LOOP",
}


def _env(name: str, default):
    return os.environ.get(ENV[name], default)


class _Parser(argparse.ArgumentParser):
    """Mistakes get one line on stderr and exit 2: no usage block, never a traceback."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is out of range (0-65535; 0 picks a free port)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _env_value(p: argparse.ArgumentParser, name: str, convert, default):
    """An IMEMU_* value run through the flag's own check; a bad one names the variable."""
    raw = os.environ.get(ENV[name])
    if raw is None:
        return default
    try:
        return convert(raw)
    except argparse.ArgumentTypeError as exc:
        p.error(f"{ENV[name]}: {exc}")


def resolve_scenario_arg(value: str | Path | None) -> Path | None:
    """A path as given when it exists; else a shipped scenario by name (``empty.yaml`` or
    ``empty``), as the pytest marker accepts; else the path as given (its error names it)."""
    if value is None:
        return None
    p = Path(value)
    if p.exists():
        return p
    from emulator.settings import fixtures_dir
    for candidate in (fixtures_dir() / p.name, fixtures_dir() / f"{p.name}.yaml"):
        if not p.is_absolute() and p.parent == Path(".") and candidate.is_file():
            return candidate
    return p


def parse_args(argv: list[str] | None) -> Settings:
    d = Settings()
    p = _Parser(prog="im-emulator", description=(
        "Local emulator of the Tencent Cloud Chat, OpenIM and RongCloud server REST APIs. "
        "Every flag can also be set with the IMEMU_* variable named in its help."))
    p.add_argument("--host", default=_env("host", d.host), help="bind address [IMEMU_HOST, 127.0.0.1]")
    p.add_argument("--port", type=_port, default=_env_value(p, "port", _port, d.port),
                   help="port, 0 picks a free one [IMEMU_PORT, 8080]")
    p.add_argument("--scenario", type=Path, default=_env("scenario", None),
                   help="scenario YAML, or the name of a shipped one such as empty.yaml "
                        "[IMEMU_SCENARIO, the shipped fixtures/default.yaml]")
    p.add_argument("--state-file", type=Path, default=_env("state_file", None),
                   help="load state from here at start if it exists, save it here at exit [IMEMU_STATE_FILE]")
    p.add_argument("--journal-size", type=_positive,
                   default=_env_value(p, "journal_size", _positive, d.journal_size),
                   help="exchanges kept in the journal [IMEMU_JOURNAL_SIZE, 1000]")
    p.add_argument("--log-level", default=_env("log_level", d.log_level),
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
                   help="[IMEMU_LOG_LEVEL, INFO]")
    p.add_argument("--admin-token", default=_env("admin_token", None),
                   help="require header X-Emulator-Token on /_emulator/* [IMEMU_ADMIN_TOKEN]")
    p.add_argument("--tls", action="store_true",
                   default=os.environ.get(ENV["tls"], "").lower() in ("1", "true", "yes", "on"),
                   help="serve HTTPS with a certificate for 127.0.0.1/localhost made at start; the "
                        "CA file a client must trust is printed [IMEMU_TLS=1]; needs im-emulator[tls]")
    p.add_argument("--tls-dir", type=Path, default=_env("tls_dir", None),
                   help="with --tls: write ca.pem (and the server's cert.pem) here [IMEMU_TLS_DIR, a temp dir]")
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
    _add_limit_flags(p, d)
    p.add_argument("--loop", default=_env("loop", d.loop), choices=LOOPS,
                   help="event loop: uvloop (a libuv loop, ~1.3x the requests per CPU second) or "
                        "asyncio; auto picks uvloop when it is installed [IMEMU_LOOP, auto]")
    p.add_argument("--version", action="version", version=f"im-emulator {__version__}")
    p.epilog = ("Credentials, offline: im-emulator sign tencent|gateway|rongcloud, "
                "im-emulator token openim (see im-emulator sign -h).")
    a = p.parse_args(argv)
    if a.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        p.error(f"{ENV['log_level']}: {a.log_level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    if a.sync not in ("normal", "full"):   # argparse does not check a default from the environment
        p.error(f"--sync / IMEMU_SYNC must be normal or full, not {a.sync!r}")
    if a.loop not in LOOPS:
        p.error(f"--loop / IMEMU_LOOP must be one of {', '.join(LOOPS)}, not {a.loop!r}")
    return Settings(host=a.host, port=a.port, scenario=resolve_scenario_arg(a.scenario), state_file=a.state_file,
                    journal_size=a.journal_size, log_level=a.log_level.upper(), admin_token=a.admin_token,
                    tls=a.tls, tls_dir=a.tls_dir, data_dir=a.data_dir, sync=a.sync,
                    snapshot_every=a.snapshot_every, loop=a.loop,
                    **{name: getattr(a, name) for name in LIMIT_FLAGS})


# The reliability limits (README "Reliability"): Settings field -> (flag, type, help).
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


LIMIT_FLAGS = {
    "journal_body_bytes": ("--journal-body-bytes", _positive, "bytes kept of each journalled body"),
    "journal_max_bytes": ("--journal-max-bytes", _positive, "bytes of bodies the journal keeps in all"),
    "max_connections": ("--max-connections", _positive, "open connections served; more get a 503"),
    "header_timeout_s": ("--header-timeout", _positive_float,
                         "seconds a new connection has to send a request head"),
    "keepalive_timeout_s": ("--keepalive-timeout", _positive_float,
                            "seconds an idle keep-alive connection stays open"),
}


def _add_limit_flags(p: argparse.ArgumentParser, d: Settings) -> None:
    for name, (flag, kind, text) in LIMIT_FLAGS.items():
        default = getattr(d, name)
        p.add_argument(flag, dest=name, type=kind, default=_env_value(p, name, kind, default),
                       help=f"{text} [{ENV[name]}, {default:,}]")


LOOPS = ("auto", "asyncio", "uvloop")


class LoopUnavailable(Exception):
    pass


def loop_factory(choice: str):
    """(name, factory for asyncio.Runner): uvloop's libuv loop when chosen, or on auto when it is
    importable (it is a dependency; a platform without a wheel falls back to asyncio)."""
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                raise LoopUnavailable("--loop uvloop: uvloop is not installed (pip install uvloop)") from None
        else:
            return "uvloop", uvloop.new_event_loop
    return "asyncio", None


class TLSUnavailable(Exception):
    pass


def make_tls(settings: Settings):
    """(server SSLContext, CA file): a throw-away CA (trustme) and a certificate it signs for
    127.0.0.1, ::1 and localhost; the CA is written to ca.pem so a client can trust it."""
    import ssl
    import tempfile
    try:
        import trustme
    except ImportError:
        raise TLSUnavailable("--tls needs trustme: pip install 'im-emulator[tls]'") from None
    ca = trustme.CA(organization_name="im-emulator local CA")
    cert = ca.issue_cert("127.0.0.1", "::1", "localhost")
    folder = Path(settings.tls_dir) if settings.tls_dir else Path(tempfile.mkdtemp(prefix="im-emulator-tls-"))
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)  # the key stays in memory
    return ctx, ca_file


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
    from emulator.core import connections, gctune

    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S,
                           **connections.runner_options(settings))
    await runner.setup()   # a durable --data-dir restores its state here
    gctune.tune()   # the loaded state is frozen out of the collector's walks (README Reliability)
    ssl_ctx, ca_file = make_tls(settings) if settings.tls else (None, None)
    site = connections.make_site(runner, settings, fd_soft=connections.raise_fd_limit(),
                                 reuse_address=True, ssl_context=ssl_ctx)
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
    if ssl_ctx is None:
        print(f"im-emulator listening on http://{settings.host}:{port}", flush=True)
    else:
        print(f"im-emulator listening on https://{settings.host}:{port} (CA certificate: {ca_file})",
              flush=True)
    await stop.wait()
    # Stops accepting, lets in-flight requests finish, then on_cleanup saves (app.persist_at_exit).
    await runner.cleanup()
    return app[RUNTIME].shutdown_errors


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
    from emulator.core.connections import install_log_filter
    install_log_filter()  # a repeated error is logged once, then with its count
    from emulator.core.errors import ScenarioError
    from emulator.core.persist import PersistError
    try:
        loop_name, factory = loop_factory(settings.loop)
        logging.getLogger("emulator").debug("event loop: %s", loop_name)
        with asyncio.Runner(loop_factory=factory) as runner:
            errors = runner.run(serve(settings))
    except (TLSUnavailable, LoopUnavailable) as exc:
        print(f"im-emulator: {exc}", file=sys.stderr)
        return 2
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
