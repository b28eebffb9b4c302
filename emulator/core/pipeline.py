"""The one request pipeline, parameterised by a Provider (DESIGN.md):

journal -> route -> injected fault? -> authenticate -> tenant -> rate limit
        -> parse + validate -> handler (the backend does the work) -> render envelope

Every step may raise the provider's ProviderError, caught once here and rendered by the provider.
Anything else is a bug: logged with its traceback and answered with the provider's own
internal-error code. Handlers are synchronous, so a state change never spans an ``await`` and
each request is atomic on the single event loop.
"""

from __future__ import annotations

import asyncio
import logging
from time import perf_counter
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from emulator.core.body import BodyRefused, read_body
from emulator.core.call import Call, Route
from emulator.core.errors import ProviderError

if TYPE_CHECKING:
    from emulator.app import Runtime
    from emulator.providers.base import Provider

log = logging.getLogger("emulator.pipeline")


def dumps(body) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)


def make_handler(rt: "Runtime", provider: "Provider", route: Route):
    """An aiohttp handler bound to one route; all the work is in ``run``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await run(rt, provider, route, request)

    handler.__name__ = f"{provider.name}:{route.api}"
    return handler


async def run(rt: "Runtime", provider: "Provider", route: Route, request: web.Request) -> web.Response:
    started = perf_counter()
    refused = None
    try:
        raw = await read_body(request, rt.settings.max_body_bytes) if request.body_exists else b""
    except BodyRefused as exc:   # over the cap or undecodable: answered below, in the envelope
        raw, refused = b"", exc
    call = Call(request, provider, route, raw, rt.clock.now())
    try:
        call.route = route = provider.resolve(call)
        call.api = route.api
        if refused is not None:
            raise provider.body_refused(call, refused.reason, refused.too_large)
        fault = rt.faults.match(provider.name, call.api, provider.tenant_hint(call)) \
            if rt.faults.watches(provider.name, call.api) else None
        if fault is not None:
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
                call.now = rt.clock.now()
            if fault.error is not None or fault.http_status is not None:
                raise provider.fault_error(call, fault.error, fault.message, fault.http_status)
        if route.auth:
            provider.authenticate(call)
            if call.tenant_id is not None and not rt.limiter.allow(
                    provider.name, call.tenant_id, call.api, provider.rate_limit(call)):
                raise provider.rate_limited(call)
        call.payload = provider.parse_body(call)
        call.data = provider.validate(call)
        result = route.handler(call)
        status, body = provider.render_ok(call, result)
    except ProviderError as err:
        status, body = provider.render_error(call, err)
    except Exception:  # a bug: keep the client in the provider's envelope, keep the traceback
        log.exception("unhandled error in %s %s", provider.name, call.api)
        status, body = provider.render_error(call, provider.internal_error(call))
    payload = body if isinstance(body, bytes) else dumps(body)
    response = web.Response(body=payload, status=status, content_type="application/json",
                            charset="utf-8", headers=call.response_headers)
    if refused is not None:
        response.force_close()   # the rest of that body is never read
    rt.journal.record(call.now, provider.name, call.tenant_id, call.api, request.method,
                      request.path, request.query_string, request.headers.items(), raw, status,
                      payload, (perf_counter() - started) * 1000)
    return response
