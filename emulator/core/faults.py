"""Injected faults: a rule matches (provider, api, tenant) and answers with an error in the
provider's own envelope, an HTTP status, or a delay before normal service.

``after`` lets N matching requests through first; ``times`` is how often the fault fires
(default 1, 0 = forever). A fault that has fired ``times`` times stays listed but inert.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import asdict, dataclass, field
from typing import Mapping, Iterable

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class FaultSchema(Schema):
    provider = fields.String(required=True, validate=validate.OneOf(["tencent", "openim", "rongcloud"]))
    api = fields.String(load_default=None, validate=validate.Length(min=1))
    # a fault on a callback delivery instead of a request (core/callbacks.py): ``callback: <command>``
    callback = fields.String(load_default=None, validate=validate.Length(min=1))
    drop = fields.Boolean(load_default=False)    # callback: the delivery is lost (never sent)
    down = fields.Boolean(load_default=False)    # callback: the receiver looks down (refused)
    tenant = fields.String(load_default=None, allow_none=True)
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    times = fields.Integer(load_default=1, validate=validate.Range(min=0))
    error = fields.Integer(load_default=None, allow_none=True)
    message = fields.String(load_default=None, allow_none=True)
    http_status = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=100, max=599))
    delay_ms = fields.Integer(load_default=0, validate=validate.Range(min=0, max=600_000))

    @validates_schema
    def _has_effect(self, data, **kwargs):
        if (data.get("api") is None) == (data.get("callback") is None):
            raise ValidationError("a fault names exactly one of api or callback")
        if data.get("callback") is not None:
            if data.get("error") is not None:
                raise ValidationError("a callback fault takes drop, down, http_status or delay_ms, not error")
            if not (data.get("drop") or data.get("down") or data.get("http_status") or data.get("delay_ms")):
                raise ValidationError("a callback fault needs drop, down, http_status or delay_ms")
            return
        if data.get("drop") or data.get("down"):
            raise ValidationError("drop and down are for callback faults")
        if data.get("error") is None and data.get("http_status") is None and not data.get("delay_ms"):
            raise ValidationError("a fault needs error, http_status or delay_ms")


def apis_of(providers: Mapping) -> dict[str, list[str]]:
    """provider name -> the names of its emulated APIs, from its routes (urls.py), in route order.
    Derived at run time, so routes added to a provider are faultable without a list to update."""
    return {name: list(dict.fromkeys(r.api for r in p.api_routes())) for name, p in providers.items()}


def api_problem(provider: str, api: str, apis: Mapping[str, Iterable[str]]) -> str | None:
    """Why ``api`` names no emulated API of ``provider`` (None when it does). ``apis`` maps each
    provider to its API names, taken from its routes, so a misspelled fault is refused instead of
    silently never firing; the message names the closest spellings."""
    known = apis.get(provider)
    if known is None or api in known:
        return None
    names = list(known)
    # An old-style short name (``create_group``) matches by its last segment; typos by difflib.
    tail = api.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    tails = {n.rsplit("/", 1)[-1]: n for n in reversed(names)}
    same_tail = [n for n in names if n.rsplit("/", 1)[-1] == tail]
    close = list(dict.fromkeys(same_tail + difflib.get_close_matches(api, names, n=3, cutoff=0.6)
                               + [tails[t] for t in difflib.get_close_matches(tail, list(tails), n=3,
                                                                               cutoff=0.8)]))[:3]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else \
        "; GET /_emulator/apis lists the names"
    return f"unknown {provider} api {api!r}{hint}"


@dataclass
class Fault:
    provider: str
    api: str | None
    tenant: str | None = None
    callback: str | None = None
    drop: bool = False
    down: bool = False
    after: int = 0
    times: int = 1
    error: int | None = None
    message: str | None = None
    http_status: int | None = None
    delay_ms: int = 0
    id: int = 0
    seen: int = field(default=0)
    fired: int = field(default=0)

    def as_json(self) -> dict:
        d = asdict(self)
        d["active"] = self.times == 0 or self.fired < self.times
        return d


class FaultTable:
    def __init__(self, apis: Mapping[str, Iterable[str]] | None = None) -> None:
        # provider -> emulated API names; when set, add() refuses a fault naming no such API
        self.apis: dict[str, frozenset[str]] = {p: frozenset(a) for p, a in (apis or {}).items()}
        # provider -> callback command names (core/callbacks.py), for ``callback:`` faults
        self.callbacks: dict[str, frozenset[str]] = {}
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        # Fast path: (provider, api) pairs that have a rule; most requests match none.
        self._keys: set[tuple[str, str]] = set()

    def validate(self, spec: dict) -> dict:
        """The fault as loaded by FaultSchema, its api checked; raises ValidationError."""
        data = FaultSchema().load(spec)
        if data["callback"] is not None:      # a delivery fault: the provider's callback commands
            known = self.callbacks.get(data["provider"])
            if known is not None and data["callback"] not in known:
                raise ValidationError({"callback": [
                    f"unknown {data['provider']} callback command {data['callback']!r}; one of {', '.join(sorted(known))}"]})
            return data
        problem = api_problem(data["provider"], data["api"], self.apis)
        if problem:
            raise ValidationError({"api": [problem]})
        return data

    def add(self, spec: dict) -> Fault:
        data = self.validate(spec)
        if data.get("tenant") is not None:
            data["tenant"] = str(data["tenant"])
        fault = Fault(**data, id=next(self._ids))
        self._faults.append(fault)
        self._keys.add(self._key(fault))
        return fault

    @staticmethod
    def _key(f: Fault) -> tuple[str, str]:
        return (f.provider, f.api) if f.callback is None else (f.provider, "callback:" + f.callback)

    def clear(self, fault_id: int | None = None) -> int:
        before = len(self._faults)
        self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
        self._keys = {self._key(f) for f in self._faults}
        return before - len(self._faults)

    def list(self) -> list[Fault]:
        return list(self._faults)

    def watches(self, provider: str, api: str) -> bool:
        """Whether any rule names this API; a cheap test before the tenant is worked out."""
        return (provider, api) in self._keys

    def match(self, provider: str, api: str, tenant: str | None) -> Fault | None:
        """Count this request against every matching rule; return the first that fires."""
        if (provider, api) not in self._keys:
            return None
        chosen = None
        for f in self._faults:
            if f.provider != provider or self._key(f)[1] != api or (f.tenant is not None and f.tenant != tenant):
                continue
            if f.times and f.fired >= f.times:
                continue
            f.seen += 1
            if chosen is None and f.seen > f.after:
                f.fired += 1
                chosen = f
        return chosen

    def match_callback(self, provider: str, command: str, tenant: str | None) -> Fault | None:
        """A fault on one delivery attempt of ``command`` (``callback:`` rules only)."""
        return self.match(provider, "callback:" + command, tenant)

    # --- durable state (core/persist.py) -----------------------------------------------------
    def state(self) -> dict:
        """Every rule with its counters, and the next id."""
        nxt = next(self._ids)
        self._ids = itertools.count(nxt)
        return {"next_id": nxt, "faults": [asdict(f) for f in self._faults]}

    def restore(self, state: dict) -> None:
        self._faults = [Fault(**f) for f in state.get("faults") or []]
        self._ids = itertools.count(int(state.get("next_id") or 1))
        self._keys = {self._key(f) for f in self._faults}
