"""Injected faults: a rule matches (provider, api, tenant) and answers with an error in the
provider's own envelope, an HTTP status, or a delay before normal service.

``after`` lets N matching requests through first; ``times`` is how often the fault fires
(default 1, 0 = forever). A fault that has fired ``times`` times stays listed but inert.
"""

from __future__ import annotations

import difflib
import heapq
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
    # A code must survive the JSON writer (64-bit) and a status must be a final response (no 1xx).
    error = fields.Integer(load_default=None, allow_none=True,
                           validate=validate.Range(min=-(2 ** 63), max=2 ** 63 - 1))
    message = fields.String(load_default=None, allow_none=True)
    http_status = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=200, max=599))
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
    after: int = 0
    times: int = 1
    error: int | None = None
    message: str | None = None
    http_status: int | None = None
    delay_ms: int = 0
    callback: str | None = None
    drop: bool = False
    down: bool = False
    id: int = 0
    seen: int = field(default=0)
    fired: int = field(default=0)
    # bookkeeping of the index below, not part of the JSON form
    base: int = field(default=0, repr=False)      # the counter of its key when it was added
    spent: bool = field(default=False, repr=False)

    @property
    def active(self) -> bool:
        return not self.spent

    @property
    def name(self) -> str:
        """What the rule matches: the API, or ``callback:<command>`` for a delivery fault."""
        return self.api if self.callback is None else "callback:" + self.callback

    def as_json(self) -> dict:
        d = asdict(self)
        del d["base"], d["spent"]
        d["active"] = not self.spent
        return d


class FaultTable:
    """Rules indexed so a request costs O(log n) however many rules name its API.

    Each rule counts the requests that match it while it is active (``seen``). Rather than
    touching every rule per request, the table keeps one request counter per key (provider,
    api, tenant or None) and a rule's ``seen`` is that counter minus its value when the rule
    was added (frozen when the rule is spent). A rule becomes eligible once ``seen > after``,
    i.e. once its key's counter passes ``base + after``: rules wait in a heap ordered by that
    threshold, move to a heap of eligible rules ordered by id, and the request fires the
    lowest-id eligible rule of its two keys: the first in list order, as before.
    """

    def __init__(self, apis: Mapping[str, Iterable[str]] | None = None) -> None:
        # provider -> emulated API names; when set, add() refuses a fault naming no such API
        self.apis: dict[str, frozenset[str]] = {p: frozenset(a) for p, a in (apis or {}).items()}
        # provider -> callback command names (core/callbacks.py), for ``callback:`` faults
        self.callbacks: dict[str, frozenset[str]] = {}
        self._faults: dict[int, Fault] = {}
        self._ids = itertools.count(1)
        # Fast path: (provider, api) pairs that have a rule; most requests match none.
        self._keys: set[tuple[str, str]] = set()
        self._counts: dict[tuple, int] = {}
        self._pending: dict[tuple, list[tuple[int, int]]] = {}   # key -> heap of (threshold, id)
        self._eligible: dict[tuple, list[int]] = {}              # key -> heap of ids

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

    def add(self, spec: dict, validated: bool = False) -> Fault:
        """``validated``: spec already came through validate() (or a scenario's checked list)."""
        data = dict(spec) if validated else self.validate(spec)
        if data.get("tenant") is not None:
            data["tenant"] = str(data["tenant"])
        fault = Fault(**data, id=next(self._ids))
        key = (fault.provider, fault.name, fault.tenant)
        fault.base = self._counts.get(key, 0)
        self._faults[fault.id] = fault
        heapq.heappush(self._pending.setdefault(key, []), (fault.base + fault.after, fault.id))
        self._keys.add((fault.provider, fault.name))
        return fault

    def clear(self, fault_id: int | None = None) -> int:
        if fault_id is None:
            n = len(self._faults)
            self._faults.clear()
            self._keys.clear()
            self._pending.clear()
            self._eligible.clear()
            return n
        if self._faults.pop(fault_id, None) is None:
            return 0
        # the heaps skip ids no longer in _faults; the key stays watched until a full clear
        return 1

    def list(self) -> list[Fault]:
        for f in self._faults.values():
            if not f.spent:
                f.seen = self._counts.get((f.provider, f.name, f.tenant), 0) - f.base
        return list(self._faults.values())

    def watches(self, provider: str, api: str) -> bool:
        """Whether any rule names this API; a cheap test before the tenant is worked out."""
        return (provider, api) in self._keys

    def match(self, provider: str, api: str, tenant: str | None) -> Fault | None:
        """Count this request against every matching rule; return the first that fires."""
        if (provider, api) not in self._keys:
            return None
        faults = self._faults
        best: tuple[int, tuple] | None = None
        keys = ((provider, api, None),) if tenant is None else ((provider, api, None), (provider, api, tenant))
        for key in keys:
            count = self._counts[key] = self._counts.get(key, 0) + 1
            pending = self._pending.get(key)
            if pending and pending[0][0] < count:
                eligible = self._eligible.setdefault(key, [])
                while pending and pending[0][0] < count:
                    _, fid = heapq.heappop(pending)
                    if fid in faults:
                        heapq.heappush(eligible, fid)
            eligible = self._eligible.get(key)
            while eligible and eligible[0] not in faults:
                heapq.heappop(eligible)
            if eligible and (best is None or eligible[0] < best[0]):
                best = (eligible[0], key)
        if best is None:
            return None
        fid, key = best
        chosen = faults[fid]
        chosen.fired += 1
        if chosen.times and chosen.fired >= chosen.times:
            heapq.heappop(self._eligible[key])
            chosen.spent = True
            chosen.seen = self._counts[key] - chosen.base
        return chosen

    def match_callback(self, provider: str, command: str, tenant: str | None) -> Fault | None:
        """A fault on one delivery attempt of ``command`` (``callback:`` rules only)."""
        return self.match(provider, "callback:" + command, tenant)

    # --- durable state (core/persist.py) -----------------------------------------------------
    def state(self) -> dict:
        """Every rule with its counters, and the next id."""
        nxt = next(self._ids)
        self._ids = itertools.count(nxt)
        rules = []
        for f in self.list():   # list() brings each active rule's ``seen`` up to date
            d = asdict(f)
            del d["base"], d["spent"]
            rules.append(d)
        return {"next_id": nxt, "faults": rules}

    def restore(self, state: dict) -> None:
        """Rebuild the index from saved rules: the request counters start again at 0, so each
        active rule's base is minus its ``seen``."""
        self.clear()
        self._counts.clear()
        for d in state.get("faults") or []:
            f = Fault(**{k: v for k, v in d.items() if k not in ("active", "base", "spent")})
            f.spent = bool(f.times) and f.fired >= f.times
            f.base = -f.seen
            self._faults[f.id] = f
            self._keys.add((f.provider, f.name))
            if not f.spent:
                key = (f.provider, f.name, f.tenant)
                heapq.heappush(self._pending.setdefault(key, []), (f.base + f.after, f.id))
        self._ids = itertools.count(int(state.get("next_id") or 1))
