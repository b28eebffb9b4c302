"""create_app(settings) -> web.Application: wires the core, the providers and the control plane."""

from __future__ import annotations

import re

import importlib
import logging
import os
import tempfile
import time
from pathlib import Path

import orjson
from aiohttp import web

from emulator import __version__
from emulator.core import scenario as scenario_mod
from emulator.core.clock import Clock
from emulator.core.faults import FaultTable, apis_of
from emulator.core.journal import Journal
from emulator.core.pipeline import dumps, log_request, make_handler, request_log, run
from emulator.core.ratelimit import RateLimiter
from emulator.providers.base import Provider
from emulator.settings import Settings

log = logging.getLogger("emulator")

# provider name -> "module:class"; the order is the order of /_emulator/health's list.
PROVIDERS = {
    "tencent": "emulator.providers.tencent.provider:TencentProvider",
    "openim": "emulator.providers.openim.provider:OpenIMProvider",
    "rongcloud": "emulator.providers.rongcloud.provider:RongCloudProvider",
}

RUNTIME = web.AppKey("runtime", object)


def load_provider_class(name: str) -> type[Provider]:
    module, _, cls = PROVIDERS[name].partition(":")
    return getattr(importlib.import_module(module), cls)


class Runtime:
    """Process-wide state shared by the pipeline and the control plane."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started = time.monotonic()
        self.clock = Clock()
        self.journal = Journal(settings.journal_size)
        self.limiter = RateLimiter(self.clock)
        self.faults = FaultTable()
        self.providers: dict[str, Provider] = {}
        for name in settings.providers:
            cls = load_provider_class(name)
            self.providers[name] = cls(self.clock)
        self.faults.apis = {n: frozenset(a) for n, a in apis_of(self.providers).items()}
        self.scenario_source = ""
        # provider name -> the route answering paths it claims but does not serve
        self.not_found_routes = {name: p.not_found_route() for name, p in self.providers.items()}

    # --- unknown paths -----------------------------------------------------------------------
    def claimant(self, request: web.Request) -> tuple[Provider | None, int]:
        """The provider that claims an unrouted request most surely (Provider.claims); on a tie
        the first in PROVIDERS order. (None, 0) when no provider claims it."""
        best, rank = None, 0
        for name, p in self.providers.items():
            r = p.claims(request)
            if r > rank and self.not_found_routes[name] is not None:
                best, rank = p, r
        return best, rank

    # --- scenario --------------------------------------------------------------------------
    def load_scenario_file(self, path: Path) -> None:
        doc, source = scenario_mod.read_file(path)
        self.apply_scenario(doc, source)

    def apply_scenario(self, doc: dict, source: str, merge: bool = False) -> None:
        validated = scenario_mod.validate(doc, source, self.providers)
        scenario_mod.apply(validated, source, self.providers, self.faults, merge=merge)
        self.limiter.reset()
        self.scenario_source = source if not merge else f"{self.scenario_source} + {source}"

    # --- state -----------------------------------------------------------------------------
    def providers_for(self, provider: str | None) -> dict[str, Provider]:
        if provider is None:
            return self.providers
        return {provider: self.providers[provider]}

    def dump_state(self, provider: str | None = None, tenant: str | None = None) -> dict:
        return {name: p.backend.dump(tenant) for name, p in self.providers_for(provider).items()}

    def load_state(self, data: dict, provider: str | None = None, tenant: str | None = None) -> None:
        # A backend builds all its tenants before swapping them in; if a later provider's part
        # of the dump is bad, put the earlier ones back, so a bad dump changes nothing.
        targets = {n: p for n, p in self.providers_for(provider).items() if n in data}
        saved = {n: dict(p.backend.tenants) for n, p in targets.items()}
        try:
            for name, p in targets.items():
                p.backend.load(data[name], tenant)
        except Exception:
            for name, tenants in saved.items():
                targets[name].backend.tenants = tenants
            raise

    def reset(self, provider: str | None = None, tenant: str | None = None) -> None:
        for name, p in self.providers_for(provider).items():
            p.backend.reset(tenant)
            self.limiter.reset(name, tenant)

    def check_invariants(self) -> dict[str, list[str]]:
        return {name: p.check_invariants() for name, p in self.providers.items()}

    # --- state file --------------------------------------------------------------------------
    def save_state_file(self, path: Path) -> None:
        """Write atomically: a temp file in the same directory, then rename over the target."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = orjson.dumps({"version": __version__, "saved_at": self.clock.now(),
                             "state": self.dump_state()}, option=orjson.OPT_INDENT_2)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def load_state_file(self, path: Path) -> None:
        data = orjson.loads(Path(path).read_bytes())
        self.load_state(data.get("state", {}))


CONTROL_PREFIX = "/_emulator/"


async def not_found(request: web.Request) -> web.Response:
    """The control plane's (and nobody's) not-found answer: a plain JSON 404."""
    if request_log.isEnabledFor(logging.DEBUG):
        log_request(request.method, request.path, "-", "not_found", 404, "-", 0.0)
    return web.Response(status=404, content_type="application/json", charset="utf-8",
                        body=dumps({"error": "not found", "method": request.method, "path": request.path}))


async def route_collapsed(request: web.Request) -> web.StreamResponse:
    """Route again with repeated slashes collapsed: the Go RongCloud SDK posts to
    "<host>//user/deactivate/query.json" (reference rongcloud-users 0)."""
    clean = request.clone(rel_url=request.rel_url.with_path(re.sub("/{2,}", "/", request.path)))
    match = await request.app.router.resolve(clean)
    return await match.handler(clean)


def unrouted_handler(rt: Runtime):
    """The last route: a path no route serves goes to the provider that claims it (its own
    not-found answer, in its own envelope, journaled as api "not_found"); the control plane's
    unknown paths, and paths no provider claims, get the JSON 404."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if "//" in request.path:
            return await route_collapsed(request)
        if not request.path.startswith(CONTROL_PREFIX):
            provider, _ = rt.claimant(request)
            if provider is not None:
                return await run(rt, provider, rt.not_found_routes[provider.name], request)
        return await not_found(request)

    return handler


def deferring_handler(rt: Runtime, owner: Provider, inner):
    """A provider's catch-all route (OpenIM's /user/{tail}, Tencent's /v4/{service}/{command})
    yields to another provider that claims the request more surely: RongCloud and OpenIM share
    the /user/ and /group/ prefixes, and a *.json path or RongCloud's signature headers make an
    unknown path RongCloud's."""

    async def handler(request: web.Request) -> web.StreamResponse:
        other, rank = rt.claimant(request)
        if other is not None and other is not owner and rank > owner.claims(request):
            return await run(rt, other, rt.not_found_routes[other.name], request)
        return await inner(request)

    handler.__name__ = inner.__name__
    return handler


def create_app(settings: Settings | None = None, *, load_scenario: bool = True) -> web.Application:
    """Build the application; a bad scenario raises ScenarioError before any socket opens."""
    settings = settings or Settings()
    rt = Runtime(settings)
    if load_scenario:
        rt.load_scenario_file(settings.scenario_path())
    if settings.state_file and Path(settings.state_file).exists():
        rt.load_state_file(settings.state_file)

    app = web.Application(client_max_size=settings.max_body_bytes)
    app[RUNTIME] = rt
    for provider in rt.providers.values():
        for route in provider.routes():
            owner = route.envelope or provider
            handler = make_handler(rt, owner, route)
            if "{" in route.path:   # a catch-all: only unrouted requests get here
                handler = deferring_handler(rt, owner, handler)
            app.router.add_route(route.method, route.path, handler)

    from emulator.control.routes import setup_control
    setup_control(app, rt)
    from emulator.control.inspector import setup_inspector
    setup_inspector(app, rt)
    app.router.add_route("*", "/{tail:.*}", unrouted_handler(rt))

    if settings.state_file:
        async def _save(app: web.Application) -> None:
            rt.save_state_file(settings.state_file)
            log.info("state written to %s", settings.state_file)
        app.on_shutdown.append(_save)
    return app

