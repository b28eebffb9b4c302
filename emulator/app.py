"""create_app(settings) -> web.Application: wires the core, the providers and the control plane."""

from __future__ import annotations

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
from emulator.core.faults import FaultTable
from emulator.core.journal import Journal
from emulator.core.pipeline import dumps, make_handler
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
        self.scenario_source = ""

    # --- scenario --------------------------------------------------------------------------
    def load_scenario_file(self, path: Path) -> None:
        doc, source = scenario_mod.read_file(path)
        self.apply_scenario(doc, source)

    def apply_scenario(self, doc: dict, source: str, merge: bool = False) -> None:
        self.commit_scenario(self.prepare_scenario(doc, source, merge), source, merge)

    def prepare_scenario(self, doc: dict, source: str, merge: bool = False) -> tuple:
        """Validate and build (slow for big scenarios; touches no live state: may run in a
        thread). commit_scenario then swaps the result in on the loop."""
        validated = scenario_mod.validate(doc, source, self.providers)
        return validated, scenario_mod.prepare(validated, source, self.providers, merge)

    def commit_scenario(self, prepared: tuple, source: str, merge: bool = False) -> None:
        validated, built = prepared
        scenario_mod.commit(validated, built, self.providers, self.faults, merge=merge)
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


async def not_found(request: web.Request) -> web.Response:
    return web.Response(status=404, content_type="application/json", charset="utf-8",
                        body=dumps({"error": "not found", "method": request.method, "path": request.path}))


def create_app(settings: Settings | None = None, *, load_scenario: bool = True) -> web.Application:
    """Build the application; a bad scenario raises ScenarioError before any socket opens."""
    settings = settings or Settings()
    rt = Runtime(settings)
    if load_scenario:
        rt.load_scenario_file(settings.scenario_path())
    if settings.state_file and Path(settings.state_file).exists():
        rt.load_state_file(settings.state_file)

    # Request bodies are decoded by core/body.py (capped, streaming, errors in the envelope).
    app = web.Application(client_max_size=settings.max_body_bytes,
                          handler_args={"auto_decompress": False})
    app[RUNTIME] = rt
    for provider in rt.providers.values():
        for route in provider.routes():
            owner = route.envelope or provider
            app.router.add_route(route.method, route.path, make_handler(rt, owner, route))

    from emulator.control.routes import setup_control
    setup_control(app, rt)
    app.router.add_route("*", "/{tail:.*}", not_found)

    if settings.state_file:
        async def _save(app: web.Application) -> None:
            rt.save_state_file(settings.state_file)
            log.info("state written to %s", settings.state_file)
        app.on_shutdown.append(_save)
    return app

