"""What a provider plugs into the pipeline, and the tenant bookkeeping every backend shares.

A provider is three things: routes (urls.py), an envelope (auth, parsing, rendering: the
Provider subclass) and a backend (models.py: state and rules, no aiohttp). The pipeline in
core/pipeline.py drives them in one fixed order; see DESIGN.md.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from marshmallow import Schema, ValidationError

from emulator.core.call import Call, Route
from emulator.core.errors import ProviderError, SeedError
from emulator.core.fastload import GiveUp, fast_loader
from emulator.core.presence import Presence, PresenceChange, TokenCheck

__all__ = ["Call", "Provider", "Route", "TenantBackend"]

if TYPE_CHECKING:
    from emulator.core.clock import Clock


class Provider(ABC):
    """The envelope of one provider. Subclasses override the hooks; defaults are documented."""

    name: ClassVar[str] = ""
    error_type: ClassVar[type[ProviderError]] = ProviderError
    scenario_schema: ClassVar[type[Schema] | None] = None
    # the provider's callback catalogue and config schema (its callbacks.py), None if it has none
    callback_spec: ClassVar[Any] = None

    def __init__(self, clock: "Clock", backend: "TenantBackend") -> None:
        self.clock = clock
        self.backend = backend
        self.callbacks: Any = None     # the CallbackEngine, set by the Runtime

    # --- routing -------------------------------------------------------------------------
    @abstractmethod
    def routes(self) -> list[Route]:
        ...

    def route_table(self) -> list[Route]:
        """``routes()`` built once per provider: building them instantiates every route's schema,
        and start-up asked for them three times (app, faults, scenario check)."""
        table = self.__dict__.get("_route_table")
        if table is None:
            table = self.__dict__["_route_table"] = self.routes()
        return table

    def api_routes(self) -> list[Route]:
        """The emulated APIs, one per real path: what the README coverage table and the OpenAPI
        document list. Catch-all routes (a ``{`` in the path) and OPTIONS are left out."""
        return [r for r in self.route_table() if "{" not in r.path and r.method != "OPTIONS"]

    def resolve(self, call: Call) -> Route:
        """Pick the concrete route for a catch-all path (Tencent's /v4/{service}/{command})."""
        return call.route

    # Paths no route serves (app.py): the provider that claims the request most surely answers
    # it with its not-found route, in its own envelope, and the journal records it.
    CLAIM_NONE, CLAIM_PREFIX, CLAIM_HEADERS, CLAIM_SURE = 0, 1, 2, 3

    def claims(self, request) -> int:
        """How surely an unrouted request is this provider's: CLAIM_NONE, CLAIM_PREFIX (a path
        prefix it may share with another provider), CLAIM_HEADERS (its own credential headers),
        CLAIM_SURE (a path form or signature only this provider uses)."""
        return self.CLAIM_NONE

    def not_found_route(self) -> Route | None:
        """The route answering a claimed path it does not serve: by default its own catch-all
        route named ``not_found``, if it has one."""
        return next((r for r in self.route_table() if r.api == "not_found"), None)

    # --- pipeline hooks --------------------------------------------------------------------
    def tenant_hint(self, call: Call) -> str | None:
        """The tenant the request claims, unverified; used to match tenant-scoped faults."""
        return None

    @abstractmethod
    def authenticate(self, call: Call) -> None:
        """Verify credentials; set call.tenant_id, call.tenant and call.caller or raise."""

    def rate_limit(self, call: Call) -> float | None:
        """Requests per second allowed for (tenant, api); None or 0 = unlimited."""
        return None

    @abstractmethod
    def rate_limited(self, call: Call) -> ProviderError:
        ...

    @abstractmethod
    def parse_body(self, call: Call) -> Any:
        """Turn call.raw into the provider's payload (JSON value or form fields) or raise."""

    def validate(self, call: Call) -> Any:
        """Run the route's marshmallow schema over the payload; map failures to provider errors.

        The schema's compiled loader (core/fastload.py) goes first: it returns what
        ``schema.load`` would for bodies it can vouch for and gives up on anything else, so every
        error still comes from marshmallow itself."""
        schema = call.route.schema
        if schema is None:
            return call.payload
        load = fast_loader(schema)
        if load is not None:
            try:
                return load(call.payload)
            except GiveUp:
                pass
        try:
            return schema.load(call.payload)
        except ValidationError as exc:
            raise self.validation_error(call, exc) from None

    @abstractmethod
    def validation_error(self, call: Call, exc: ValidationError) -> ProviderError:
        ...

    @abstractmethod
    def render_ok(self, call: Call, result: Any) -> tuple[int, Any]:
        """(HTTP status, JSON-able body) of a success."""

    @abstractmethod
    def render_error(self, call: Call, err: ProviderError) -> tuple[int, Any]:
        ...

    @abstractmethod
    def internal_error(self, call: Call) -> ProviderError:
        """What an unexpected exception becomes, in this provider's envelope."""

    def body_refused(self, call: Call, reason: str, too_large: bool) -> ProviderError:
        """A body over the process-wide cap (Settings.max_body_bytes) or one whose
        Content-Encoding cannot be decoded; each provider names its own code."""
        return self.error_type(self.internal_error(call).code, reason, http_status=413 if too_large else 400)

    def fault_error(self, call: Call, code: int | None, message: str | None,
                    http_status: int | None) -> ProviderError:
        """An injected fault: the given code (or the internal-error code) with optional status."""
        if code is None:
            base = self.internal_error(call)
            code, message = base.code, message if message is not None else base.message
        return self.error_type(code, message, http_status=http_status)

    # --- state -----------------------------------------------------------------------------
    def check_invariants(self) -> list[str]:
        return self.backend.check()

    # --- the inspector (control/inspector.py) ----------------------------------------------
    # Where the provider's error code sits in a reply body, and the code that means success:
    # read when the journal is inspected, never on the request path.
    error_code_key: ClassVar[str | None] = None
    ok_code: ClassVar[int] = 0


class TenantBackend(ABC):
    """Tenants built from a scenario section, with reset/dump/load shared by every provider.

    Subclasses define ``section_key`` (the list of tenants inside the provider's scenario
    section), ``tenant_id(spec)``, ``build_tenant(spec)`` (raise SeedError with a path relative
    to the spec) and ``tenant_to_json`` / ``tenant_from_json``.
    """

    section_key: ClassVar[str] = "apps"

    def __init__(self, clock: "Clock") -> None:
        self.clock = clock
        self.tenants: dict[str, Any] = {}
        self._specs: dict[str, dict] = {}
        # Told of every online/offline transition in any tenant (core/presence.py); not state.
        self.presence_listeners: list[Callable[[PresenceChange], None]] = []

    # subclass hooks
    @abstractmethod
    def tenant_id(self, spec: dict) -> str:
        ...

    @abstractmethod
    def build_tenant(self, spec: dict) -> Any:
        ...

    @abstractmethod
    def tenant_to_json(self, tenant: Any) -> dict:
        ...

    @abstractmethod
    def tenant_from_json(self, data: dict) -> Any:
        ...

    def check_tenant(self, tenant_id: str, tenant: Any) -> list[str]:
        return []

    def configure_extra(self, section: dict, merge: bool) -> None:
        """Provider-wide parts of the section that are not tenants (Tencent's gateway)."""

    # presence and client tokens (core/presence.py); a provider opts in by giving its tenant
    # state a ``presence`` attribute, or by overriding presence_of
    presence_platforms: ClassVar[tuple[str, ...]] = ()  # documented platform names; () = any

    def presence_of(self, tenant: Any) -> Presence | None:
        return getattr(tenant, "presence", None)

    def set_presence(self, tenant: Any, presence: Presence) -> None:
        tenant.presence = presence

    def presence(self, tenant_id: str) -> Presence | None:
        """The tenant's Presence, or None when the tenant is unknown or the provider has none."""
        tenant = self.tenants.get(tenant_id)
        return None if tenant is None else self.presence_of(tenant)

    def normalise_platform(self, value: Any) -> str:
        """The control plane's platform value in the provider's own spelling; ValueError(reason)
        when it names no platform. Default: one of presence_platforms, case-insensitively."""
        if not isinstance(value, str) or not value.strip():
            raise ValueError("platform must be a non-empty string")
        if not self.presence_platforms:
            return value
        for name in self.presence_platforms:
            if name.lower() == value.strip().lower():
                return name
        raise ValueError(f"unknown platform {value!r}; one of {', '.join(self.presence_platforms)}")

    def check_client_token(self, tenant_id: str, token: str, now_ms: int) -> TokenCheck:
        """Would a client presenting ``token`` be let in now? Default: the tenant's token record.
        A provider whose tokens verify by signature (no record) overrides this."""
        p = self.presence(tenant_id)
        if p is None:
            return TokenCheck(False, "this provider keeps no client tokens")
        return p.check(token, now_ms)

    def _adopt(self, tid: str, tenant: Any) -> Any:
        """Wire a (new) tenant's Presence to this backend's listeners."""
        p = self.presence_of(tenant)
        if p is not None:
            p.tenant_id = tid
            p.listeners = self.presence_listeners
        return tenant

    @staticmethod
    def discard(tenants) -> None:
        """Tenants state no longer holds: their message stores are released (the one part of a
        tenant with reference cycles, which a frozen collector would never free)."""
        for tenant in tenants:
            store = getattr(tenant, "messages", None)
            if store is not None:
                store.release()

    # shared machinery
    def prepare(self, section: dict | None) -> dict[str, tuple[dict, Any]]:
        """Build every tenant of a validated section without touching current state."""
        built: dict[str, tuple[dict, Any]] = {}
        for i, spec in enumerate((section or {}).get(self.section_key) or []):
            tid = self.tenant_id(spec)
            if tid in built:
                raise SeedError(f"{self.section_key}[{i}]", f"duplicate tenant {tid!r}")
            try:
                built[tid] = (copy.deepcopy(spec), self.build_tenant(spec))
            except SeedError as exc:
                raise exc.under(f"{self.section_key}[{i}]") from None
        return built

    def commit(self, section: dict | None, prepared: dict[str, tuple[dict, Any]], merge: bool) -> None:
        old = list(self.tenants.values()) if not merge else \
            [self.tenants[tid] for tid in prepared if tid in self.tenants]
        if not merge:
            self.tenants.clear()
            self._specs.clear()
        for tid, (spec, tenant) in prepared.items():
            self._specs[tid] = spec
            self.tenants[tid] = self._adopt(tid, tenant)
        self.discard(old)
        self.configure_extra(section or {}, merge)

    def knows(self, tenant_id: str) -> bool:
        """A tenant the state holds now, or one the scenario declares (a reset brings it back)."""
        return tenant_id in self.tenants or tenant_id in self._specs

    def reset(self, tenant_id: str | None = None) -> None:
        """Back to the scenario's initial state (one tenant, or all; undeclared tenants go)."""
        old = self.tenants.get(tenant_id) if tenant_id is not None else None
        if tenant_id is not None:
            if tenant_id in self._specs:
                self.tenants[tenant_id] = self._adopt(tenant_id, self.build_tenant(self._specs[tenant_id]))
            else:
                self.tenants.pop(tenant_id, None)
            self.discard([old] if old is not None else [])
            return
        old = list(self.tenants.values())
        self.tenants = {tid: self._adopt(tid, self.build_tenant(spec)) for tid, spec in self._specs.items()}
        self.discard(old)

    def dump(self, tenant_id: str | None = None) -> dict[str, dict]:
        ids = [tenant_id] if tenant_id is not None else sorted(self.tenants)
        return {tid: self.dump_tenant(self.tenants[tid]) for tid in ids if tid in self.tenants}

    def tenant_from_snapshot(self, data: dict) -> Any:
        """A tenant from a dump this emulator wrote itself (core/persist.py snapshots); a backend
        may skip re-validating its own output. Default: the same as tenant_from_json."""
        return self.tenant_from_json(data)

    def dump_tenant(self, tenant: Any) -> dict:
        """One tenant's full dump (its provider state and, where kept, presence): what the state
        dump, the state file and durable snapshots all write."""
        data = self.tenant_to_json(tenant)
        p = self.presence_of(tenant)
        if p is not None:
            data["presence"] = p.to_json()
        return data

    def load_tenant(self, tid: str, data: dict, trusted: bool = False) -> Any:
        """The inverse of dump_tenant; ``trusted`` for the emulator's own snapshots."""
        tenant = self.tenant_from_snapshot(data) if trusted else self.tenant_from_json(data)
        if self.presence_of(tenant) is not None and "presence" in data:
            self.set_presence(tenant, Presence.from_json(data["presence"]))
        return self._adopt(tid, tenant)

    def load(self, data: dict[str, dict], tenant_id: str | None = None) -> None:
        """Replace state from a dump (all tenants, or only ``tenant_id``'s); all-or-nothing."""
        built = {tid: self.load_tenant(tid, tdata) for tid, tdata in data.items()
                 if tenant_id is None or tid == tenant_id}
        # the replaced tenants are not released here: Runtime.load_state may still put them back
        # (a later provider's part of the dump is bad) and releases them once the load stands
        if tenant_id is None:
            self.tenants = built
        else:
            self.tenants.update(built)

    # --- the inspector (control/inspector.py): plain rows, the provider's words stay here ----
    def inspect_settings(self, tenant: Any) -> dict:
        """The tenant's settings as plain data, secrets left out."""
        return {}

    def inspect_rows(self, tenant: Any, kind: str, parent: str | None, offset: int, limit: int):
        """(key column, total, the page's rows as dicts) for ``kind`` "users", "tokens",
        "groups" or "members" (of group ``parent``; KeyError when it does not exist); None when
        the provider keeps no such rows."""
        return None

    def message_store(self, tenant_id: str):
        """The tenant's core MessageStore (core/messages.py), or None when it keeps none."""
        tenant = self.tenants.get(tenant_id)
        return getattr(tenant, "messages", None)

    def conversations_of(self, tenant_id: str, user: str) -> dict[str, float | None]:
        """The conversations ``user`` is in, each with the time from which they receive its
        messages (None: all of it): the store's one-to-one ones by default; providers add their
        groups (membership, and when it began, is theirs)."""
        store = self.message_store(tenant_id)
        return {c.id: None for c in store.of_user(user)} if store is not None else {}

    def check(self) -> list[str]:
        problems: list[str] = []
        for tid, tenant in self.tenants.items():
            problems.extend(f"{tid}: {p}" for p in self.check_tenant(tid, tenant))
            presence = self.presence_of(tenant)
            if presence is not None:
                problems.extend(f"{tid}: {p}" for p in presence.check_invariants())
        return problems
