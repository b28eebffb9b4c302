"""The control plane under /_emulator/: JSON in and out, never a provider envelope."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING

import orjson
from aiohttp import web
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from emulator import __version__
from emulator.core.errors import ScenarioError
from emulator.core.persist import PersistError
from emulator.core.pipeline import dumps
from emulator.core.scenario import flatten_errors, parse_document


def error_details(messages) -> list[dict]:
    """marshmallow errors as [{path, reason}], the shape scenario errors use too."""
    return [{"path": p, "reason": r} for p, r in flatten_errors(messages)]

if TYPE_CHECKING:
    from emulator.app import Runtime

PREFIX = "/_emulator"


class ControlError(Exception):
    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def reply(body, status: int = 200) -> web.Response:
    return web.Response(status=status, body=dumps(body), content_type="application/json", charset="utf-8")


class ClockSchema(Schema):
    freeze_at = fields.Float(allow_nan=False)
    advance_s = fields.Float(allow_nan=False)
    real = fields.Boolean()

    @validates_schema
    def _one(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("give exactly one of freeze_at, advance_s, real")
        if data.get("real") is False:
            raise ValidationError("real must be true", "real")


class JournalQuery(Schema):
    provider = fields.String()
    api = fields.String()
    tenant = fields.String()
    limit = fields.Integer(validate=validate.Range(min=0))


def setup_control(app: web.Application, rt: "Runtime") -> None:
    token = rt.settings.admin_token
    token_digest = hashlib.sha256(token.encode()).digest() if token is not None else b""

    def endpoint(fn, public: bool = False):
        """``public``: answered without the admin token (health: orchestrators and HEALTHCHECK
        probe without secrets); everything else needs it, compared in constant time."""
        async def wrapped(request: web.Request) -> web.Response:
            try:
                if token is not None and not public:
                    given = request.headers.get("X-Emulator-Token", "")
                    # digests first: equal lengths, so not even the token's length leaks
                    if not hmac.compare_digest(hashlib.sha256(given.encode()).digest(), token_digest):
                        raise ControlError(401, "missing or wrong X-Emulator-Token")
                return await fn(request)
            except ControlError as exc:
                return reply({"error": exc.message, **exc.extra}, exc.status)
            except ScenarioError as exc:
                return reply(exc.as_json(), 400)
            except PersistError as exc:   # the change was not made: it could not be made durable
                return reply({"error": str(exc)}, 500)
        wrapped.__name__ = fn.__name__
        return wrapped

    async def read_json(request: web.Request):
        raw = await request.read()
        if not raw:
            raise ControlError(400, "a JSON body is required")
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ControlError(400, f"body is not valid JSON: {exc}") from None

    def narrow(request: web.Request) -> tuple[str | None, str | None]:
        provider = request.query.get("provider") or None
        tenant = request.query.get("tenant") or None
        if provider is not None and provider not in rt.providers:
            raise ControlError(400, f"unknown provider {provider!r}", providers=list(rt.providers))
        if tenant is not None:
            if provider is None:
                raise ControlError(400, "tenant needs provider")
            if not rt.providers[provider].backend.knows(tenant):
                raise ControlError(404, f"unknown {provider} tenant {tenant!r}")
        return provider, tenant

    async def health(request):
        return reply({"status": "ok", "version": __version__, "providers": list(rt.providers),
                      "uptime_s": round(time.monotonic() - rt.started, 3)})
    health = endpoint(health, public=True)

    @endpoint
    async def reset(request):
        provider, tenant = narrow(request)
        rt.reset(provider, tenant)
        return reply({"status": "reset", "provider": provider, "tenant": tenant})

    @endpoint
    async def get_state(request):
        provider, tenant = narrow(request)
        return reply(rt.dump_state(provider, tenant))

    @endpoint
    async def put_state(request):
        provider, tenant = narrow(request)
        data = await read_json(request)
        if not isinstance(data, dict):
            raise ControlError(400, "state must be an object keyed by provider")
        unknown = [k for k in data if k not in rt.providers]
        if unknown:
            raise ControlError(400, f"unknown provider(s) in state: {', '.join(map(str, unknown))}")
        try:
            rt.load_state(data, provider, tenant)
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as exc:
            raise ControlError(400, f"state cannot be loaded: {exc!r}") from None
        return reply({"status": "loaded"})

    @endpoint
    async def check_state(request):
        problems = rt.check_invariants()
        ok = not any(problems.values())
        return reply({"ok": ok, "problems": problems}, 200 if ok else 409)

    @endpoint
    async def post_scenario(request):
        mode = request.query.get("mode", "replace")
        if mode not in ("replace", "merge"):
            raise ControlError(400, "mode must be replace or merge")
        raw = await request.read()
        doc = parse_document(raw, "request body")
        rt.apply_scenario(doc, "request body", merge=(mode == "merge"), text=raw)
        return reply({"status": "loaded", "mode": mode, "tenants": {
            name: sorted(p.backend.tenants) for name, p in rt.providers.items()}})

    @endpoint
    async def get_journal(request):
        try:
            q = JournalQuery().load(dict(request.query))
        except ValidationError as exc:
            raise ControlError(400, "bad journal query", details=error_details(exc.messages)) from None
        entries = rt.journal.entries(q.get("provider"), q.get("api"), q.get("tenant"), q.get("limit"))
        return reply({"size": rt.journal.size, "count": len(entries),
                      "entries": [rt.journal.render(e) for e in entries]})

    @endpoint
    async def delete_journal(request):
        rt.journal.clear()
        return reply({"status": "cleared"})

    @endpoint
    async def get_faults(request):
        return reply({"faults": [f.as_json() for f in rt.faults.list()]})

    @endpoint
    async def post_faults(request):
        data = await read_json(request)
        specs = data if isinstance(data, list) else [data]
        try:
            # validate all first so a list is taken whole or not at all
            for spec in specs:
                rt.faults.validate(spec)
        except ValidationError as exc:
            raise ControlError(400, "invalid fault", details=error_details(exc.messages)) from None
        added = [f.as_json() for f in rt.add_faults(specs)]
        return reply({"faults": added} if isinstance(data, list) else added[0], 201)

    @endpoint
    async def delete_faults(request):
        fault_id = request.match_info.get("fault_id")
        if fault_id is not None:
            if not fault_id.isdigit():
                raise ControlError(400, "fault id must be a number")
            if not any(f.id == int(fault_id) for f in rt.faults.list()):
                raise ControlError(404, f"no fault {fault_id}")
            rt.clear_faults(int(fault_id))
            return reply({"status": "deleted", "id": int(fault_id)})
        return reply({"status": "deleted", "count": rt.clear_faults()})

    @endpoint
    async def get_clock(request):
        return reply(rt.clock.describe())

    @endpoint
    async def post_clock(request):
        data = await read_json(request)
        if not isinstance(data, dict):
            raise ControlError(400, "clock body must be an object")
        try:
            q = ClockSchema().load(data)
        except ValidationError as exc:
            raise ControlError(400, "bad clock request", details=error_details(exc.messages)) from None
        rt.apply_clock(q)
        return reply(rt.clock.describe())

    @endpoint
    async def get_messages(request):
        from emulator.control.messages import MessagesQuery, list_messages
        try:
            q = MessagesQuery().load(dict(request.query))
        except ValidationError as exc:
            raise ControlError(400, "bad messages query", details=error_details(exc.messages)) from None
        narrow(request)
        return reply(list_messages(rt, q))

    @endpoint
    async def get_apis(request):
        """The names faults and the journal use, per provider, from the providers' routes."""
        provider, _ = narrow(request)
        return reply({name: [{"api": r.api, "method": r.method, "path": r.path, "summary": r.summary}
                             for r in p.api_routes()]
                      for name, p in rt.providers_for(provider).items()})

    openapi_doc: list[bytes] = []

    @endpoint
    async def openapi(request):
        if not openapi_doc:  # built on first use: start-up stays fast
            from emulator.openapi import build
            openapi_doc.append(dumps(build(rt.providers)))
        return web.Response(body=openapi_doc[0], content_type="application/json", charset="utf-8")

    r = app.router
    r.add_get(f"{PREFIX}/openapi.json", openapi)
    r.add_get(f"{PREFIX}/health", health)
    r.add_get(f"{PREFIX}/apis", get_apis)
    r.add_post(f"{PREFIX}/reset", reset)
    r.add_get(f"{PREFIX}/state", get_state)
    r.add_put(f"{PREFIX}/state", put_state)
    r.add_get(f"{PREFIX}/state/check", check_state)
    r.add_post(f"{PREFIX}/scenario", post_scenario)
    r.add_get(f"{PREFIX}/journal", get_journal)
    r.add_delete(f"{PREFIX}/journal", delete_journal)
    r.add_get(f"{PREFIX}/faults", get_faults)
    r.add_post(f"{PREFIX}/faults", post_faults)
    r.add_delete(f"{PREFIX}/faults", delete_faults)
    r.add_delete(f"{PREFIX}/faults/{{fault_id}}", delete_faults)
    r.add_get(f"{PREFIX}/clock", get_clock)
    r.add_get(f"{PREFIX}/messages", get_messages)
    r.add_post(f"{PREFIX}/clock", post_clock)

    from emulator.control.rongcloud_history import setup_rongcloud_history
    setup_rongcloud_history(app, rt, PREFIX)

    from emulator.control.presence_routes import setup_presence
    setup_presence(app, rt, PREFIX, endpoint, read_json, reply, ControlError, error_details)

    from emulator.control.credentials import setup_credentials
    setup_credentials(app, rt, PREFIX, endpoint, reply, ControlError, error_details)
