"""Load and validate a YAML (or JSON) scenario and apply it to the backends, whole or not at all.

A scenario has one optional section per provider, validated by that provider's own marshmallow
schema, and a ``faults:`` list. Every error names the source, the path inside the document
(``tencent.apps[0].sdkappid``) and the reason.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
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


# Every integer the emulator keeps must fit what its JSON writer (orjson) can write back: a
# value outside this range would be accepted now and make every later state dump fail.
INT_MIN, INT_MAX = -(2 ** 63), 2 ** 64 - 1
MAX_REPORTED = 20


def oversized_ints(doc: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(path, reason) for each number outside 64 bits, walked without recursion."""
    out: list[tuple[str, str]] = []
    stack = [(doc, prefix)]
    while stack and len(out) < MAX_REPORTED:
        value, path = stack.pop()
        t = type(value)
        if t is dict:
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in value.items())
        elif t is list:
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
        elif (t is int or t is float) and not INT_MIN <= value <= INT_MAX:
            # floats too: JSON's 2**70 arrives as 1.2e21 and int() makes it a 70-bit integer
            # later; NaN and infinities fail the comparison as well
            out.append((path, "number out of the 64-bit range"))
    return out


def parse_document(text: str | bytes, source: str) -> dict:
    import yaml   # here, not at import: a start on a shipped scenario does not need it (preparsed)
    # libyaml's loader when PyYAML was built with it: the same safe subset, parsed several times faster
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # JSON is YAML too
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
    doc = preparsed(Path(path), text)
    if doc is None:
        doc = parse_document(text, source)
    if not doc:
        # An empty file is almost always a mistake (a truncated copy, a wrong path in a template):
        # starting with no tenants would answer "unknown app" to everything, far from the cause.
        raise ScenarioError(source, [("", "the file declares nothing (empty); for a start without "
                                          "tenants use the shipped empty.yaml (description: empty)")])
    return doc, source


# The shipped scenarios (fixtures/*.yaml) parsed once, at build time, into fixtures/<name>.parsed.json:
# starting on the default scenario then needs no YAML parser (PyYAML's import and parse were
# ~12 ms of every start; bench/README.md, round 4). The document is still validated in full, as
# any scenario is; only the parse is skipped, and only while the YAML's SHA-256 matches the one
# recorded beside it (an edited default.yaml is parsed again). tests/test_scenario_preparsed.py
# keeps every cache equal to its YAML; `python -m emulator.core.scenario` rewrites them.
PREPARSED_SUFFIX = ".parsed.json"


def preparsed_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".yaml") + PREPARSED_SUFFIX)


def preparsed(path: Path, text: str) -> dict | None:
    """The document of a shipped scenario from its pre-parsed copy, or None (parse the YAML)."""
    from emulator.settings import fixtures_dir
    if path.suffix != ".yaml" or path.parent.resolve() != fixtures_dir().resolve():
        return None   # user-supplied scenarios are always parsed
    try:
        entry = orjson.loads(preparsed_path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(entry, dict) or entry.get("sha256") != hashlib.sha256(text.encode("utf-8")).hexdigest():
        return None
    doc = entry.get("doc")
    return doc if isinstance(doc, dict) else None


def write_preparsed(path: Path) -> Path:
    """Parse a shipped scenario's YAML and write its pre-parsed copy (JSON must hold it exactly)."""
    text = Path(path).read_text(encoding="utf-8")
    doc = parse_document(text, str(path))
    if orjson.loads(orjson.dumps(doc)) != doc:
        raise ValueError(f"{path}: the document does not survive JSON (dates, sets, non-string keys)")
    out = preparsed_path(Path(path))
    entry = {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "doc": doc}
    out.write_bytes(orjson.dumps(entry, option=orjson.OPT_INDENT_2) + b"\n")
    return out


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
    too_big = oversized_ints(doc)
    if too_big:
        raise ScenarioError(source, too_big)
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
    commit(validated, prepare(validated, source, providers, merge), providers, faults, merge)


def prepare(validated: dict, source: str, providers: dict[str, "Provider"], merge: bool = False) -> dict:
    """Build every provider's tenants without touching current state (safe off the event loop:
    it reads nothing a request can change)."""
    prepared = {}
    for name, provider in providers.items():
        section = validated.get(name)
        if section is None and merge:
            continue
        try:
            prepared[name] = (section, provider.backend.prepare(section))
        except SeedError as exc:
            inner = exc.under(name)
            raise ScenarioError(source, [(inner.path, inner.reason)]) from None
    return prepared


def commit(validated: dict, prepared: dict, providers: dict[str, "Provider"], faults,
           merge: bool = False) -> None:
    """Swap the built tenants in and install the faults: quick, on the event loop."""
    for name, (section, built) in prepared.items():
        providers[name].backend.commit(section, built, merge)
    if not merge:
        faults.clear()
    for spec in validated.get("faults") or []:
        faults.add(spec, validated=True)


def check_callback_faults(validated: dict, source: str, faults) -> None:
    """``callback:`` faults name one of the provider's callback commands (the table knows them);
    checked before anything is committed, since commit installs faults as already validated."""
    bad = []
    for i, spec in enumerate(validated.get("faults") or []):
        if spec.get("callback") is not None:
            try:
                faults.validate(spec)
            except ValidationError as exc:
                bad.extend(flatten_errors(exc.messages, f"faults[{i}]"))
    if bad:
        raise ScenarioError(source, bad)


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


if __name__ == "__main__":   # python -m emulator.core.scenario: rewrite the shipped pre-parsed copies
    from emulator.settings import fixtures_dir
    for shipped in sorted(fixtures_dir().glob("*.yaml")):
        print(write_preparsed(shipped))
