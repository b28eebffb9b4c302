"""Load and validate a YAML (or JSON) scenario and apply it to the backends, whole or not at all.

A scenario has one optional section per provider, validated by that provider's own marshmallow
schema, and a ``faults:`` list. Every error names the source, the path inside the document
(``tencent.apps[0].sdkappid``) and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

# libyaml's loader when PyYAML was built with it: the same safe subset, parsed several times faster.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
from marshmallow import RAISE, Schema, ValidationError, fields

from emulator.core.errors import ScenarioError, SeedError
from emulator.core.faults import FaultSchema, api_problem, apis_of

if TYPE_CHECKING:
    from emulator.providers.base import Provider


def flatten_errors(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict -> [(dotted path with [i] indexes, reason)]."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, path))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            out.extend((prefix, m) for m in messages)
        else:
            for m in messages:
                out.extend(flatten_errors(m, prefix))
    else:
        out.append((prefix, str(messages)))
    return out


def parse_document(text: str | bytes, source: str) -> dict:
    try:
        doc = yaml.load(text, Loader=SafeLoader)  # JSON is YAML too
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(source, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ScenarioError(source, [("", "a scenario must be a mapping of provider sections")])
    return doc


def read_file(path: Path) -> tuple[dict, str]:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(source, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    doc = parse_document(text, source)
    if not doc:
        # An empty file is almost always a mistake (a truncated copy, a wrong path in a template):
        # starting with no tenants would answer "unknown app" to everything, far from the cause.
        raise ScenarioError(source, [("", "the file declares nothing (empty); for a start without "
                                          "tenants use the shipped empty.yaml (description: empty)")])
    return doc, source


def scenario_schema(providers: dict[str, "Provider"]) -> Schema:
    spec: dict[str, fields.Field] = {
        name: fields.Nested(p.scenario_schema, load_default=None, allow_none=True)
        for name, p in providers.items() if p.scenario_schema is not None
    }
    spec["faults"] = fields.List(fields.Nested(FaultSchema), load_default=list)
    spec["description"] = fields.String(load_default="")
    # per-tenant callback configurations, validated by the engine (core/callbacks.py)
    spec["callbacks"] = fields.List(fields.Dict(), load_default=list)
    return Schema.from_dict(spec, name="Scenario")(unknown=RAISE)


def validate(doc: dict, source: str, providers: dict[str, "Provider"]) -> dict:
    try:
        validated = scenario_schema(providers).load(doc)
    except ValidationError as exc:
        raise ScenarioError(source, flatten_errors(exc.messages)) from None
    apis = apis_of(providers)
    bad = [(f"faults[{i}].api", problem) for i, f in enumerate(validated.get("faults") or [])
           if f["api"] is not None and (problem := api_problem(f["provider"], f["api"], apis))]
    if bad:
        raise ScenarioError(source, bad)
    return validated


def apply(validated: dict, source: str, providers: dict[str, "Provider"], faults, merge: bool = False) -> None:
    """Build every provider's tenants first; commit only if all of them built."""
    prepared = {}
    for name, provider in providers.items():
        section = validated.get(name)
        if section is None and merge:
            continue
        try:
            prepared[name] = (section, provider.backend.prepare(section))
        except SeedError as exc:
            path = f"{name}.{exc.path}" if exc.path else name
            raise ScenarioError(source, [(path, exc.reason)]) from None
    for name, (section, built) in prepared.items():
        providers[name].backend.commit(section, built, merge)
    if not merge:
        faults.clear()
    for spec in validated.get("faults") or []:
        faults.add(spec)


def callback_configs(validated: dict, source: str, engine) -> list:
    """The scenario's ``callbacks:`` entries as the engine's TenantConfigs (refused whole)."""
    out, errors, seen = [], [], set()
    for i, doc in enumerate(validated.get("callbacks") or []):
        try:
            cfg = engine.validate(doc)
        except ValidationError as exc:
            errors.extend(flatten_errors(exc.messages, f"callbacks[{i}]"))
            continue
        if (cfg.provider, cfg.tenant) in seen:
            errors.append((f"callbacks[{i}]", f"a second configuration for {cfg.provider} tenant {cfg.tenant}"))
        seen.add((cfg.provider, cfg.tenant))
        out.append(cfg)
    if errors:
        raise ScenarioError(source, errors)
    return out
