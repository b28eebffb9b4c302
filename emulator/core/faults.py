"""Injected faults: a rule matches (provider, api, tenant) and answers with an error in the
provider's own envelope, an HTTP status, or a delay before normal service.

``after`` lets N matching requests through first; ``times`` is how often the fault fires
(default 1, 0 = forever). A fault that has fired ``times`` times stays listed but inert.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class FaultSchema(Schema):
    provider = fields.String(required=True, validate=validate.OneOf(["tencent", "openim", "rongcloud"]))
    api = fields.String(required=True, validate=validate.Length(min=1))
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
        if data.get("error") is None and data.get("http_status") is None and not data.get("delay_ms"):
            raise ValidationError("a fault needs error, http_status or delay_ms")


@dataclass
class Fault:
    provider: str
    api: str
    tenant: str | None = None
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
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        # Fast path: (provider, api) pairs that have a rule; most requests match none.
        self._keys: set[tuple[str, str]] = set()

    def add(self, spec: dict) -> Fault:
        data = FaultSchema().load(spec)
        if data.get("tenant") is not None:
            data["tenant"] = str(data["tenant"])
        fault = Fault(**data, id=next(self._ids))
        self._faults.append(fault)
        self._keys.add((fault.provider, fault.api))
        return fault

    def clear(self, fault_id: int | None = None) -> int:
        before = len(self._faults)
        self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
        self._keys = {(f.provider, f.api) for f in self._faults}
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
            if f.provider != provider or f.api != api or (f.tenant is not None and f.tenant != tenant):
                continue
            if f.times and f.fired >= f.times:
                continue
            f.seen += 1
            if chosen is None and f.seen > f.after:
                f.fired += 1
                chosen = f
        return chosen
