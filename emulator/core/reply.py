"""A JSON reply written to the socket in one piece, without aiohttp's header machinery.

``web.Response`` builds a case-insensitive header multidict per reply, then ``prepare`` walks
it (cookies, compression, chunking, content-type default, connection rule) and serialises it,
and ``write_eof`` joins head and body: ~10 us of every emulated request, more than the
emulator's own routing. Every provider reply is the same shape — a complete JSON body, a
status, at most a constant header or two — so ``JsonReply`` writes the same bytes
``web.Response`` would (same header order, the same Date and Server values, the same
Connection rule for HTTP/1.0 and 1.1, HEAD without its body) from one format string.

What it does not do, it leaves to ``web.Response`` (``json_reply`` decides): a status that
must not carry a body (1xx, 204, 304), an HTTP version other than 1.0/1.1, and an app that
registers ``on_response_prepare`` handlers (the emulator registers none; app.EmulatorApp
says at freeze whether there are any, so a future one keeps working).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE, HttpVersion10, HttpVersion11
from aiohttp.web_response import REASON_PHRASES

_SERVER = SERVER_SOFTWARE.encode("ascii")
_EMPTY_BODY = frozenset({204, 304})
# (HTTP minor version, status, id of the extra headers) -> (extra headers, the head up to the
# Content-Length value): a handful of entries (statuses x two header sets), built on first use.
_HEADS: dict[tuple, tuple] = {}
# [the Date value aiohttp last gave (it changes once a second), the Date and Server lines for it]
_DATE: list = ["", b""]
_CONNECTION = {(0, True): b"Connection: keep-alive\r\n\r\n", (0, False): b"\r\n",
               (1, True): b"\r\n", (1, False): b"Connection: close\r\n\r\n"}


def _head(minor: int, status: int, extra: dict | None) -> bytes:
    """``HTTP/1.x <status> <reason>``, the extra headers, Content-Type, ``Content-Length: ``."""
    key = (minor, status, id(extra))
    hit = _HEADS.get(key)
    if hit is not None and hit[0] is extra:
        return hit[1]
    lines = [f"HTTP/1.{minor} {status} {REASON_PHRASES.get(status, '')}\r\n"]
    for k, v in (extra or {}).items():
        if any(c in f"{k}{v}" for c in "\r\n\0"):
            raise ValueError(f"header {k!r} carries a line break")
        lines.append(f"{k}: {v}\r\n")
    lines.append("Content-Type: application/json; charset=utf-8\r\nContent-Length: ")
    head = "".join(lines).encode("latin-1")
    if len(_HEADS) < 256:   # providers use a few statuses and one or two header dicts
        _HEADS[key] = (extra, head)   # the dict kept with it: its id cannot be reused
    return head


def _date_server() -> bytes:
    """``Date: ...`` (aiohttp's own value, cached per second) and ``Server: ...`` lines."""
    date = rfc822_formatted_time()
    if date is not _DATE[0]:
        _DATE[1] = b"Date: %s\r\nServer: %s\r\n" % (date.encode("ascii"), _SERVER)
        _DATE[0] = date
    return _DATE[1]


class JsonReply(web.StreamResponse):
    """A prepared JSON reply: ``prepare`` writes status line, headers and body at once."""

    def __init__(self, status: int, body: bytes, headers: dict | None, close: bool) -> None:
        # StreamResponse.__init__ would build the header multidict this class exists to avoid;
        # ``headers`` below builds it on demand for code that asks.
        self._state = {}
        self._status = status
        self._reason = REASON_PHRASES.get(status, "")
        self._json = body
        self._extra = headers
        if close:
            self._keep_alive = False

    @property
    def headers(self):  # type: ignore[override]
        h = self.__dict__.get("_headers")
        if h is None:
            from multidict import CIMultiDict
            h = self._headers = CIMultiDict(self._extra or {})
            h["Content-Type"] = "application/json; charset=utf-8"
            h["Content-Length"] = str(len(self._json))
        return h

    @property
    def body(self) -> bytes:
        return self._json

    async def prepare(self, request: web.BaseRequest):
        if self._eof_sent:
            return None
        writer = request._payload_writer
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = self._keep_alive = request.keep_alive
        minor = request.version.minor
        body = self._json
        head = b"%s%d\r\n%s%s" % (_head(minor, self._status, self._extra), len(body), _date_server(),
                                   _CONNECTION[minor, bool(keep_alive)])
        self._payload_writer = writer
        self._req = request
        # HEAD: the headers of the reply a POST would get, no body (as web.Response does)
        writer._write(head if request.method == "HEAD" else head + body)
        self._eof_sent = True
        self._body_length = writer.output_size
        await writer.drain()
        self._payload_writer = None
        self._req = None
        return None


def supported() -> bool:
    """Whether this aiohttp has the internals JsonReply writes through (checked once, at the
    app's freeze): the response and payload-writer attributes of aiohttp 3.10-3.14. Without
    them every reply goes through web.Response, which is always right, only slower."""
    from aiohttp.http_writer import StreamWriter
    probe = web.StreamResponse()
    return all(hasattr(probe, a) for a in ("_eof_sent", "_keep_alive", "_payload_writer", "_req",
                                           "_body_length", "_state", "_status", "_reason")) \
        and hasattr(StreamWriter, "_write") and hasattr(StreamWriter, "output_size")


def json_reply(request: web.BaseRequest, status: int, body: bytes, headers: dict | None = None,
               close: bool = False, plain: bool = True) -> web.StreamResponse:
    """A JsonReply where it writes what web.Response would, else the web.Response itself.
    ``headers``: a provider's constant extra headers (never changed after use: their lines are
    cached by the dict's identity). ``close``: the connection closes after this reply
    (web.Response.force_close). ``plain``:
    the application has no ``on_response_prepare`` handlers (which only web.Response runs)."""
    version = request.version
    if (not plain or status < 200 or status in _EMPTY_BODY
            or (version != HttpVersion11 and version != HttpVersion10)):
        response = web.Response(body=body, status=status, content_type="application/json",
                                charset="utf-8", headers=headers)
        if close:
            response.force_close()
        return response
    return JsonReply(status, body, headers, close)
