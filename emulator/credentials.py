"""Credentials for people who are not writing Python: what ``GET /_emulator/credentials`` and
``im-emulator sign`` / ``im-emulator token`` hand out, minted the way each provider's clients do.

- tencent: a UserSig (TLS sig v2, providers/tencent/auth.py) and the full signed query string.
- tencent-gateway: the seed-000 wrapper's ``x-access-token`` (HS256 JWT: username, userIdentity, exp).
- openim: an admin token. The server issues it through its token store, as /auth/get_admin_token
  does; offline, the same claims are signed with the tenant secret and the server accepts such a
  token unless it issued a newer one for that admin (providers/openim/auth.py,
  ``accept_minted_admin_tokens``).
- rongcloud: App-Key, Nonce, Timestamp and Signature = hex(SHA1(App-Secret + Nonce + Timestamp));
  the body is not signed, so the headers fit any body.

Nothing here is state: time comes from the caller (the emulator clock on the server, the wall
clock offline) and nothing random is drawn.
"""

from __future__ import annotations

from urllib.parse import urlencode

from emulator.providers.openim import auth as openim_auth
from emulator.providers.rongcloud.auth import sign as rongcloud_sign
from emulator.providers.tencent.auth import DEFAULT_EXPIRE_S, mint_usersig

GATEWAY_TOKEN_HEADER = "x-access-token"
GATEWAY_EXPIRE_S = 3600


def tencent(sdkappid, key: str, identifier: str, now: float, expire: int = DEFAULT_EXPIRE_S) -> dict:
    sig = mint_usersig(sdkappid, key, identifier, expire, now)
    # random: any uint32 (§1.1); derived from the time so the output is reproducible
    query = {"sdkappid": str(sdkappid), "identifier": identifier, "usersig": sig,
             "random": str(int(now * 1000) % 4294967296), "contenttype": "json"}
    return {"provider": "tencent", "tenant": str(sdkappid), "identifier": identifier, "usersig": sig,
            "expire": expire, "expires_at": int(now) + expire, "query": query,
            "query_string": urlencode(query)}


def tencent_gateway(secret: str, username: str, now: float, expire: int = GATEWAY_EXPIRE_S) -> dict:
    import jwt
    claims = {"username": username, "userIdentity": 2, "exp": int(now) + expire}
    token = jwt.encode(claims, secret, algorithm="HS256")
    return {"provider": "tencent-gateway", "username": username, "claims": claims, "token": token,
            "headers": {GATEWAY_TOKEN_HEADER: token}}


def openim_offline(secret: str, user_id: str, now: float, expire_days: int, tenant: str | None = None) -> dict:
    """``tenant`` is only reported (the tenant's id); the token depends on the secret alone."""
    token = openim_auth.mint_token(secret, user_id, openim_auth.ADMIN_PLATFORM_ID, now, expire_days * 86400)
    return openim_reply(tenant, user_id, token, expire_days * 86400, now)


def openim_reply(tenant: str | None, user_id: str, token: str, expire_s: int, now: float) -> dict:
    return {"provider": "openim", "tenant": tenant, "userID": user_id,
            "platformID": openim_auth.ADMIN_PLATFORM_ID, "token": token, "expireTimeSeconds": expire_s,
            "headers": {"operationID": str(int(now * 1000)), "token": token}}


def rongcloud(app_key: str, app_secret: str, now: float, nonce: str | None = None,
              timestamp: str | None = None) -> dict:
    timestamp = timestamp or str(int(now * 1000))
    nonce = nonce or str(int(now * 1000) % 1000000007)
    headers = {"App-Key": app_key, "Nonce": nonce, "Timestamp": timestamp,
               "Signature": rongcloud_sign(app_secret, nonce, timestamp)}
    return {"provider": "rongcloud", "tenant": app_key, "headers": headers,
            "curl_args": " ".join(f"-H {k}:{v}" for k, v in headers.items())}
