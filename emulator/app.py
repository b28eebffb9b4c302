"""create_app(settings) -> web.Application: wires the core, the providers and the control plane."""

from __future__ import annotations

import re

import importlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

import orjson
from aiohttp import hdrs, web
from aiohttp.web_urldispatcher import PlainResource, UrlMappingMatchInfo
from yarl import URL

from emulator import __version__
from emulator.core import reply as reply_mod
from emulator.core import scenario as scenario_mod
from emulator.core.callbacks import CallbackEngine
from emulator.core.clock import Clock
from emulator.core.faults import FaultTable, apis_of
from emulator.core.journal import Journal
from emulator.core.persist import PersistError, Store, read_state_file, write_state_file
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
        self.journal = Journal(settings.journal_size, settings.journal_body_bytes,
                               settings.journal_max_bytes)
        self.limiter = RateLimiter(self.clock)
        self.faults = FaultTable()
        self.providers: dict[str, Provider] = {}
        for name in settings.providers:
            cls = load_provider_class(name)
            self.providers[name] = cls(self.clock)
        self.faults.apis = {n: frozenset(a) for n, a in apis_of(self.providers).items()}
        self.callbacks = CallbackEngine(self.clock, {n: p.callback_spec for n, p in self.providers.items()
                                                     if p.callback_spec is not None}, self.faults)
        self.faults.callbacks = {n: frozenset(s.commands) for n, s in self.callbacks.specs.items()}
        for p in self.providers.values():
            p.callbacks = self.callbacks
            if isinstance(getattr(p, "gateway", None), Provider):   # Tencent's admin wrapper
                p.gateway.callbacks = self.callbacks
            spec = p.callback_spec
            if spec is not None and spec.on_presence is not None:
                p.backend.presence_listeners.append(
                    lambda change, spec=spec, backend=p.backend: spec.on_presence(self.callbacks, backend, change))
        self.scenario_source = ""
        self.scenario_callbacks: list = []
        # Durable state (core/persist.py): the store once restored, the routes a log entry names,
        # the scenario texts a restart re-applies (reset rebuilds tenants from them).
        self.store: Store | None = None
        self.route_index: dict[str, tuple[Provider, object]] = {}
        self.scenario_texts: list[list] = []
        self.shutdown_errors: list[str] = []
        # provider name -> the route answering paths it claims but does not serve
        self.not_found_routes = {name: p.not_found_route() for name, p in self.providers.items()}
        # Replies may bypass web.Response (core/reply.py): set by EmulatorApp.freeze once it knows
        # the app has no on_response_prepare handlers (which only web.Response runs).
        self.plain_replies = False

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
        self.apply_scenario(doc, source, text=Path(path).read_text(encoding="utf-8"))

    def apply_scenario(self, doc: dict, source: str, merge: bool = False, text: str | bytes | None = None) -> None:
        self.commit_scenario(self.prepare_scenario(doc, source, merge), doc, source, merge, text)

    def prepare_scenario(self, doc: dict, source: str, merge: bool = False) -> tuple:
        """Validate and build (slow for big scenarios; touches no live state: may run in a
        thread). commit_scenario then logs it and swaps the result in on the loop."""
        validated = scenario_mod.validate(doc, source, self.providers)
        configs = scenario_mod.callback_configs(validated, source, self.callbacks)
        scenario_mod.check_callback_faults(validated, source, self.faults)
        return validated, scenario_mod.prepare(validated, source, self.providers, merge), configs

    def commit_scenario(self, prepared: tuple, doc: dict, source: str, merge: bool = False,
                        text: str | bytes | None = None) -> None:
        validated, built, configs = prepared
        if text is None:   # JSON is YAML: the document itself is a text that parses back to it
            text = orjson.dumps(doc, default=str)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.log_control("scenario", text=text, source=source, merge=merge)
        scenario_mod.commit(validated, built, self.providers, self.faults, merge=merge)
        self.callbacks.configure(configs, merge=merge)
        self.scenario_callbacks = list(self.callbacks.configs.values())   # what tests restore
        self.limiter.reset()
        self.scenario_source = source if not merge else f"{self.scenario_source} + {source}"
        entry = [text, source]
        self.scenario_texts = [*self.scenario_texts, entry] if merge else [entry]

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
            # logged once it loaded (a refused dump is not worth replaying); if the log cannot
            # be written, the load is undone below
            self.log_control("state", data=data, provider=provider, tenant=tenant)
        except Exception:
            for name, tenants in saved.items():
                targets[name].backend.tenants = tenants
            raise
        for name, tenants in saved.items():     # the load stands: free what it replaced
            now = targets[name].backend.tenants
            targets[name].backend.discard([t for tid, t in tenants.items() if now.get(tid) is not t])

    def reset(self, provider: str | None = None, tenant: str | None = None) -> None:
        self.log_control("reset", provider=provider, tenant=tenant)
        for name, p in self.providers_for(provider).items():
            p.backend.reset(tenant)
            self.limiter.reset(name, tenant)

    def check_invariants(self) -> dict[str, list[str]]:
        return {name: p.check_invariants() for name, p in self.providers.items()}

    # --- faults and clock (the control plane's changes, logged when durable) ------------------
    def add_faults(self, specs: list[dict], validated: list[dict] | None = None) -> list:
        """``validated``: the specs as FaultTable.validate returned them (checked off the loop)."""
        self.log_control("faults_add", specs=specs)
        if validated is not None:
            return [self.faults.add(spec, validated=True) for spec in validated]
        return [self.faults.add(spec) for spec in specs]

    def clear_faults(self, fault_id: int | None = None) -> int:
        self.log_control("faults_clear", id=fault_id)
        return self.faults.clear(fault_id)

    def apply_clock(self, op: dict) -> None:
        """One of {"freeze_at": s}, {"advance_s": s}, {"real": true} (ClockSchema)."""
        self.log_control("clock", op=op)
        if "freeze_at" in op:
            self.clock.freeze_at(op["freeze_at"])
        elif "advance_s" in op:
            self.clock.advance(op["advance_s"])
        else:
            self.clock.real()

    # --- durable state (core/persist.py) -------------------------------------------------------
    def log_control(self, kind: str, **fields) -> None:
        """Write-ahead: the change is on disk before it is made (PersistError if not)."""
        if self.store is not None:
            self.store.log_control(kind, self.clock.now(), fields)

    def replay_control(self, e: dict) -> None:
        kind = e["k"]
        if kind == "reset":
            self.reset(e["provider"], e["tenant"])
        elif kind == "state":
            self.load_state(e["data"], e["provider"], e["tenant"])
        elif kind == "scenario":
            doc = scenario_mod.parse_document(e["text"], e["source"])
            self.apply_scenario(doc, e["source"], merge=e["merge"], text=e["text"])
        elif kind == "faults_add":
            self.add_faults(e["specs"])
        elif kind == "faults_clear":
            self.clear_faults(e["id"])
        else:
            raise ValueError(f"unknown log entry kind {kind!r}")

    def restore_scenarios(self, texts: list) -> None:
        """Re-apply the scenario texts a snapshot names: the tenant specs reset rebuilds from."""
        for i, (text, source) in enumerate(texts):
            self.apply_scenario(scenario_mod.parse_document(text, source), source, merge=i > 0, text=text)

    # --- state file --------------------------------------------------------------------------
    def save_state_file(self, path: Path) -> None:
        """Streamed tenant by tenant, written atomically (core/persist.py); PersistError says why not."""
        write_state_file(Path(path), {"version": __version__, "saved_at": self.clock.now()}, self.providers)

    def load_state_file(self, path: Path) -> None:
        state = read_state_file(Path(path), set(self.providers))
        try:
            self.load_state(state)
        except Exception as exc:  # noqa: BLE001 - whatever a backend raises, the file is the cause
            reason = " ".join(repr(exc).split())
            raise PersistError(f"state file {path} cannot be loaded: {reason[:300]}") from None

    def persist_at_exit(self) -> None:
        """After the last in-flight request: the state file, then the store's last snapshot.
        A failure is logged and kept in ``shutdown_errors`` (the CLI exits 1 naming it)."""
        path = self.settings.state_file
        if path:
            try:
                self.save_state_file(path)
                log.info("state written to %s", path)
            except PersistError as exc:
                fallback = Path(tempfile.gettempdir()) / f"im-emulator-state-{os.getpid()}.json"
                try:
                    self.save_state_file(fallback)
                    msg = f"{exc}; state saved to {fallback} instead"
                except PersistError:
                    msg = f"{exc}; the fallback {fallback} failed too"
                    if self.store is not None:
                        msg += f" (the database {self.store.path} holds the state)"
                self.shutdown_errors.append(msg)
                log.error("%s", msg)
        if self.store is not None:
            try:
                self.store.close(self)
            except PersistError as exc:
                self.shutdown_errors.append(str(exc))
                log.error("%s", exc)


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


with warnings.catch_warnings():
    # aiohttp discourages subclassing Application (DeprecationWarning at class creation): its
    # extension points are middlewares and signals, and a middleware would add a layer to every
    # request where this class takes one away.
    warnings.simplefilter("ignore", DeprecationWarning)

    class EmulatorApp(web.Application):
        """The Application, with a shortcut for requests to a fixed path.

        aiohttp resolves every request through its router (walking the path's prefixes, a match
        object built and frozen per request) before the handler runs. For a method and path that
        a plain (no ``{}``) resource serves, the answer never changes, so ``freeze`` asks the
        router once and keeps, per (method, path), the handler with its match frozen; a request
        then costs one dict lookup. Everything else — catch-alls, the control plane's own
        routes, unknown paths, methods a path does not serve, ``Expect: 100-continue`` — goes
        through ``Application._handle`` as before. Without middlewares or sub-applications only
        (the emulator uses none): with them the table stays empty.
        """

        ATTRS = web.Application.ATTRS | {"_direct"}

        def freeze(self) -> None:
            if self.frozen:
                return
            super().freeze()
            try:
                self._direct = direct_routes(self)
            except AttributeError:
                # an aiohttp or yarl whose private attributes differ from the ones read here:
                # every request goes through the router, as in a plain Application
                self._direct = {}
            rt = self.get(RUNTIME)
            if rt is not None:    # the signals are frozen now: no handler can be added later
                rt.plain_replies = not self.on_response_prepare and reply_mod.supported()

        async def _handle(self, request: web.Request) -> web.StreamResponse:
            hit = self._direct.get((request.method, request.rel_url.path_safe))
            if hit is None or hdrs.EXPECT in request.headers:
                return await super()._handle(request)
            request._match_info = hit[0]
            return await hit[1](request)


def direct_routes(app: web.Application) -> dict:
    """(method, path) -> (frozen match info, handler) for every method a plain resource serves
    by name, where the router would pick that resource: the first resource registered for a
    path wins, and one with a ``*`` route answers every method, so its path is left out."""
    if app._run_middlewares or app.router._matched_sub_app_resources or app._subapps:
        return {}
    URL("/").path_safe     # the key _handle looks up (yarl >= 1.13); AttributeError without it
    table: dict = {}
    taken: set = set()        # paths an earlier resource serves for any method
    for resource in app.router.resources():
        if not isinstance(resource, PlainResource):
            continue
        path = resource.canonical
        if path in taken:
            continue
        for route in resource:
            if route.method == hdrs.METH_ANY:
                taken.add(path)
                continue
            key = (route.method, path)
            if key not in table:
                match = UrlMappingMatchInfo({}, route)
                match.add_app(app)
                match.freeze()
                table[key] = (match, route.handler)
    return table


def create_app(settings: Settings | None = None, *, load_scenario: bool = True) -> web.Application:
    """Build the application; a bad scenario raises ScenarioError before any socket opens."""
    settings = settings or Settings()
    rt = Runtime(settings)
    from emulator.control.callbacks import setup_callbacks
    from emulator.control.inspector import setup_inspector
    from emulator.control.routes import setup_control
    from emulator.core import gctune
    gctune.resume_after_imports()   # python -m emulator paused the collector for the imports
    durable = settings.data_dir is not None
    if load_scenario and not durable:
        rt.load_scenario_file(settings.scenario_path())
    if settings.state_file and Path(settings.state_file).exists() and not durable:
        rt.load_state_file(settings.state_file)

    # Request bodies are decoded by core/body.py (capped, streaming, errors in the envelope).
    app = EmulatorApp(client_max_size=settings.max_body_bytes,
                      handler_args={"auto_decompress": False})
    app[RUNTIME] = rt
    for provider in rt.providers.values():
        for route in provider.route_table():
            owner = route.envelope or provider
            handler = make_handler(rt, owner, route)
            rt.route_index[handler.route_key] = (owner, route)
            if "{" in route.path:   # a catch-all: only unrouted requests get here
                handler = deferring_handler(rt, owner, handler)
            app.router.add_route(route.method, route.path, handler)

    setup_control(app, rt)
    setup_inspector(app, rt)
    setup_callbacks(app, rt)

    async def _close_callbacks(app: web.Application) -> None:
        await rt.callbacks.close()
    app.on_cleanup.append(_close_callbacks)
    app.router.add_route("*", "/{tail:.*}", unrouted_handler(rt))

    if durable:
        open_store(rt, load_scenario)
    if settings.state_file or durable:
        # on_cleanup, not on_shutdown: aiohttp runs on_shutdown before in-flight requests finish.
        async def _save(app: web.Application) -> None:
            rt.persist_at_exit()
        app.on_cleanup.append(_save)
    return app


def open_store(rt: Runtime, load_scenario: bool) -> None:
    """--data-dir: restore from the database, or start it from the scenario (+ state file)."""
    settings = rt.settings
    store = Store(settings.data_dir, settings.sync, settings.snapshot_every)
    try:
        if store.open():
            store.restore(rt)
            if settings.scenario or (settings.state_file and Path(settings.state_file).exists()):
                log.warning("state restored from %s; --scenario / --state-file are not read while the "
                            "database holds state", store.path)
        else:
            if load_scenario:
                rt.load_scenario_file(settings.scenario_path())
            if settings.state_file and Path(settings.state_file).exists():
                rt.load_state_file(settings.state_file)
            store.snapshot(rt, full=True)
    except BaseException:
        store.close_quietly()
        raise
    store.attach(rt)
    rt.store = store
    # before-hooks asked after a reply (core/callbacks.settle_later) are logged like the pipeline's
    rt.callbacks.log_later = lambda call, outcomes: store.log_request(
        call, f"{call.provider.name} {call.route.method} {call.route.path}", outcomes)

