"""A bounded record of every exchange, for tests to assert on.

Entries are stored raw (bytes, header pairs) and rendered only when read, so recording costs one
tuple per request; a deque with maxlen keeps memory flat however many requests pass.
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
    headers: tuple
    request_body: bytes
    status: int
    response_body: bytes
    duration_ms: float


def _mask_query(qs: str) -> dict:
    return {k: (MASK if k.lower() in SECRET_QUERY else v) for k, v in parse_qsl(qs, keep_blank_values=True)}


def _decode_body(raw: bytes):
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
    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size)
        self._seq = 0

    def record(self, time: float, provider: str, tenant: str | None, api: str, method: str,
               path: str, query: str, headers, request_body: bytes, status: int,
               response_body: bytes, duration_ms: float) -> None:
        self._seq += 1
        self._entries.append(Entry(self._seq, time, provider, tenant, api, method, path, query,
                                   tuple(headers), request_body, status, response_body, duration_ms))

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self, provider: str | None = None, api: str | None = None,
                tenant: str | None = None, limit: int | None = None) -> list[Entry]:
        out = [e for e in self._entries
               if (provider is None or e.provider == provider)
               and (api is None or e.api == api)
               and (tenant is None or e.tenant == tenant)]
        if limit is not None:
            out = out[-limit:] if limit > 0 else []
        return out

    @staticmethod
    def render(e: Entry) -> dict:
        headers = {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in e.headers}
        return {
            "seq": e.seq, "time": e.time, "provider": e.provider, "tenant": e.tenant, "api": e.api,
            "method": e.method, "path": e.path, "query": _mask_query(e.query),
            "request": {"headers": headers, "body": _decode_body(e.request_body)},
            "response": {"status": e.status, "body": _decode_body(e.response_body)},
            "duration_ms": round(e.duration_ms, 3),
        }

    @staticmethod
    def masked_query_string(qs: str) -> str:
        return urlencode(_mask_query(qs))
