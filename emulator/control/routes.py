"""The control plane under /_emulator/: JSON in and out, never a provider envelope."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import TYPE_CHECKING

import orjson
from aiohttp import web
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from emulator import __version__
from emulator.core import gctune
from emulator.core.errors import ScenarioError, SeedError
from emulator.core.persist import PersistError
from emulator.core.pipeline import dumps
from emulator.core.scenario import flatten_errors, oversized_ints, parse_document


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


# The clock stays within years 1970..9999: timestamps beyond break date formatting, millisecond
# conversions and the providers' 64-bit time fields.
CLOCK_MAX_S = 253_402_300_799.0    # 9999-12-31T23:59:59Z


class ClockSchema(Schema):
    freeze_at = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=CLOCK_MAX_S))
    advance_s = fields.Float(allow_nan=False, validate=validate.Range(min=-CLOCK_MAX_S, max=CLOCK_MAX_S))
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
    since = fields.Integer(validate=validate.Range(min=0))    # entries after this seq
    error = fields.String(validate=validate.Regexp(r"^(any|-?\d{1,20})$",
                                                   error="any, or a provider error code"))


async def off_loop(fn, *args):
    """Run pure, slow control-plane work (parsing, validating, building, checking) in a thread so
    the event loop keeps serving requests meanwhile; the GIL still lets the loop run between
    the thread's bytecodes."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


CHECK_ATTEMPTS = 3


async def check_off_loop(rt: "Runtime") -> dict[str, list[str]]:
    """The invariant check, read without locks from a thread while requests go on.

    A request may change state mid-read: a dict resized under the iteration raises and the read
    is retried; a problem seen in a moving state may be an artefact, so any problem is confirmed
    by a second check on the loop (state consistent, rare: only when something is wrong)."""
    for _ in range(CHECK_ATTEMPTS):
        try:
            problems = await off_loop(rt.check_invariants)
        except RuntimeError:     # "dictionary changed size during iteration"
            continue
        if not any(problems.values()):
            return problems
        break
    return rt.check_invariants()


def load_query(schema: Schema, request: web.Request, what: str = "query") -> dict:
    """A route's query string through its schema; a bad one is a JSON 400 naming each field."""
    try:
        return schema.load(dict(request.query))
    except ValidationError as exc:
        raise ControlError(400, f"bad {what}", details=error_details(exc.messages)) from None


def control_endpoint(rt: "Runtime"):
    """The decorator every /_emulator/ JSON route goes through (this module's and the callbacks,
    inspector, presence, credentials and messages modules'): the admin token when one is set,
    errors as JSON, never a plain-text 500."""
    token = rt.settings.admin_token
    token_digest = hashlib.sha256(token.encode()).digest() if token is not None else b""

    def endpoint(fn, public: bool = False):
        """``public``: answered without the admin token (health: orchestrators and HEALTHCHECK
        probe without secrets); everything else needs it, compared in constant time."""
        async def wrapped(request: web.Request) -> web.Response:
            try:
                if token is not None and not public:
                    given = request.headers.get("X-Emulator-Token", "")
                    # digests first: equal lengths, so not even the token's length leaks;
                    # surrogateescape: header bytes that are not UTF-8 compare (unequal), not crash
                    if not hmac.compare_digest(
                            hashlib.sha256(given.encode("utf-8", "surrogateescape")).digest(), token_digest):
                        raise ControlError(401, "missing or wrong X-Emulator-Token")
                return await fn(request)
            except ControlError as exc:
                return reply({"error": exc.message, **exc.extra}, exc.status)
            except ScenarioError as exc:
                return reply(exc.as_json(), 400)
            except web.HTTPRequestEntityTooLarge:   # aiohttp's own refusal is plain text
                return reply({"error": "request body too large",
                              "max_bytes": rt.settings.max_body_bytes}, 413)
            except PersistError as exc:   # the change was not made: it could not be made durable
                return reply({"error": str(exc)}, 500)
        wrapped.__name__ = fn.__name__
        return wrapped
    return endpoint


def setup_control(app: web.Application, rt: "Runtime") -> None:
    scenario_lock = asyncio.Lock()   # one scenario at a time: build off the loop, then commit
    endpoint = control_endpoint(rt)

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
        too_big = oversized_ints(data)
        if too_big:
            raise ControlError(400, "state cannot be loaded", details=[
                {"path": p, "reason": r} for p, r in too_big])
        try:
            rt.load_state(data, provider, tenant)
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError, SeedError) as exc:
            # SeedError: a message store section (marks, membership history) that does not hold
            raise ControlError(400, f"state cannot be loaded: {exc!r}") from None
        gctune.refreeze_after_load()
        return reply({"status": "loaded"})

    @endpoint
    async def check_state(request):
        problems = await check_off_loop(rt)
        ok = not any(problems.values())
        return reply({"ok": ok, "problems": problems}, 200 if ok else 409)

    @endpoint
    async def post_scenario(request):
        mode = request.query.get("mode", "replace")
        if mode not in ("replace", "merge"):
            raise ControlError(400, "mode must be replace or merge")
        raw = await request.read()
        merge = mode == "merge"

        def build():
            doc = parse_document(raw, "request body")
            return doc, rt.prepare_scenario(doc, "request body", merge)
        async with scenario_lock:
            doc, prepared = await off_loop(build)   # YAML parse, validation, tenant build: off the loop
            rt.commit_scenario(prepared, doc, "request body", merge, text=raw)
        gctune.refreeze_after_load()
        return reply({"status": "loaded", "mode": mode, "tenants": {
            name: sorted(p.backend.tenants) for name, p in rt.providers.items()}})

    @endpoint
    async def get_journal(request):
        q = load_query(JournalQuery(), request, "journal query")
        if "error" in q or "since" in q:   # the inspector's filters (control/inspector.py)
            from emulator.control.inspector import filter_errors
            entries = filter_errors(rt, rt.journal.entries(q.get("provider"), q.get("api"), q.get("tenant"),
                                                           since=q.get("since")), q.get("error"))
            limit = q.get("limit")
            entries = entries if limit is None else entries[-limit:] if limit else []
        else:
            entries = rt.journal.entries(q.get("provider"), q.get("api"), q.get("tenant"), q.get("limit"))
        j = rt.journal
        return reply({"size": j.size, "count": len(entries), "max_bytes": j.max_bytes,
                      "body_limit": j.body_limit, "bytes": j.bytes, "dropped": j.dropped,
                      "truncated": j.truncated, "entries": [j.render(e) for e in entries]})

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
            # validate all first (off the loop: a list may be long) so it is taken whole or not at all
            loaded = await off_loop(lambda: [rt.faults.validate(spec) for spec in specs])
        except ValidationError as exc:
            raise ControlError(400, "invalid fault", details=error_details(exc.messages)) from None
        added = [f.as_json() for f in rt.add_faults(specs, validated=loaded)]
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
        if "advance_s" in q and not 0 <= rt.clock.now() + q["advance_s"] <= CLOCK_MAX_S:
            raise ControlError(400, "bad clock request", details=[{
                "path": "advance_s", "reason": f"the clock must stay within 0..{CLOCK_MAX_S:.0f}"}])
        rt.apply_clock(q)
        return reply(rt.clock.describe())

    @endpoint
    async def get_messages(request):
        from emulator.control.messages import MessagesQuery, list_messages
        q = load_query(MessagesQuery(), request, "messages query")
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
