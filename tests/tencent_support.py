"""Fixtures and signing helpers for tencent tests (loaded by tests/conftest.py).

UserSigs always come from PyPI's tls-sig-api-v2 (Tencent's own generator, module TLSSigAPIv2).

Golden-exchange ``auth:`` modes (prepare_exchange_request); the query's sdkappid / identifier
(default 1400000000 / administrator) pick the app and the account, the app's key is read from
the running emulator's scenario:
  admin            a valid UserSig for the identifier (the usual case)
  user:ID          identifier=ID with a valid UserSig for ID (not an admin -> 60010)
  none             no query parameters at all (-> 60012)
  empty-sig        usersig= (-> 70002)
  garbage-sig      usersig=xxx, as in the documentation's URL (-> 70003)
  other-identifier a UserSig made for bob sent with the identifier (-> 70013)
  other-sdkappid   a UserSig made for another SDKAppID with the same key (-> 70014)
  wrong-key        a UserSig signed with another key (-> 70009)
  expired          a UserSig whose TLS.time + TLS.expire is already past (-> 70001)
  gateway          x-access-token: HS256 JWT for the gateway's first user, signed with the
                   scenario's gateway secret, valid for an hour (seed-000 wrapper)
  gateway-expired  the same JWT with exp one hour ago (-> code 401)
  gateway-wrong    a JWT signed with another secret (-> code 401)
Headers given in ``headers:`` are sent verbatim (the seed-000 token, for instance).
"""

from __future__ import annotations

import itertools
import json

import jwt
import orjson
import pytest
import TLSSigAPIv2

from emulator.app import RUNTIME

SDKAPPID = 1400000000
KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
ADMIN = "administrator"
WRONG_KEY = "0" * 64
_random = itertools.count(10_000)


def tencent_sig(identifier: str = ADMIN, expire: int = 86400, sdkappid: int = SDKAPPID,
                key: str = KEY) -> str:
    """A real UserSig from tls-sig-api-v2 (TLS.time is the wall clock)."""
    return TLSSigAPIv2.TLSSigAPIv2(sdkappid, key).gen_sig(identifier, expire=expire)


def tencent_query(identifier: str = ADMIN, sig: str | None = None, sdkappid: int = SDKAPPID,
                  key: str = KEY) -> dict:
    return {"sdkappid": str(sdkappid), "identifier": identifier,
            "usersig": tencent_sig(identifier, sdkappid=sdkappid, key=key) if sig is None else sig,
            "random": str(next(_random)), "contenttype": "json"}


def v4_path(command_path: str) -> str:
    """'create_group' / 'group_open_http_svc/create_group' / '/v4/...' -> the full path."""
    if command_path.startswith("/"):
        return command_path
    if "/" not in command_path:
        command_path = f"group_open_http_svc/{command_path}"
    return f"/v4/{command_path}"


async def tencent_call(client, command_path: str, body=None, identifier: str = ADMIN,
                       sig: str | None = None, query: dict | None = None, raw=None,
                       sdkappid: int = SDKAPPID, key: str = KEY, method: str = "POST") -> dict:
    """Call one REST command with a signed URL; returns the JSON body (asserting HTTP 200)."""
    params = tencent_query(identifier, sig, sdkappid, key) if query is None else query
    data = raw if raw is not None else orjson.dumps({} if body is None else body)
    resp = await client.request(method, v4_path(command_path), params=params, data=data,
                                headers={"Content-Type": "application/json"})
    assert resp.status == 200, await resp.text()
    return orjson.loads(await resp.read())


def gateway_token(secret: str, username: str = "admin", exp: float | None = None) -> str:
    claims = {"username": username, "userIdentity": 2}
    if exp is not None:
        claims["exp"] = int(exp)
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture
def tim(client):
    """``await tim("create_group", {...})`` -> JSON body, signed as the app admin."""
    async def call(command_path: str, body=None, **kw) -> dict:
        return await tencent_call(client, command_path, body, **kw)
    return call


async def set_clock(client, **body) -> None:
    resp = await client.post("/_emulator/clock", json=body)
    assert resp.status == 200, await resp.text()


def _app_key(client, sdkappid: str) -> str:
    app = client.app[RUNTIME].providers["tencent"].backend.tenants.get(sdkappid)
    return app.key if app is not None else KEY


async def prepare_exchange_request(client, req: dict, ctx: dict) -> dict:
    mode = req.get("auth", "admin")
    extra = dict(req.get("query") or {})
    headers = dict(req.get("headers") or {})
    params: dict = {}
    if mode.startswith("gateway"):
        rt = client.app[RUNTIME]
        cfg = rt.providers["tencent"].backend.gateway or {}
        now = rt.clock.now()
        user = (cfg.get("users") or ["admin"])[0]
        if mode == "gateway":
            token = gateway_token(cfg.get("secret", "x"), user, now + 3600)
        elif mode == "gateway-expired":
            token = gateway_token(cfg.get("secret", "x"), user, now - 3600)
        else:
            token = gateway_token("not-the-gateway-secret-not-the-gateway-secret", user, now + 3600)
        headers.setdefault("x-access-token", token)
    elif mode != "none":
        sdkappid = str(extra.get("sdkappid", SDKAPPID))
        key = _app_key(client, sdkappid)
        identifier = extra.get("identifier", ADMIN)
        if mode.startswith("user:"):
            identifier = mode[5:]
        sig = {
            "empty-sig": lambda: "",
            "garbage-sig": lambda: "xxx",
            "other-identifier": lambda: tencent_sig("bob", sdkappid=int(sdkappid), key=key),
            "other-sdkappid": lambda: tencent_sig(identifier, sdkappid=int(sdkappid) + 1, key=key),
            "wrong-key": lambda: tencent_sig(identifier, sdkappid=int(sdkappid), key=WRONG_KEY),
            "expired": lambda: tencent_sig(identifier, expire=-60, sdkappid=int(sdkappid), key=key),
        }.get(mode, lambda: tencent_sig(identifier, sdkappid=int(sdkappid), key=key))()
        params = {"sdkappid": sdkappid, "identifier": identifier, "usersig": sig,
                  "random": "99999999", "contenttype": "json"}
    params.update({k: v for k, v in extra.items() if k not in ("sdkappid", "identifier")})
    if "json" in req:
        try:
            data = orjson.dumps(req["json"])
        except TypeError:           # integers beyond 64 bits (fuzzing): the stdlib encoder
            data = json.dumps(req["json"])
        headers.setdefault("Content-Type", "application/json")
    elif "form" in req:
        data = "&".join(f"{k}={v}" for k, v in req["form"].items())
    else:
        data = req.get("body")
    return {"method": req.get("method", "POST"), "path": req["path"], "params": params,
            "headers": headers, "data": data}
