"""/_emulator/presence and /_emulator/tokens/check: presence set from tests, client tokens checked.

No client connects to the emulator, so a test says who is online (``POST /_emulator/presence``)
and asks whether a client token the provider issued would be accepted now
(``POST``/``GET /_emulator/tokens/check``). The state lives in each tenant's core/presence.py
instance; a provider without one answers 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from aiohttp import web
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

if TYPE_CHECKING:
    from emulator.app import Runtime


class PresenceSet(Schema):
    provider = fields.String(required=True, validate=validate.Length(min=1))
    tenant = fields.String(required=True, validate=validate.Length(min=1))
    user = fields.String(required=True, validate=validate.Length(min=1))
    platform = fields.Raw(load_default=None)   # the provider's own spelling (string or number)
    online = fields.Boolean(required=True)

    @validates_schema
    def _platform(self, data, **kwargs):
        if data.get("online") and data.get("platform") in (None, ""):
            raise ValidationError("going online needs a platform", "platform")


class PresenceQuery(Schema):
    provider = fields.String(required=True, validate=validate.Length(min=1))
    tenant = fields.String(required=True, validate=validate.Length(min=1))
    user = fields.String(validate=validate.Length(min=1))


class TokenQuery(Schema):
    provider = fields.String(required=True, validate=validate.Length(min=1))
    tenant = fields.String(required=True, validate=validate.Length(min=1))
    token = fields.String(required=True, validate=validate.Length(min=1))


def setup_presence(app: web.Application, rt: "Runtime", prefix: str, endpoint: Callable,
                   read_json: Callable, reply: Callable, control_error: type,
                   error_details: Callable) -> None:
    """Add the routes; the helpers are control/routes.py's (auth wrapper, JSON body, replies)."""

    def load(schema: Schema, data: Any, what: str) -> dict:
        if not isinstance(data, dict):
            raise control_error(400, f"{what}: a JSON object is required")
        try:
            return schema.load(data)
        except ValidationError as exc:
            raise control_error(400, f"bad {what}", details=error_details(exc.messages)) from None

    def backend_and_presence(q: dict):
        provider = rt.providers.get(q["provider"])
        if provider is None:
            raise control_error(400, f"unknown provider {q['provider']!r}", providers=list(rt.providers),
                                details=[{"path": "provider", "reason": "unknown provider"}])
        backend = provider.backend
        if q["tenant"] not in backend.tenants:
            raise control_error(404, f"unknown {q['provider']} tenant {q['tenant']!r}",
                                details=[{"path": "tenant", "reason": "unknown tenant"}])
        return backend, backend.presence(q["tenant"])

    def view(q: dict, presence, user: str) -> dict:
        rows = presence.platforms(user)
        return {"provider": q["provider"], "tenant": q["tenant"], "user": user,
                "online": bool(rows), "platforms": rows}

    @endpoint
    async def post_presence(request):
        q = load(PresenceSet(), await read_json(request), "presence request")
        backend, presence = backend_and_presence(q)
        if presence is None:
            raise control_error(400, f"{q['provider']} keeps no presence")
        now = rt.clock.now_ms()
        if q["platform"] in (None, ""):
            presence.go_offline(q["user"], now, "control")
        else:
            try:
                platform = backend.normalise_platform(q["platform"])
            except ValueError as exc:
                raise control_error(400, "bad presence request",
                                    details=[{"path": "platform", "reason": str(exc)}]) from None
            active = presence.suspended(q["user"], now) if q["online"] else []
            if active:  # a banned or deactivated user cannot connect
                reason, _ = active[0]
                raise control_error(409, f"user {q['user']!r} cannot go online: {reason}",
                                    details=[{"path": "user", "reason": reason}])
            presence.set_online(q["user"], platform, q["online"], now, "control")
        return reply(view(q, presence, q["user"]))

    @endpoint
    async def get_presence(request):
        q = load(PresenceQuery(), dict(request.query), "presence query")
        _, presence = backend_and_presence(q)
        if presence is None:
            raise control_error(400, f"{q['provider']} keeps no presence")
        if "user" in q:
            return reply(view(q, presence, q["user"]))
        return reply({"provider": q["provider"], "tenant": q["tenant"], "users": presence.listing()})

    async def token_check(q: dict):
        backend, _ = backend_and_presence(q)
        result = backend.check_client_token(q["tenant"], q["token"], rt.clock.now_ms())
        return reply(result.as_json())

    @endpoint
    async def post_token_check(request):
        return await token_check(load(TokenQuery(), await read_json(request), "token check"))

    @endpoint
    async def get_token_check(request):
        return await token_check(load(TokenQuery(), dict(request.query), "token check"))

    r = app.router
    r.add_post(f"{prefix}/presence", post_presence)
    r.add_get(f"{prefix}/presence", get_presence)
    r.add_post(f"{prefix}/tokens/check", post_token_check)
    r.add_get(f"{prefix}/tokens/check", get_token_check)
