"""The two values the pipeline passes around: a Route (one emulated API) and a Call (one request
on its way through the pipeline). Providers build Routes in their urls.py; see DESIGN.md."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from aiohttp import web
    from marshmallow import Schema

    from emulator.providers.base import Provider


class SchemaRef:
    """A schema class named by module and attribute: its module is imported on first use."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def resolve(self) -> "type[Schema]":
        return getattr(import_module(self.module), self.name)

    def __repr__(self) -> str:
        return f"SchemaRef({self.module}:{self.name})"


class LazySchemas:
    """``s = LazySchemas(__package__ + ".schemas")`` in a urls.py: ``s.CreateGroup`` is a SchemaRef,
    and the schema module is imported by the first request of a route it serves (a module of ~40
    schema classes took 3-6 ms to import at start; bench/README.md, round 4). A misspelt name
    fails when the route is first used; tests/test_startup.py resolves every route's schema."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> SchemaRef:
        if name.startswith("__"):
            raise AttributeError(name)
        return SchemaRef(self._module, name)


class Route:
    """One emulated API: ``api`` is the name faults, rate limits and the journal use.

    ``schema`` may be given as a Schema class or a SchemaRef: it is instantiated the first time
    anyone reads ``route.schema`` (the route's first request, the fuzzer, the OpenAPI document),
    not at start (building ~280 schema instances was ~10 ms of every start; bench/README.md,
    round 4)."""

    __slots__ = ("method", "path", "api", "handler", "_schema", "auth", "envelope", "summary", "readonly")

    def __init__(self, method: str, path: str, api: str, handler: Callable[["Call"], Any] | None = None,
                 schema: "Schema | type[Schema] | SchemaRef | None" = None, auth: bool = True,
                 envelope: "Provider | None" = None, summary: str = "", readonly: bool = False) -> None:
        self.method = method
        self.path = path
        self.api = api
        self.handler = handler
        self._schema = schema
        self.auth = auth                  # False: the pipeline skips authenticate()
        self.envelope = envelope          # another envelope for this route (Tencent's admin wrapper)
        self.summary = summary            # one line for the OpenAPI document
        # True: the handler never changes state, so the durable log (core/persist.py) skips it.
        # The default is "logged": a new route is durable without anyone remembering to say so.
        self.readonly = readonly

    @property
    def schema(self) -> "Schema | None":
        s = self._schema
        if isinstance(s, (type, SchemaRef)):   # named: built on first use, then kept
            s = self._schema = (s.resolve() if isinstance(s, SchemaRef) else s)()
        return s

    @schema.setter
    def schema(self, value: "Schema | type[Schema] | SchemaRef | None") -> None:
        self._schema = value

    @property
    def schema_class(self) -> "type[Schema] | None":
        """The schema's class without building an instance (a SchemaRef's module is imported)."""
        s = self._schema
        if isinstance(s, SchemaRef):
            s = self._schema = s.resolve()
        return s if s is None or isinstance(s, type) else type(s)

    def __repr__(self) -> str:
        return f"Route({self.method!r}, {self.path!r}, api={self.api!r})"


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
