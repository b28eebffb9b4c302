"""OpenIM tokens: HS256 JWTs signed with the tenant secret, plus the server-side token store
(reference openim.md section 2; [srv] internal/rpc/auth/auth.go, controller/auth.go,
[tools] tokenverify/jwt_token.go, [jwt] v4.5.2 parser order: malformed -> signature -> claims).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import warnings

from emulator.core.cache import BoundedCache

from .errors import (JWT, TOKEN_EXPIRED, TOKEN_KICKED, TOKEN_MALFORMED, TOKEN_NOT_EXIST,
                     TOKEN_NOT_VALID_YET, TOKEN_UNKNOWN, OpenIMError, wrapped)
from .models import Tenant


@functools.cache
def _jwt():
    """PyJWT, imported on the first token rather than at start: it pulls in cryptography, a
    large share of start-up (bench/README.md, round 3), and no token exists before a request."""
    import jwt
    from jwt.warnings import InsecureKeyLengthWarning
    # The server's default secret (openIM123) is short by design; PyJWT's advice does not apply.
    warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)
    return jwt, InsecureKeyLengthWarning

ADMIN_PLATFORM_ID = 10          # constant.AdminPlatformID
NORMAL, INVALID, KICKED = 0, 1, 2   # token states in the Redis hash
IAT_SKEW_SECONDS = 5            # BuildClaims sets iat = now - 5 s
HMAC_ALGS = {"HS256", "HS384", "HS512"}
KNOWN_ALGS = HMAC_ALGS | {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
                          "PS384", "PS512", "EdDSA", "none"}


def _b64(seg: str) -> bytes:
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def unverified(token: str) -> tuple[dict, dict]:
    """Split and decode header and claims; anything odd is 1503 TokenMalformedError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise OpenIMError(TOKEN_MALFORMED)
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: a deeply nested header or claims is malformed, not an internal error
        raise OpenIMError(TOKEN_MALFORMED) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise OpenIMError(TOKEN_MALFORMED)
    uid, pid = claims.get("UserID", ""), claims.get("PlatformID", 0)
    if not isinstance(uid, str) or isinstance(pid, bool) or not isinstance(pid, int):
        raise OpenIMError(TOKEN_MALFORMED)   # the claims struct cannot hold these types
    for key in ("exp", "iat", "nbf"):
        if key in claims and (isinstance(claims[key], bool) or not isinstance(claims[key], (int, float))):
            raise OpenIMError(TOKEN_MALFORMED)
    return header, claims


def signature_ok(token: str, header: dict, secret: str) -> bool:
    """True when the token verifies with ``secret``; raises 1505 for unusable algorithms."""
    alg = header.get("alg")
    if alg == "none":
        raise OpenIMError(TOKEN_UNKNOWN, "'none' signature type is not allowed")
    if alg not in KNOWN_ALGS:
        raise OpenIMError(TOKEN_UNKNOWN, f"signing method {alg} is unavailable.")
    if alg not in HMAC_ALGS:
        raise OpenIMError(TOKEN_UNKNOWN, "key is of invalid type")
    jwt, InsecureKeyLengthWarning = _jwt()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            jwt.decode(token, secret, algorithms=[alg],
                       options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                "verify_aud": False, "verify_iss": False})
        return True
    except jwt.InvalidSignatureError:
        return False
    except jwt.PyJWTError:
        raise OpenIMError(TOKEN_MALFORMED) from None


def check_claims(claims: dict, now: float) -> None:
    if "exp" in claims and now >= claims["exp"]:
        raise OpenIMError(TOKEN_EXPIRED)
    if "nbf" in claims and now < claims["nbf"]:
        raise OpenIMError(TOKEN_NOT_VALID_YET)
    if "iat" in claims and now < claims["iat"]:
        raise OpenIMError(TOKEN_UNKNOWN, "Token used before issued")


def find_tenant(token: str, tenants: dict) -> Tenant | None:
    """The tenant that issued ``token`` (a dict lookup per tenant), for tenant_hint and auth."""
    for t in tenants.values():
        if token in t.tokens or token in t.temp_tokens:
            return t
    return None


# A client sends the same token on every call: decoding it and verifying the HS256 signature
# with PyJWT was 60% of a read. Both results depend only on the token (and the secret), so the
# tokens that decoded and the (token, secret) pairs that verified are remembered, bounded, FIFO.
# Claims (expiry...) and the token store are still checked on every call; a secret change
# misses the cache.
VERIFIED_CACHE_SIZE = 4096
_decoded = BoundedCache(VERIFIED_CACHE_SIZE)   # token -> (header, claims)
_signed = BoundedCache(VERIFIED_CACHE_SIZE)    # (token, secret) -> None
# token -> (secret, claims): a token found in a tenant's store (find_tenant) and verified with
# that tenant's secret. _parse's answer depends only on the token and the holding tenant's
# secret, so while the holder's secret is that one a hit skips decoding and the HMAC lookups and
# goes to the claims check, which runs on every call like the store checks in verify.
_accepted = BoundedCache(VERIFIED_CACHE_SIZE)


def verify(token: str, tenants: dict, now: float) -> tuple[Tenant, dict]:
    """parseToken: JWT checks, then the store. Returns (tenant, claims) or raises 15xx.

    A token signed by no tenant's secret is 1505 "signature is invalid", as a wrong secret is.
    The JWT errors carry the token for errDlt "jwt parse error, token=<t>" (2.3); the store's
    are ``Code.Wrap()`` (errDlt = errMsg).
    """
    try:
        signer, claims = _parse(token, tenants, now)
    except OpenIMError as err:
        # the tenant whose profile renders the texts: the one that signed it, if any did
        err.extra.update(kind=JWT, token=token, tenant=err.extra.get("tenant"))
        raise
    uid = claims.get("UserID", "")
    if signer.is_admin(uid) and signer.setting("admin_tokens_stateless"):
        return signer, claims       # both tags: admin tokens are not looked up in the store
    row = signer.tokens.get(token)
    if row is None:
        until = signer.temp_tokens.get(token)
        if until is not None and signer.is_admin(uid) and now < until:
            return signer, claims
        if until is None and minted_admin_token_ok(signer, claims):
            return signer, claims
        raise wrapped(TOKEN_NOT_EXIST)
    if row[2] == NORMAL:
        return signer, claims
    if row[2] == KICKED:
        raise wrapped(TOKEN_KICKED)
    raise wrapped(TOKEN_UNKNOWN)


def _parse(token: str, tenants: dict, now: float) -> tuple[Tenant, dict]:
    """tokenverify.GetClaimFromToken: decode, find the signing tenant, check the claims."""
    hit = _accepted.get(token)
    signer = find_tenant(token, tenants) if hit is not None else None
    if signer is not None and signer.secret == hit[0]:
        claims = hit[1]
        try:
            check_claims(claims, now)
        except OpenIMError as err:
            err.extra["tenant"] = signer
            raise
        return signer, claims
    decoded = _decoded.get(token)
    if decoded is None:
        decoded = unverified(token)
        _decoded.remember(token, decoded)
    header, claims = decoded
    tenant = find_tenant(token, tenants)
    candidates = [tenant] if tenant is not None else list(tenants.values())
    signer = None
    for t in candidates:
        if (token, t.secret) in _signed:
            signer = t
            break
        if signature_ok(token, header, t.secret):
            _signed.remember((token, t.secret), None)
            signer = t
            break
    if signer is None:
        raise OpenIMError(TOKEN_UNKNOWN, "signature is invalid")
    try:
        check_claims(claims, now)
    except OpenIMError as err:
        err.extra["tenant"] = signer
        raise
    if tenant is not None:
        _accepted.remember(token, (signer.secret, claims))
    return signer, claims


def issue(t: Tenant, user_id: str, platform_id: int, now: float) -> tuple[str, int]:
    """CreateToken with multiLogin policy 1 (AllLoginButSameTermKick): every other platform keeps
    only its newest token, the platform logged into keeps none; admin tokens are not kicked but
    the older ones move to a temporary set valid admin_token_grace_seconds.

    Tokens already kicked before this call can never be valid again and are dropped (the ones
    this call kicks stay, so they answer 1506 until the next login); expired ones are swept as
    the store grows. The cost is the user's own handful of tokens, whatever the store holds."""
    expire_s = int(t.setting("token_expire_days")) * 86400
    now_i = int(now)
    claims = {"UserID": user_id, "PlatformID": platform_id, "exp": now_i + expire_s,
              "iat": now_i - IAT_SKEW_SECONDS}
    token = _sign(claims, t.secret)
    while token in t.tokens or token in t.temp_tokens:   # same second: keep tokens distinct
        claims["iat"] -= 1
        token = _sign(claims, t.secret)
    _purge(t, now)
    platforms = t.user_tokens.setdefault(user_id, {})
    if t.is_admin(user_id):
        grace = now + int(t.setting("admin_token_grace_seconds"))
        for old in platforms.pop(platform_id, []):
            del t.tokens[old]
            t.temp_tokens[old] = grace
    else:
        for pid in list(platforms):
            kept = []
            for tok in platforms[pid]:
                row = t.tokens[tok]
                if row[2] != NORMAL or row[3] <= now:   # superseded earlier, or expired
                    del t.tokens[tok]
                else:
                    kept.append(tok)
            for tok in (kept if pid == platform_id else kept[:-1]):
                t.tokens[tok][2] = KICKED
            if kept:
                platforms[pid] = kept
            else:
                del platforms[pid]
    t.tokens[token] = [user_id, platform_id, NORMAL, claims["exp"]]
    platforms.setdefault(platform_id, []).append(token)
    return token, expire_s


def force_logout(t: Tenant, user_id: str, platform_id: int) -> None:
    for tok in t.user_tokens.get(user_id, {}).get(platform_id, []):
        t.tokens[tok][2] = KICKED


PURGE_FLOOR = 1024


def _purge(t: Tenant, now: float) -> None:
    """Drop expired entries (Redis TTL) so the store does not grow without bound. A sweep runs
    when the store has doubled since the last one, so its cost is O(1) per call amortised."""
    if len(t.tokens) + len(t.temp_tokens) < t.token_purge_at:
        return
    for tok in [k for k, until in t.temp_tokens.items() if until <= now]:
        del t.temp_tokens[tok]
    for tok in [k for k, row in t.tokens.items() if row[3] <= now]:
        row = t.tokens.pop(tok)
        platforms = t.user_tokens.get(row[0])
        lst = platforms.get(row[1]) if platforms is not None else None
        if lst is not None:
            lst.remove(tok)
            if not lst:
                del platforms[row[1]]
                if not platforms:
                    del t.user_tokens[row[0]]
    t.token_purge_at = max(PURGE_FLOOR, 2 * (len(t.tokens) + len(t.temp_tokens)))


def _sign(claims: dict, secret: str) -> str:
    jwt, InsecureKeyLengthWarning = _jwt()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS256")


def mint_token(secret: str, user_id: str, platform_id: int, now: float, expire_s: int) -> str:
    """The JWT ``issue`` would sign at ``now`` (same claims), without touching any store:
    what ``im-emulator token openim`` prints when no server is running."""
    now_i = int(now)
    return _sign({"UserID": user_id, "PlatformID": platform_id, "exp": now_i + expire_s,
                  "iat": now_i - IAT_SKEW_SECONDS}, secret)


def minted_admin_token_ok(t: Tenant, claims: dict) -> bool:
    """An admin token the store never saw (minted offline with the tenant secret) is taken as
    if /auth/get_admin_token had issued it at its ``iat``, unless it is superseded: a token the
    store issued for the same admin and platform after it (newer, or force-logged-out later)
    wins, as a re-issue does for issued tokens. Setting ``accept_minted_admin_tokens``
    (default on) switches this off. The real server never looks at the store for admins at
    all (openim-versions.md §2.1); ``admin_tokens_stateless`` gives that."""
    uid = claims.get("UserID", "")
    if not t.setting("accept_minted_admin_tokens") or not t.is_admin(uid):
        return False
    if claims.get("PlatformID") != ADMIN_PLATFORM_ID or "iat" not in claims:
        return False
    for tok in t.user_tokens.get(uid, {}).get(ADMIN_PLATFORM_ID, ()):
        other = _decoded.get(tok)
        if other is None:
            other = unverified(tok)
        if other[1].get("iat", 0) > claims["iat"]:
            return False
    return True
