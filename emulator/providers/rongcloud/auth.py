"""RongCloud request signatures (reference 1.1-1.3).

Every request carries App-Key, Nonce, Timestamp and Signature (or their RC- forms; names are
case-insensitive), with Signature = hex(SHA1(AppSecret + Nonce + Timestamp)). The official SDKs
send timestamps in seconds or milliseconds and the Node SDK reuses one nonce for its whole life,
so by default neither freshness nor nonce reuse is checked; the tenant settings
``signature_max_age_s`` and ``reject_replayed_nonce`` turn those checks on.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from typing import Mapping

from .errors import RongCloudError

HEADER_NAMES = {
    "app_key": ("App-Key", "RC-App-Key"),
    "nonce": ("Nonce", "RC-Nonce"),
    "timestamp": ("Timestamp", "RC-Timestamp"),
    "signature": ("Signature", "RC-Signature"),
}

# Timestamps above this are milliseconds (1e11 s is the year 5138).
MS_THRESHOLD = 10 ** 11


def sign(app_secret: str, nonce: str, timestamp: str) -> str:
    """hex(SHA1(AppSecret + Nonce + Timestamp)), the documented signature."""
    return hashlib.sha1((app_secret + nonce + timestamp).encode("utf-8")).hexdigest()


def header(headers: Mapping[str, str], key: str) -> str | None:
    """The plain or RC- form of one signature header (aiohttp's headers are case-insensitive)."""
    for name in HEADER_NAMES[key]:
        value = headers.get(name)
        if value is not None:
            return value.strip()
    return None


def _utf8(value: str) -> bool:
    return value.isascii() or not any("\udc80" <= c <= "\udcff" for c in value)


def timestamp_seconds(raw: str) -> float | None:
    try:
        value = int(raw)
    except ValueError:
        return None
    return value / 1000 if value >= MS_THRESHOLD else float(value)


NONCE_CACHE_MAX = 100_000     # nonces kept per App-Key (memory bound; see NonceCache)


class NonceCache:
    """Nonces seen per App-Key within the freshness window (only with reject_replayed_nonce).

    Each App-Key's nonces are kept in arrival order (a nonce seen again after it expired re-enters at the end), so the expired
    ones are dropped from the front: O(1) per request however many are fresh. At most
    ``NONCE_CACHE_MAX`` per App-Key: past that the oldest are forgotten even while fresh (a replay
    of one of them is then let through), so a flood of requests cannot grow memory without bound."""

    def __init__(self) -> None:
        # an OrderedDict, not a dict: taking from the front of a dict walks the holes earlier
        # deletions left, O(n) per request in a steady stream
        self._seen: dict[str, OrderedDict[str, float]] = {}

    def seen_before(self, app_key: str, nonce: str, now: float, keep_s: float) -> bool:
        seen = self._seen.get(app_key)
        if seen is None:
            seen = self._seen[app_key] = OrderedDict()
        cutoff = now - keep_s
        t = seen.get(nonce)
        if t is not None:
            if t >= cutoff:
                return True
            del seen[nonce]                 # expired: seen anew, at the end
        while seen:                         # the oldest first: drop what left the window
            first = next(iter(seen))
            if seen[first] >= cutoff and len(seen) < NONCE_CACHE_MAX:
                break
            del seen[first]
        seen[nonce] = now
        return False

    def clear(self) -> None:
        self._seen.clear()


def verify(headers: Mapping[str, str], tenants: Mapping, now: float, nonces: NonceCache):
    """Return (app_key, tenant) or raise 1004 with HTTP 401 (also for an unknown App-Key)."""
    app_key = header(headers, "app_key")
    nonce = header(headers, "nonce")
    timestamp = header(headers, "timestamp")
    signature = header(headers, "signature")
    if not app_key:
        raise RongCloudError(1004, "Signature verification failed: App-Key header is missing.")
    if nonce is None or timestamp is None or not signature:
        raise RongCloudError(1004, "Signature verification failed: Nonce, Timestamp and "
                                   "Signature headers are required.")
    # all four ASCII (every SDK's request) says what the per-header check would, in one call
    if not (app_key + nonce + timestamp + signature).isascii() \
            and not all(map(_utf8, (app_key, nonce, timestamp, signature))):
        # aiohttp keeps undecodable header bytes as surrogates; such a header cannot be signed
        raise RongCloudError(1004, "Signature verification failed: headers must be UTF-8.")
    tenant = tenants.get(app_key)
    if tenant is None:
        raise RongCloudError(1004, "Signature verification failed: unknown App-Key.")
    expected = sign(tenant.app_secret, nonce, timestamp)
    settings = tenant.settings
    if not hmac.compare_digest(expected, signature.lower()) and signature.lower() not in settings.accept_signatures:
        raise RongCloudError(1004)
    if settings.signature_max_age_s:
        ts = timestamp_seconds(timestamp)
        if ts is None or abs(now - ts) > settings.signature_max_age_s:
            raise RongCloudError(1004, "Signature verification failed: Timestamp is outside "
                                       f"the {settings.signature_max_age_s} s window.")
    if settings.reject_replayed_nonce:
        keep = float(settings.signature_max_age_s or 300)
        if nonces.seen_before(app_key, nonce, now, keep):
            raise RongCloudError(1004, "Signature verification failed: Nonce already used.")
    return app_key, tenant
