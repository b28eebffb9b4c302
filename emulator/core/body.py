"""Read a request body with a byte cap, decoding its Content-Encoding ourselves, streaming.

aiohttp's own decompression is switched off (``handler_args={"auto_decompress": False}`` in
create_app) because its failures never reach a handler: an unsupported encoding is a plain-text
400 from the protocol, a corrupt stream a traceback. Here both become ``BodyRefused``, which the
pipeline turns into the provider's own error, and a compression bomb is cut off as soon as the
decoded bytes pass the same cap as plain bodies; at no point is more than the cap (plus one
chunk) held.
"""

from __future__ import annotations

import zlib

from aiohttp import web

CHUNK = 64 * 1024

# Content-Encoding token -> zlib wbits; deflate is tried with the zlib header first, raw after
# (clients send both, as aiohttp itself tolerates).
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyRefused(Exception):
    """``too_large`` is True for a body over the cap, False for one that cannot be decoded."""

    def __init__(self, reason: str, too_large: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


def _too_large(limit: int) -> BodyRefused:
    return BodyRefused(f"request body larger than {limit} bytes", True)


def buffered_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """The body, when it is plain (no Content-Encoding), within the cap and already whole in
    aiohttp's buffer (the parser feeds EOF at the end of the body, and nothing of it has been
    read yet): the usual small request, taken without read_body's awaits or request.read()'s
    copy. None otherwise: then read_body reads it (and refuses it when it must). The pipeline
    is the body's only reader."""
    content = request.content
    if not content.is_eof() or content.total_bytes > limit:
        return None
    encoding = request.headers.get("Content-Encoding")
    if encoding is not None and encoding.strip().lower() not in ("", "identity"):
        return None
    return content.read_nowait(-1)


async def read_body(request: web.BaseRequest, limit: int) -> bytes:
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return await _read_plain(request, limit)
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise BodyRefused(f"Content-Encoding {encoding!r} is not supported", False)
    return await _read_compressed(request, limit, encoding, wbits)


async def _read_plain(request: web.BaseRequest, limit: int) -> bytes:
    if request.content_length is not None:
        if request.content_length > limit:
            raise _too_large(limit)
        return await request.read()     # the common case: aiohttp's own read, a known length
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


async def _read_compressed(request: web.BaseRequest, limit: int, encoding: str, wbits: int) -> bytes:
    bad = BodyRefused(f"request body does not match Content-Encoding {encoding}", False)
    parts: list[bytes] = []
    size = 0
    taken = 0            # compressed bytes read: bounded by the cap too
    d = None
    async for chunk in request.content.iter_chunked(CHUNK):
        taken += len(chunk)
        if taken > limit:
            raise _too_large(limit)
        if d is not None and d.eof:
            raise bad                     # bytes after the end of the compressed stream
        if d is None:
            # deflate without its zlib header (CM nibble not 8) is raw deflate
            raw_deflate = encoding == "deflate" and chunk[0] & 0x0F != 8
            d = zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else wbits)
        data = chunk
        while data:
            try:
                # max_length keeps each step's output to the room left (+1 to see an overflow)
                out = d.decompress(data, limit - size + 1)
            except zlib.error:
                raise bad from None
            size += len(out)
            if size > limit:
                raise _too_large(limit)
            parts.append(out)
            data = d.unconsumed_tail
            if d.eof:
                if data or d.unused_data:
                    raise bad
                break
    if taken and (d is None or not d.eof):
        raise bad
    return b"".join(parts)
