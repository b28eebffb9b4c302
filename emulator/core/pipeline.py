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
from functools import partial
from time import monotonic, perf_counter
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from emulator.core.body import BodyRefused, buffered_body, read_body
from emulator.core.call import Call, Route
from emulator.core.callbacks import Pending
from emulator.core.errors import ProviderError
from emulator.core.persist import PersistError
from emulator.core.reply import json_reply

if TYPE_CHECKING:
    from emulator.app import Runtime
    from emulator.providers.base import Provider

log = logging.getLogger("emulator.pipeline")
# One DEBUG line per request (--log-level DEBUG). isEnabledFor is a cached dict lookup in the
# logging module (~0.1 us), so the hot path pays that and formats nothing unless DEBUG is on.
request_log = logging.getLogger("emulator.requests")
_DEBUG = logging.DEBUG


def log_request(method: str, path: str, provider: str, api: str, status: int, code, ms: float) -> None:
    """``POST /v4/group_open_http_svc/create_group tencent create_group 200 code=- 1.20ms``;
    code is the provider's error code (``-`` on success). The query (credentials) is left out."""
    request_log.debug("%s %s %s %s %d code=%s %.2fms", method, path, provider, api, status, code, ms)


def dumps(body) -> bytes:
    try:
        # string keys only (nearly every reply): orjson's fast path; OPT_NON_STR_KEYS, which
        # costs about half as much again, only for the replies that need it
        return orjson.dumps(body)
    except TypeError:
        pass
    try:
        return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        # A reply that echoes request bytes which are not UTF-8 (a header aiohttp kept as
        # surrogates): write U+FFFD for them, as Go's and most JSON encoders do.
        return orjson.dumps(_scrub(body), option=orjson.OPT_NON_STR_KEYS)


def _scrub(value):
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


async def _both(first, second) -> None:
    """Two log commits of one request (its entry, then the entry with its before-hook outcomes)."""
    try:
        await first
    finally:
        await second


def make_handler(rt: "Runtime", provider: "Provider", route: Route):
    """An aiohttp handler bound to one route: ``run`` with its first arguments bound (a partial
    is called from C, so the route costs no coroutine frame of its own)."""
    key = f"{provider.name} {route.method} {route.path}"
    # every bound argument positional: a partial with keywords copies its keyword dict and
    # takes the slower call path on every request
    handler = partial(_run, rt, provider, route, key)
    handler.__name__ = f"{provider.name}:{route.api}"
    handler.route_key = key      # what a durable log entry names (core/persist.py)
    return handler


def run(rt: "Runtime", provider: "Provider", route: Route, request: web.Request,
        key: str = ""):
    """The pipeline for one request (a coroutine to await)."""
    return _run(rt, provider, route, key, request)


async def _run(rt: "Runtime", provider: "Provider", route: Route, key: str,
               request: web.Request) -> web.StreamResponse:
    rt.callbacks.last_request = monotonic()   # after-callbacks yield to a busy server (core/callbacks.py)
    started = perf_counter()
    refused = None
    if request.body_exists:
        # the usual request: a plain body aiohttp already holds whole, taken without awaiting
        raw = buffered_body(request, rt.settings.max_body_bytes)
        if raw is None:
            try:
                raw = await read_body(request, rt.settings.max_body_bytes)
            except BodyRefused as exc:   # over the cap or undecodable: answered below, in the envelope
                raw, refused = b"", exc
    else:
        raw = b""
    call = Call(request, provider, route, raw, rt.clock.now())
    code = "-"
    pending = None   # the commit of this request's log entry, awaited before the reply leaves
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
            limit = provider.rate_limit(call)   # None or 0: unlimited, nothing to count
            if limit and call.tenant_id is not None and not rt.limiter.allow(
                    provider.name, call.tenant_id, call.api, limit):
                raise provider.rate_limited(call)
        call.payload = provider.parse_body(call)
        call.data = provider.validate(call)
        if rt.store is not None and not route.readonly:
            try:  # write-ahead: logged before the handler changes anything
                pending = rt.store.log_request(call, key)
            except PersistError as exc:
                log.error("%s: %s %s refused", exc, provider.name, call.api)
                raise provider.internal_error(call) from None
        result = route.handler(call)
        outcomes: list | None = None    # made only when a before-hook asks (rarely)
        while type(result) is Pending:   # a before-hook: ask it (no state has changed), then apply
            outcome = await rt.callbacks.before(result.hook, call)
            if pending is not None:      # durable: the request again, with what decided it, first
                if outcomes is None:
                    outcomes = []
                outcomes.append(outcome.as_json())
                try:
                    decided = rt.store.log_request(call, key, outcomes)
                except PersistError as exc:
                    log.error("%s: %s %s refused", exc, provider.name, call.api)
                    raise provider.internal_error(call) from None
                if decided is not None:
                    pending = _both(pending, decided)
            result = result.apply(outcome)
        status, body = provider.render_ok(call, result)
    except ProviderError as err:
        code = err.code
        status, body = provider.render_error(call, err)
    except Exception:  # a bug: keep the client in the provider's envelope, keep the traceback
        log.exception("unhandled error in %s %s", provider.name, call.api)
        err = provider.internal_error(call)
        code = err.code
        status, body = provider.render_error(call, err)
    if pending is not None:
        try:
            await pending
        except PersistError:   # the store has undone the change; the reply must not claim it
            err = provider.internal_error(call)
            code = err.code
            status, body = provider.render_error(call, err)
    hooks = call.extra.get("after_hooks") if call.extra and code == "-" else None
    if hooks:    # after-callbacks of a request that took effect (and is on disk)
        rt.callbacks.enqueue(hooks)
    payload = body if isinstance(body, bytes) else dumps(body)
    # refused: the connection closes after the reply (the rest of that body is never read)
    response = json_reply(request, status, payload, call.response_headers, refused is not None,
                          rt.plain_replies)
    ms = (perf_counter() - started) * 1000
    rt.journal.record(call.now, provider.name, call.tenant_id, call.api, request.method,
                      request.path, request.query_string, request.headers, raw, status,
                      payload, ms)
    if request_log.isEnabledFor(_DEBUG):
        log_request(request.method, request.path, provider.name, call.api, status, code, ms)
    return response
