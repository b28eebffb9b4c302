"""The two values the pipeline passes around: a Route (one emulated API) and a Call (one request
on its way through the pipeline). Providers build Routes in their urls.py; see DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from marshmallow import Schema

if TYPE_CHECKING:
    from aiohttp import web

    from emulator.providers.base import Provider


@dataclass(slots=True)
class Route:
    """One emulated API: ``api`` is the name faults, rate limits and the journal use."""

    method: str
    path: str
    api: str
    handler: Callable[["Call"], Any] | None = None
    schema: Schema | None = None
    auth: bool = True                  # False: the pipeline skips authenticate()
    envelope: "Provider | None" = None  # another envelope for this route (Tencent's admin wrapper)
    summary: str = ""                  # one line for the OpenAPI document
    # True: the handler never changes state, so the durable log (core/persist.py) skips it.
    # The default is "logged": a new route is durable without anyone remembering to say so.
    readonly: bool = False


class Call:
    """Everything one request carries through the pipeline."""

    __slots__ = ("request", "provider", "route", "api", "raw", "payload", "data", "tenant_id",
                 "tenant", "caller", "now", "response_headers", "extra")

    def __init__(self, request: "web.Request", provider: "Provider", route: Route, raw: bytes, now: float):
        self.request = request
        self.provider = provider
        self.route = route
        self.api = route.api
        self.raw = raw
        self.payload: Any = None     # the body as parsed by the provider (JSON value, form multidict)
        self.data: Any = None        # the body after schema validation
        self.tenant_id: str | None = None
        self.tenant: Any = None
        self.caller: str | None = None   # admin identifier / token user, when auth names one
        self.now = now
        self.response_headers: dict[str, str] | None = None
        self.extra: dict = {}
