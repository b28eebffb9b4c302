"""A bounded record of every exchange, for tests to assert on.

Entries are stored raw (bytes, header pairs) and rendered only when read, so recording costs one
tuple per request. Memory is bounded three ways: at most ``size`` entries, at most ``body_limit``
bytes kept of each request and response body (the full length is kept and the rendered entry
says "truncated"), and at most ``max_bytes`` of kept bodies in all; the oldest entries go first
and every drop is counted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

import orjson

MASK = "***"
# Secrets a journal reader must never see: Tencent usersig (query), OpenIM token (header),
# RongCloud Signature (header, plain or RC- form), the control plane's own token.
SECRET_QUERY = frozenset({"usersig"})
SECRET_HEADERS = frozenset({"token", "signature", "rc-signature", "x-access-token",
                            "x-emulator-token", "authorization"})
# The secret fields inside request bodies (OpenIM get_admin_token carries the tenant secret).
SECRET_BODY_KEYS = frozenset({"secret"})


@dataclass(slots=True)
class Entry:
    seq: int
    time: float
    provider: str
    tenant: str | None
    api: str
    method: str
    path: str
    query: str
    raw_headers: object     # as recorded: the request's header mapping, or (name, value) pairs
    request_body: bytes
    status: int
    response_body: bytes
    duration_ms: float
    request_len: int = 0    # the full body lengths; > len(body) when the body was cut
    response_len: int = 0
    cost: int = 0           # bytes this entry counts against max_bytes

    @property
    def headers(self) -> tuple:
        """The request's (name, value) header pairs, in order: copied out of the request's
        read-only header mapping when read, not on every request."""
        raw = self.raw_headers
        return raw if type(raw) is tuple else tuple(raw.items())


def _mask_query(qs: str) -> dict:
    return {k: (MASK if k.lower() in SECRET_QUERY else v) for k, v in parse_qsl(qs, keep_blank_values=True)}


# A rough per-entry cost besides the bodies (the Entry, its strings, the header pairs), so a flood
# of empty requests is bounded by max_bytes too.
ENTRY_OVERHEAD = 512
DEFAULT_BODY_LIMIT = 64 * 1024
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


def _decode_body(raw: bytes, full: int = 0):
    if full > len(raw):  # a cut body is not valid JSON any more: show the prefix as text
        return {"truncated": True, "length": full, "prefix": raw.decode("utf-8", "replace")}
    if not raw:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: (MASK if k.lower() in SECRET_BODY_KEYS else v) for k, v in value.items()}
    return value


class Journal:
    def __init__(self, size: int = 1000, body_limit: int = DEFAULT_BODY_LIMIT,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.size = size
        self.body_limit = body_limit
        self.max_bytes = max_bytes
        self._entries: deque[Entry] = deque(maxlen=size)
        self._seq = 0
        self.bytes = 0          # kept body bytes + ENTRY_OVERHEAD per entry
        self.dropped = 0        # entries pushed out by the entry or byte bound
        self.truncated = 0      # bodies cut to body_limit

    def record(self, time: float, provider: str, tenant: str | None, api: str, method: str,
               path: str, query: str, headers, request_body: bytes, status: int,
               response_body: bytes, duration_ms: float) -> None:
        """``headers``: (name, value) pairs, or the request's read-only header mapping
        (aiohttp's ``request.headers``, never changed after parsing), kept as it is."""
        self._seq += 1
        req_len = len(request_body)
        resp_len = len(response_body)
        if req_len > self.body_limit or resp_len > self.body_limit:   # rare: cut (slicing copies)
            request_body, response_body = self._cut(request_body), self._cut(response_body)
            cost = len(request_body) + len(response_body) + ENTRY_OVERHEAD
        else:
            cost = req_len + resp_len + ENTRY_OVERHEAD
        entries = self._entries
        if len(entries) == self.size:   # the deque's maxlen drops the oldest on append
            self.bytes -= entries[0].cost
            self.dropped += 1
        if not hasattr(headers, "items"):
            headers = tuple(headers)
        entries.append(Entry(self._seq, time, provider, tenant, api, method, path, query,
                             headers, request_body, status, response_body, duration_ms,
                             req_len, resp_len, cost))
        self.bytes += cost
        if self.bytes > self.max_bytes:
            self._shrink()

    def _cut(self, body: bytes) -> bytes:
        if len(body) <= self.body_limit:
            return body
        self.truncated += 1
        return body[:self.body_limit]

    def _shrink(self) -> None:
        """Drop the oldest entries until the kept bodies fit max_bytes (the newest stays)."""
        entries = self._entries
        while self.bytes > self.max_bytes and len(entries) > 1:
            self.bytes -= entries.popleft().cost
            self.dropped += 1

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self, provider: str | None = None, api: str | None = None,
                tenant: str | None = None, limit: int | None = None,
                since: int | None = None) -> list[Entry]:
        """Oldest first; ``since``: only entries with a larger seq (what a poller has not seen)."""
        source = self._entries if since is None else self._after(since)
        out = [e for e in source
               if (provider is None or e.provider == provider)
               and (api is None or e.api == api)
               and (tenant is None or e.tenant == tenant)]
        if limit is not None:
            out = out[-limit:] if limit > 0 else []
        return out

    @property
    def last_seq(self) -> int:
        return self._seq

    def _after(self, seq: int) -> list[Entry]:
        """The entries after ``seq``, read from the newest end: a poller pays for what is new."""
        out: list[Entry] = []
        for e in reversed(self._entries):
            if e.seq <= seq:
                break
            out.append(e)
        out.reverse()
        return out

    def find(self, seq: int) -> Entry | None:
        """The entry numbered ``seq`` while it is still kept (seqs are consecutive in the deque)."""
        if not self._entries:
            return None
        i = seq - self._entries[0].seq
        if 0 <= i < len(self._entries) and self._entries[i].seq == seq:
            return self._entries[i]
        return None

    @staticmethod
    def render(e: Entry) -> dict:
        headers = {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in e.headers}
        return {
            "seq": e.seq, "time": e.time, "provider": e.provider, "tenant": e.tenant, "api": e.api,
            "method": e.method, "path": e.path, "query": _mask_query(e.query),
            "request": {"headers": headers, "body": _decode_body(e.request_body, e.request_len)},
            "response": {"status": e.status, "body": _decode_body(e.response_body, e.response_len)},
            "duration_ms": round(e.duration_ms, 3),
        }

    @staticmethod
    def masked_query_string(qs: str) -> str:
        return urlencode(_mask_query(qs))
