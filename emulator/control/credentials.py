"""GET /_emulator/credentials: a valid credential for one provider's tenant, minted now on the
emulator clock (emulator/credentials.py says how each is made).

  ?provider=tencent&tenant=<SDKAppID>&identifier=<admin>[&expire=<s>]  UserSig + signed query
  ?provider=tencent-gateway[&username=<user>]                          seed-000 x-access-token
  ?provider=openim&tenant=<tenant id>[&user=<admin userID>]            admin token (issued: in the store)
  ?provider=rongcloud&tenant=<App-Key>[&nonce=&timestamp=]             the four signature headers
tenant defaults to the provider's first tenant, identifier/user to its first admin. With
``path`` (and optionally ``body``) the reply also carries ``curl``: the whole signed request as a
command line for this server (RongCloud does not sign the body, so any body goes with the headers).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Callable

from aiohttp import web
from marshmallow import Schema, ValidationError, fields, validate

from emulator import credentials as mint
from emulator.providers.tencent.auth import MAX_EXPIRE_S   # §2.1: UserSig validity up to 50 years

if TYPE_CHECKING:
    from emulator.app import Runtime

KINDS = ("tencent", "tencent-gateway", "openim", "rongcloud")


class CredentialsQuery(Schema):
    provider = fields.String(required=True, validate=validate.OneOf(KINDS))
    tenant = fields.String(validate=validate.Length(min=1))
    identifier = fields.String(validate=validate.Length(min=1, max=32))
    user = fields.String(validate=validate.Length(min=1))
    username = fields.String(validate=validate.Length(min=1))
    expire = fields.Integer(validate=validate.Range(min=1, max=MAX_EXPIRE_S))
    nonce = fields.String(validate=validate.Length(min=1, max=64))
    timestamp = fields.String(validate=validate.Regexp(r"^[0-9]{1,16}$"))
    path = fields.String(validate=validate.Regexp(r"^/[^\s]*$"))
    body = fields.String(validate=validate.Length(max=100_000))


def curl_command(base: str, q: dict, out: dict) -> str:
    """The signed request as one shell command: POST, the provider's headers/query, the body."""
    url = base + q["path"]
    if out["provider"] == "tencent":
        url += "?" + out["query_string"]
    default_body, ctype = {"rongcloud": ("", "application/x-www-form-urlencoded")}.get(
        out["provider"], ("{}", "application/json"))
    parts = ["curl", "-s", "-X", "POST", shlex.quote(url)]
    for name, value in {**(out.get("headers") or {}), "Content-Type": ctype}.items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    parts += ["--data-raw", shlex.quote(q.get("body", default_body))]
    return " ".join(parts)


def setup_credentials(app: web.Application, rt: "Runtime", prefix: str, endpoint: Callable,
                      reply: Callable, control_error: type, error_details: Callable) -> None:

    def tenant_of(provider: str, q: dict):
        backend = rt.providers.get(provider)
        if backend is None:
            raise control_error(400, f"provider {provider!r} is not running")
        tenants = backend.backend.tenants
        tid = q.get("tenant") or next(iter(tenants), None)
        if tid is None or tid not in tenants:
            raise control_error(404, f"unknown {provider} tenant {q.get('tenant')!r}",
                                tenants=list(tenants))
        return tid, tenants[tid]

    @endpoint
    async def get_credentials(request):
        q = load(request)
        out = mint_for(q)
        if "path" in q:
            out["curl"] = curl_command(f"{request.scheme}://{request.host}", q, out)
        return reply(out)

    def load(request) -> dict:
        try:
            q = CredentialsQuery().load(dict(request.query))
        except ValidationError as exc:
            raise control_error(400, "bad credentials query", details=error_details(exc.messages)) from None
        return q

    def mint_for(q: dict) -> dict:
        now = rt.clock.now()
        kind = q["provider"]
        if kind == "tencent":
            tid, app_ = tenant_of("tencent", q)
            identifier = q.get("identifier") or app_.admins[0]
            out = mint.tencent(tid, app_.key, identifier, now, q.get("expire", mint.DEFAULT_EXPIRE_S))
            if identifier not in app_.admins:
                out["note"] = f"{identifier} is not an app admin: REST calls with it answer 60010"
            return out
        if kind == "tencent-gateway":
            gw = rt.providers["tencent"].backend.gateway if "tencent" in rt.providers else None
            if not gw:
                raise control_error(404, "the scenario declares no seed-000 gateway")
            username = q.get("username") or ((gw.get("users") or ["admin"])[0])
            return mint.tencent_gateway(gw["secret"], username, now)
        if kind == "openim":
            from emulator.providers.openim import auth
            tid, t = tenant_of("openim", q)
            uid = q.get("user") or q.get("identifier") or t.admins[0]
            if not t.is_admin(uid) or uid not in t.users:
                raise control_error(400, f"{uid!r} is not a registered admin of this tenant",
                                    admins=list(t.admins))
            token, expire = auth.issue(t, uid, auth.ADMIN_PLATFORM_ID, now)
            return mint.openim_reply(tid, uid, token, expire, now)
        tid, app_ = tenant_of("rongcloud", q)
        return mint.rongcloud(tid, app_.app_secret, now, q.get("nonce"), q.get("timestamp"))

    app.router.add_get(f"{prefix}/credentials", get_credentials)
