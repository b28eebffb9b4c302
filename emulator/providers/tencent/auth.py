"""UserSig (TLS sig v2) verification, reference tencent.md §2.

The signer (tls-sig-api-v2) writes: JSON {TLS.ver, TLS.identifier, TLS.sdkappid, TLS.expire,
TLS.time, [TLS.userbuf], TLS.sig} -> zlib -> base64 with ``+/=`` replaced by ``*-_``. TLS.sig is
base64(HMAC-SHA256(key, "TLS.identifier:..\\nTLS.sdkappid:..\\nTLS.time:..\\nTLS.expire:..\\n
[TLS.userbuf:..\\n]")). TLS.expire is a duration: the sig is valid until TLS.time + TLS.expire.

``mint_usersig`` writes the same document (for /_emulator/credentials and ``im-emulator sign
tencent``), so people without a signing library can still call the emulator.

The server's check order is not documented (§2.2, UNKNOWN); the emulator checks: empty 70002,
undecodable 70003, identifier 70013, sdkappid 70014, HMAC 70009, expiry 70001.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import zlib

from emulator.core.cache import BoundedCache

from .errors import TencentError

_TO_STD = str.maketrans("*-_", "+/=")


def decode_usersig(usersig: str) -> dict:
    """The JSON document inside a UserSig, or 70003."""
    try:
        raw = base64.b64decode(usersig.translate(_TO_STD).encode("ascii"), validate=True)
        doc = json.loads(zlib.decompress(raw).decode("utf-8"))
    except (ValueError, binascii.Error, zlib.error, UnicodeError):
        raise TencentError(70003) from None
    if not isinstance(doc, dict):
        raise TencentError(70003)
    for name, kind in (("TLS.identifier", str), ("TLS.sig", str), ("TLS.time", int),
                       ("TLS.expire", int), ("TLS.sdkappid", (int, str))):
        if not isinstance(doc.get(name), kind) or isinstance(doc.get(name), bool):
            raise TencentError(70003, f"UserSig invalid, {name} missing or malformed")
    return doc


def expected_sig(key: str, doc: dict) -> str:
    text = (f"TLS.identifier:{doc['TLS.identifier']}\n"
            f"TLS.sdkappid:{doc['TLS.sdkappid']}\n"
            f"TLS.time:{doc['TLS.time']}\n"
            f"TLS.expire:{doc['TLS.expire']}\n")
    if "TLS.userbuf" in doc:
        text += f"TLS.userbuf:{doc['TLS.userbuf']}\n"
    digest = hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


# Server SDKs sign a UserSig once and reuse it for every call, so decoding it and recomputing the
# HMAC per request is wasted work (15% of a read). A sig whose HMAC passed under a key is cached
# with that key: a tenant key change misses the cache and is checked afresh. Identifier,
# sdkappid and expiry are still checked on every call (expiry against the emulator clock).
VERIFIED_CACHE_SIZE = 4096
_verified = BoundedCache(VERIFIED_CACHE_SIZE)   # (usersig, key) -> decoded document


def verify_usersig(usersig: str, identifier: str, sdkappid: str, key: str, now: float) -> dict:
    """Raise the documented 700xx code when ``usersig`` does not authorise ``identifier``;
    otherwise return the sig's document (TLS.time is what a kick watermark compares)."""
    if not usersig:
        raise TencentError(70002)
    cache_key = (usersig, key)
    doc = _verified.get(cache_key)
    verified = doc is not None
    if not verified:
        doc = decode_usersig(usersig)
    if doc["TLS.identifier"] != identifier:
        raise TencentError(70013)
    if str(doc["TLS.sdkappid"]) != sdkappid:
        raise TencentError(70014)
    if not verified:
        if not hmac.compare_digest(expected_sig(key, doc), doc["TLS.sig"]):
            raise TencentError(70009)
        _verified.remember(cache_key, doc)
    if now > doc["TLS.time"] + doc["TLS.expire"]:
        raise TencentError(70001)
    return doc


# §2.1: the sig libraries' default validity is 180 days; the FAQ's maximum is 50 years.
DEFAULT_EXPIRE_S = 180 * 86400
MAX_EXPIRE_S = 50 * 365 * 86400
_TO_URL = str.maketrans("+/=", "*-_")


def mint_usersig(sdkappid: int | str, key: str, identifier: str, expire: int = DEFAULT_EXPIRE_S,
                 now: float | None = None) -> str:
    """A UserSig for ``identifier`` valid ``expire`` seconds from ``now`` (TLS sig v2, §2.1).

    TLS.time is whole seconds, as the libraries write it; ``now`` defaults to the wall clock
    (a running server passes its own clock, so a frozen emulator clock gets a sig it accepts)."""
    doc = {"TLS.ver": "2.0", "TLS.identifier": str(identifier), "TLS.sdkappid": int(sdkappid),
           "TLS.expire": int(expire), "TLS.time": int(time.time() if now is None else now)}
    doc["TLS.sig"] = expected_sig(key, doc)
    packed = zlib.compress(json.dumps(doc).encode("utf-8"))
    return base64.b64encode(packed).decode("ascii").translate(_TO_URL)
