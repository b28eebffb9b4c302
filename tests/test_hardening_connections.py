"""Connection limits (issue 17): idle and silent sockets are closed, a connection cap answers a
clear 503, the descriptor limit is raised, and a repeated error is logged once with a count.
Loopback only, small numbers, a few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
import pytest
from aiohttp import web

from emulator.app import create_app
from emulator.core import connections
from emulator.settings import Settings

GET = b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n"


@contextlib.asynccontextmanager
async def served(**limits):
    settings = Settings(host="127.0.0.1", port=0, **limits)
    runner = web.AppRunner(create_app(settings), access_log=None, shutdown_timeout=0.1,
                           **connections.runner_options(settings))
    await runner.setup()
    site = connections.make_site(runner, settings)
    await site.start()
    try:
        yield site, site.port
    finally:
        await runner.cleanup()


async def read_reply(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    status = int(head.split(b" ", 2)[1])
    length = int([ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")][0]
                 .split(b":")[1])
    return status, await asyncio.wait_for(reader.readexactly(length), 2)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), seconds) == b""
    except (asyncio.TimeoutError, ConnectionResetError):
        return False


async def test_silent_and_slow_connections_are_closed_at_the_header_timeout():
    async with served(header_timeout_s=0.3, keepalive_timeout_s=5) as (_, port):
        silent = await asyncio.open_connection("127.0.0.1", port)
        slow = await asyncio.open_connection("127.0.0.1", port)
        slow[1].write(b"GET /_emulator/health HTTP/1.1\r\nHost:")   # never finished
        assert await closed_within(silent[0], 2)
        assert await closed_within(slow[0], 2)
        # a client that speaks at once is served as before
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(GET)
        assert (await read_reply(r))[0] == 200
        w.close()


async def test_idle_keepalive_connections_close_after_the_keepalive_timeout():
    async with served(header_timeout_s=5, keepalive_timeout_s=0.3) as (_, port):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(GET)
        assert (await read_reply(r))[0] == 200
        # the header timer is for the first request only; idleness after it is keep-alive's
        assert await closed_within(r, 2.5)


async def test_connections_over_the_cap_get_a_json_503_and_the_server_stays_reachable():
    cap = 40
    async with served(max_connections=cap, header_timeout_s=0.8) as (site, port):
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(cap)]
        await asyncio.sleep(0.05)
        r, w = await asyncio.open_connection("127.0.0.1", port)
        status, body = await read_reply(r)
        assert status == 503
        assert orjson.loads(body) == {"error": "too many connections", "max_connections": cap}
        assert site.refused == 1
        # the held sockets never spoke: the header timeout frees them, service comes back
        for reader, _ in held:
            assert await closed_within(reader, 3)
        await asyncio.sleep(0.05)
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(GET)
        assert (await read_reply(r))[0] == 200
        w.close()
        for _, writer in held:
            writer.close()


def test_cap_stays_below_the_descriptor_limit_and_the_soft_limit_is_raised():
    resource = pytest.importorskip("resource")
    assert connections.effective_cap(900, 1024) == 900
    assert connections.effective_cap(1100, 1024) == 1024 - connections.FD_RESERVE
    assert connections.effective_cap(1100, None) == 1100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        got = connections.raise_fd_limit(wanted=soft + 1 if hard == resource.RLIM_INFINITY or
                                         soft < hard else soft)
        now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert got == now and now >= soft
        if soft < hard:
            assert now == soft + 1
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_repeated_error_is_logged_once_then_with_its_count(caplog):
    f = connections.OnceFilter(window=60)
    logger = logging.getLogger("emulator.test_flood")
    caplog.handler.addFilter(f)
    try:
        with caplog.at_level(logging.ERROR, logger="emulator.test_flood"):
            for _ in range(500):
                try:
                    raise OSError(24, "Too many open files")
                except OSError:
                    logger.exception("socket.accept() out of system resource")
            logger.error("another problem")
            assert len(caplog.records) == 2
            f.window = 0   # the burst is over: the next one says how many were held back
            logger.exception("socket.accept() out of system resource", exc_info=OSError(24, "x"))
    finally:
        caplog.handler.removeFilter(f)
    assert len(caplog.records) == 3
    assert "repeated 499 more time(s)" in caplog.records[-1].getMessage()


def test_limit_flags_and_variables(monkeypatch):
    from emulator.cli import parse_args
    s = parse_args([])
    assert (s.max_connections, s.header_timeout_s, s.keepalive_timeout_s) == (1000, 10.0, 75.0)
    assert (s.journal_body_bytes, s.journal_max_bytes) == (65536, 32 * 2**20)
    monkeypatch.setenv("IMEMU_MAX_CONNECTIONS", "7")
    monkeypatch.setenv("IMEMU_JOURNAL_BODY_BYTES", "1024")
    s = parse_args(["--header-timeout", "2.5", "--journal-max-bytes", "99999"])
    assert (s.max_connections, s.header_timeout_s, s.journal_body_bytes, s.journal_max_bytes) == (
        7, 2.5, 1024, 99999)
    with pytest.raises(SystemExit):
        parse_args(["--max-connections", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--keepalive-timeout", "-1"])
