"""/_emulator/callbacks: what the emulator sent (or would have sent) to the app's server, and the
per-tenant callback configuration, settable live.

GET    /_emulator/callbacks?provider=&tenant=&command=&outcome=&kind=&since=<id>&limit=&wait=<s>
DELETE /_emulator/callbacks                      clear the record (and overflow counters)
GET    /_emulator/callbacks/config               every tenant's configuration
PUT    /_emulator/callbacks/config               one configuration (same shape as a scenario entry)
DELETE /_emulator/callbacks/config/{provider}/{tenant}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from aiohttp import web
from marshmallow import Schema, ValidationError, fields, validate

from emulator.control.routes import PREFIX, ControlError, control_endpoint, error_details, load_query, reply

if TYPE_CHECKING:
    from emulator.app import Runtime


class CallbackQuery(Schema):
    provider = fields.String()
    tenant = fields.String()
    command = fields.String()
    outcome = fields.String()
    kind = fields.String(validate=validate.OneOf(["before", "after"]))
    since = fields.Integer(validate=validate.Range(min=0))
    limit = fields.Integer(validate=validate.Range(min=0))
    # wait up to this many seconds for a first matching record (tests waiting on an after-hook)
    wait = fields.Float(validate=validate.Range(min=0, max=60))


def setup_callbacks(app: web.Application, rt: "Runtime") -> None:
    engine = rt.callbacks

    endpoint = control_endpoint(rt)   # the admin token and JSON errors, as every control route

    @endpoint
    async def get_callbacks(request):
        q = load_query(CallbackQuery(), request, "callbacks query")
        wait = q.pop("wait", None)
        if wait:
            keys = ("provider", "tenant", "command", "outcome", "kind")
            since = q.get("since")
            await engine.wait_for(lambda r: all(q.get(k) is None or r[k] == q[k] for k in keys)
                                  and (since is None or r["id"] > since), wait)
        rows = engine.list(**q)
        return reply({"count": len(rows), "deliveries": rows, **engine.stats()})

    @endpoint
    async def delete_callbacks(request):
        return reply({"status": "cleared", "count": engine.clear()})

    @endpoint
    async def get_config(request):
        return reply({"configs": [c.source for c in engine.configs.values()]})

    @endpoint
    async def put_config(request):
        raw = await request.read()
        try:
            doc = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError as exc:
            raise ControlError(400, f"body is not valid JSON: {exc}") from None
        try:
            cfg = engine.validate(doc)
        except ValidationError as exc:
            raise ControlError(400, "invalid callback configuration",
                               details=error_details(exc.messages)) from None
        engine.set_config(cfg)
        return reply(cfg.source)

    @endpoint
    async def delete_config(request):
        provider, tenant = request.match_info["provider"], request.match_info["tenant"]
        if not engine.remove_config(provider, tenant):
            raise ControlError(404, f"no callback configuration for {provider} tenant {tenant}")
        return reply({"status": "deleted", "provider": provider, "tenant": tenant})

    app.router.add_get(f"{PREFIX}/callbacks", get_callbacks)
    app.router.add_delete(f"{PREFIX}/callbacks", delete_callbacks)
    app.router.add_get(f"{PREFIX}/callbacks/config", get_config)
    app.router.add_put(f"{PREFIX}/callbacks/config", put_config)
    app.router.add_delete(f"{PREFIX}/callbacks/config/{{provider}}/{{tenant}}", delete_config)
