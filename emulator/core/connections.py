"""Connection limits for the listening socket: what one misbehaving client may hold.

- a header-read timeout: a new connection that has not sent a whole request head within
  ``header_timeout`` is closed (slowloris, idle sockets that never speak);
- a keep-alive timeout: aiohttp closes a connection idle between requests after it;
- a connection cap: connections beyond ``max_connections`` get an immediate JSON 503 and are
  closed, so the descriptors never run out and the server stays reachable;
- the descriptor soft limit is raised at start where the hard limit allows, and the cap is kept
  below it;
- a repeated log record (same logger, message and exception type) is written once, then once more
  with its count when the burst is over, so a flood cannot fill the disk.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger("emulator.connections")

# Descriptors kept free besides the connection cap: the listening socket, log and state files,
# the event loop's own.
FD_RESERVE = 64
# The soft limit asked for when the hard limit is unlimited.
FD_WANTED = 65536

REFUSAL = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
           b"Connection: close\r\nRetry-After: 1\r\nContent-Length: %d\r\n\r\n%s")
REFUSAL_BODY = b'{"error":"too many connections","max_connections":%d}'


def raise_fd_limit(wanted: int = FD_WANTED) -> int | None:
    """Raise RLIMIT_NOFILE's soft limit towards the hard one; return the soft limit in force
    (None where the platform has no such limit)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the descriptor limit from %d to %d: %s", soft, target, exc)
    return None if soft == resource.RLIM_INFINITY else soft


def effective_cap(max_connections: int, fd_soft: int | None) -> int:
    """The connection cap actually enforced: the setting, kept below the descriptor limit."""
    if fd_soft is None:
        return max_connections
    return max(1, min(max_connections, fd_soft - FD_RESERVE))


class _Handler(RequestHandler):
    """aiohttp's handler plus a timer that closes a connection with no request head in time."""

    def __init__(self, *args, header_timeout: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head_timer = self._loop.call_later(self._header_timeout, self._no_head)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_timer is not None and self._request_count:
            self._head_timer.cancel()
            self._head_timer = None
            # the timer was for the first head only: from now on the transport calls aiohttp's
            # own method directly (an instance attribute), without this wrapper's frame
            self.data_received = RequestHandler.data_received.__get__(self)

    def connection_lost(self, exc) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self.__dict__.pop("data_received", None)   # the bound method refers to self: no cycle left
        super().connection_lost(exc)

    def _no_head(self) -> None:
        self._head_timer = None
        if not self._request_count:
            self.force_close()
            if self.transport is not None:
                self.transport.close()


class _Refuse(asyncio.Protocol):
    """Over the cap: answer 503 at once and close, without reading the request."""

    def __init__(self, cap: int, on_refuse) -> None:
        self._body = REFUSAL_BODY % cap
        self._on_refuse = on_refuse

    def connection_made(self, transport) -> None:
        self._on_refuse()
        transport.write(REFUSAL % (len(self._body), self._body))
        transport.close()

    def data_received(self, data: bytes) -> None:
        pass


class LimitedSite(web.TCPSite):
    """A TCPSite whose connections go through the limits above."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, *, max_connections: int,
                 header_timeout: float, **kwargs) -> None:
        super().__init__(runner, host, port, **kwargs)
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.refused = 0

    def _count_refusal(self) -> None:
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            log.warning("connection cap %d reached: %d connection(s) refused so far",
                        self.max_connections, self.refused)

    def _protocol(self) -> asyncio.BaseProtocol:
        server = self._runner.server
        if len(server._connections) >= self.max_connections:
            return _Refuse(self.max_connections, self._count_refusal)
        return _Handler(server, loop=server._loop, header_timeout=self.header_timeout,
                        **server._kwargs)

    async def start(self) -> None:
        # TCPSite.start with our protocol factory in place of the runner's Server.
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, self._host, self._port, ssl=self._ssl_context, backlog=self._backlog,
            reuse_address=self._reuse_address, reuse_port=self._reuse_port)
        self._bound_port = self._server.sockets[0].getsockname()[1]


def runner_options(settings) -> dict:
    """AppRunner keyword arguments for the limits aiohttp enforces itself."""
    return {"keepalive_timeout": settings.keepalive_timeout_s}


def make_site(runner: web.AppRunner, settings, *, fd_soft: int | None = None, **kwargs) -> LimitedSite:
    return LimitedSite(runner, settings.host, settings.port,
                       max_connections=effective_cap(settings.max_connections, fd_soft),
                       header_timeout=settings.header_timeout_s, **kwargs)


class OnceFilter(logging.Filter):
    """Lets the first of a run of identical records through; the repeats within ``window``
    seconds are counted and reported once, on the first record after the window."""

    def __init__(self, window: float = 60.0) -> None:
        super().__init__()
        self.window = window
        self._seen: dict[tuple, list] = {}  # key -> [first time, suppressed count]

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        key = (record.name, record.levelno, record.getMessage()[:200], exc)
        now = time.monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            record.msg = f"{record.msg} (repeated {seen[1]} more time(s) in the last {now - seen[0]:.0f} s)"
        if len(self._seen) > 1000:  # bounded: forget old keys
            self._seen.clear()
        self._seen[key] = [now, 0]
        return True


def install_log_filter(window: float = 60.0) -> OnceFilter:
    """Put one OnceFilter on the handlers of the root logger (where every record ends up)."""
    f = OnceFilter(window)
    for handler in logging.getLogger().handlers:
        handler.addFilter(f)
    return f
