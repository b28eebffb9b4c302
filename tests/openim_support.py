"""Fixtures and token helpers for openim tests (loaded by tests/conftest.py).

Tokens always come from the emulator itself (/auth/get_admin_token, /auth/get_user_token).

Golden-exchange ``auth:`` modes (prepare_exchange_request):
  admin          operationID + a token from /auth/get_admin_token (secret openIM123, imAdmin)
  user:ID        operationID + a token from /auth/get_user_token for ID (platform 1)
  none           operationID only (whitelisted /auth routes)
  no-operation   no headers at all
  no-token       operationID, no token
  bad-signature  operationID + a JWT for imAdmin signed with a wrong secret
Tokens are cached per exchange in ctx.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import jwt
import orjson
import pytest

from emulator.settings import Settings

SECRET = "openIM123"
ADMIN = "imAdmin"
OPENIM_SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "openim-default.yaml"
_op_ids = itertools.count(1)


def openim_settings() -> Settings:
    """Only the OpenIM provider, on its own copy of the default tenant."""
    return Settings(port=0, providers=("openim",), scenario=OPENIM_SCENARIO)


async def openim_call(client, path: str, body=None, token: str | None = None,
                      operation_id: str | None = "auto", raw: bytes | str | None = None,
                      headers: dict | None = None):
    """POST ``body`` (JSON) to ``path``; returns (HTTP status, parsed JSON body)."""
    h = {}
    if operation_id == "auto":
        operation_id = f"op{next(_op_ids)}"
    if operation_id is not None:
        h["operationID"] = operation_id
    if token is not None:
        h["token"] = token
    h.update(headers or {})
    data = raw if raw is not None else orjson.dumps({} if body is None else body)
    resp = await client.post(path, data=data, headers=h)
    text = await resp.read()
    return resp.status, orjson.loads(text) if text else None


async def openim_err(client, path: str, body, token: str) -> tuple[int, str]:
    """(errCode, errDlt) of one call: what the check-order tests compare."""
    _, resp = await openim_call(client, path, body, token=token)
    return resp["errCode"], resp["errDlt"]


async def get_admin_token(client, secret: str = SECRET, user_id: str = ADMIN) -> str:
    status, body = await openim_call(client, "/auth/get_admin_token", {"secret": secret, "userID": user_id})
    assert status == 200 and body["errCode"] == 0, body
    return body["data"]["token"]


async def get_user_token(client, admin_token: str, user_id: str, platform_id: int = 1) -> str:
    status, body = await openim_call(client, "/auth/get_user_token",
                                     {"userID": user_id, "platformID": platform_id}, token=admin_token)
    assert status == 200 and body["errCode"] == 0, body
    return body["data"]["token"]


def openim_tenant(runtime, secret: str = SECRET):
    """The backend's tenant with this secret (tenants are keyed by a non-secret id)."""
    return runtime.providers["openim"].backend.by_secret(secret)


def decode(token: str, secret: str = SECRET) -> dict:
    with warnings.catch_warnings():   # the server's default secret is short by design
        warnings.simplefilter("ignore")
        return jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False})


@pytest.fixture
async def openim_admin_token(client) -> str:
    return await get_admin_token(client)


@pytest.fixture
def openim_user_token(client, openim_admin_token):
    """Async factory: await openim_user_token("bob") -> a fresh user token."""
    async def make(user_id: str, platform_id: int = 1) -> str:
        return await get_user_token(client, openim_admin_token, user_id, platform_id)
    return make


async def prepare_exchange_request(client, req: dict, ctx: dict) -> dict:
    mode = req.get("auth", "admin")
    headers: dict = {}
    if mode != "no-operation":
        headers["operationID"] = str(ctx.setdefault("op_seq", 1000) + 1)
        ctx["op_seq"] += 1
    if mode == "admin":
        if "admin" not in ctx:
            ctx["admin"] = await get_admin_token(client)
        headers["token"] = ctx["admin"]
    elif mode.startswith("user:"):
        uid = mode[5:]
        if "admin" not in ctx:
            ctx["admin"] = await get_admin_token(client)
        key = f"user:{uid}"
        if key not in ctx:
            ctx[key] = await get_user_token(client, ctx["admin"], uid)
        headers["token"] = ctx[key]
    elif mode == "bad-signature":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            headers["token"] = jwt.encode({"UserID": ADMIN, "PlatformID": 10, "exp": 4102444800,
                                           "iat": 1700000000}, "not-the-secret", algorithm="HS256")
    headers.update(req.get("headers") or {})
    if "json" in req:
        data = orjson.dumps(req["json"])
        headers.setdefault("Content-Type", "application/json")
    elif "body" in req:
        data = req["body"]
    else:
        data = None
    return {"method": req.get("method", "POST"), "path": req["path"],
            "params": req.get("query") or {}, "headers": headers, "data": data}


async def create_group(client, token: str, owner: str = "leckie", members=("bob",), admins=("tommy",),
                       **info) -> str:
    """Create a group through the API; returns its groupID."""
    body = {"ownerUserID": owner, "memberUserIDs": list(members), "adminUserIDs": list(admins),
            "groupInfo": {"groupType": 2, "groupName": "g"} | info}
    _, resp = await openim_call(client, "/group/create_group", body, token=token)
    assert resp["errCode"] == 0, resp
    return resp["data"]["groupInfo"]["groupID"]
