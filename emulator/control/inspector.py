"""The inspector: /_emulator/ui (static files, read on first request) and the paged JSON
endpoints it reads, which scripts can use too.

Everything here reads state when asked and nothing else: no hook on the request path, so an
open page costs provider APIs nothing (the page polls ``journal/rows?since=``). Provider data
comes from the backends' ``inspect_settings`` / ``inspect_rows`` hooks as plain rows; this module
and the page know no provider's field names (columns come from the rows).
"""

from __future__ import annotations

import re
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from aiohttp import web
from marshmallow import Schema, fields, validate

from emulator.control.routes import PREFIX, ControlError, control_endpoint, load_query, reply
from emulator.settings import fixtures_dir

if TYPE_CHECKING:
    from emulator.app import Runtime
    from emulator.core.journal import Entry

UI_DIR = Path(__file__).with_name("ui")
UI_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
KINDS = ("users", "tokens", "online", "groups", "members", "conversations")
COUNTED = ("users", "tokens", "online", "groups", "conversations")    # shown per tenant with their totals
PAGE_DEFAULT, PAGE_MAX = 50, 500          # rows per page of users/groups/members
ROWS_DEFAULT, ROWS_MAX = 200, 1000        # journal rows per answer
ERROR_FILTER, ERROR_FILTER_TEXT = r"^(any|-?\d{1,20})$", "any, or a provider error code"
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PageQuery(Schema):
    provider = fields.String(required=True)
    tenant = fields.String(required=True)
    group = fields.String()
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=PAGE_DEFAULT, validate=validate.Range(min=1, max=PAGE_MAX))


class RowsQuery(Schema):
    provider = fields.String()
    tenant = fields.String()
    api = fields.String()
    error = fields.String(validate=validate.Regexp(ERROR_FILTER, error=ERROR_FILTER_TEXT))
    since = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=ROWS_DEFAULT, validate=validate.Range(min=1, max=ROWS_MAX))


# A top-level key among the scalar fields that open a JSON object: the providers write their
# code first or after a few strings ({"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0, ...}),
# so a reply the journal cut (over its body limit) still shows it; a key inside a nested value
# is never matched.
_SCALAR = rb'(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)'
_LEAD_CODES: dict[str, re.Pattern] = {}


def _leading_code(prefix: bytes, key: str):
    pat = _LEAD_CODES.get(key)
    if pat is None:
        pat = _LEAD_CODES[key] = re.compile(
            rb'\{\s*(?:' + _SCALAR + rb'\s*:\s*' + _SCALAR + rb'\s*,\s*)*?"' + re.escape(key.encode())
            + rb'"\s*:\s*(-?\d+)')
    m = pat.match(prefix)
    return int(m.group(1)) if m else None


def error_code(rt: "Runtime", e: "Entry"):
    """The provider's error code in a journaled reply (None when the body carries none)."""
    p = rt.providers.get(e.provider)
    key = p.error_code_key if p is not None else None
    if key is None or not e.response_body:
        return None
    if e.response_len > len(e.response_body):     # cut by the journal: not JSON any more
        return _leading_code(e.response_body, key)
    try:
        body = orjson.loads(e.response_body)
    except orjson.JSONDecodeError:
        return None
    return body.get(key) if isinstance(body, dict) else None


def is_error(rt: "Runtime", e: "Entry", code) -> bool:
    p = rt.providers.get(e.provider)
    return e.status >= 400 or (code is not None and p is not None and code != p.ok_code)


def summary(rt: "Runtime", e: "Entry", code) -> dict:
    return {"seq": e.seq, "time": e.time, "provider": e.provider, "tenant": e.tenant, "api": e.api,
            "method": e.method, "path": e.path, "status": e.status, "code": code,
            "error": is_error(rt, e, code), "duration_ms": round(e.duration_ms, 3)}


def error_matches(rt: "Runtime", e: "Entry", code, want: str | None) -> bool:
    """``error=any``: the reply is an error (HTTP >= 400 or a code other than success);
    ``error=<n>``: the provider's code is n."""
    if want is None:
        return True
    if want == "any":
        return is_error(rt, e, code)
    return code == int(want)


def filter_errors(rt: "Runtime", entries: list, want: str | None) -> list:
    return entries if want is None else [e for e in entries if error_matches(rt, e, error_code(rt, e), want)]


def journal_rows(rt: "Runtime", q: dict) -> list[dict]:
    """Summaries of the entries after ``since`` matching the filters, the newest ``limit``."""
    want = q.get("error")
    entries = rt.journal.entries(q.get("provider"), q.get("api"), q.get("tenant"), since=q["since"])
    if want is None:    # only the page's replies are decoded, however long the journal
        return [summary(rt, e, error_code(rt, e)) for e in entries[-q["limit"]:]]
    out = []
    for e in entries:
        code = error_code(rt, e)
        if error_matches(rt, e, code, want):
            out.append(summary(rt, e, code))
    return out[-q["limit"]:]


def presence_of(backend, tenant):
    """The tenant's core Presence (who is online, tokens issued), if the provider keeps one."""
    get = getattr(backend, "presence_of", None)
    return get(tenant) if get is not None else None


def conversation_rows(store, offset: int, limit: int):
    """The core message store's conversations, in creation order (messages: GET /_emulator/messages)."""
    convs = list(islice(store.convs.values(), offset, offset + limit))
    return "conversation", len(store.convs), [
        {"conversation": c.id, "kind": c.kind, "users": ", ".join(c.users), "messages": len(c),
         "last_seq": c.last_seq} for c in convs]


def page_of(backend, tenant, kind: str, parent, offset: int, limit: int, tenant_id: str = ""):
    """(key, total, rows): who is online from the core's Presence when the provider keeps one,
    and the tokens it records there unless the provider lists its own token store; users with
    their online platforms; the rest from the provider's hook."""
    if kind == "conversations":
        get = getattr(backend, "message_store", None)
        store = get(tenant_id) if get is not None else None
        return None if store is None else conversation_rows(store, offset, limit)
    pres = presence_of(backend, tenant)
    if pres is not None and kind == "online":
        rows = [{"user": u, "platform": p, "online_since": ms}
                for u, plats in pres.online.items() for p, ms in plats.items()]
        return "user", len(rows), rows[offset:offset + limit]
    if pres is not None and kind == "tokens" and backend.inspect_rows(tenant, kind, parent, 0, 0) is None:
        now = backend.clock.now_ms()
        recs = list(pres.tokens.values())
        # the token itself is a credential: rows say whose it is and whether it works, not what it is
        rows = [{"token": f"#{offset + i + 1}", "user": r.user, "platform": r.platform,
                 "issued_at": r.issued_at, "expires_at": r.expires_at, "revoked": r.revoked,
                 "check": pres.check(r.token, now).reason} for i, r in enumerate(recs[offset:offset + limit])]
        return "token", len(recs), rows
    page = backend.inspect_rows(tenant, kind, parent, offset, limit)
    if page is not None and pres is not None and kind == "users":
        key, total, rows = page
        for row in rows:
            row["online"] = ", ".join(pres.platforms(row[key]))
    return page


def setup_inspector(app: web.Application, rt: "Runtime") -> None:
    endpoint = control_endpoint(rt)   # the admin token and JSON errors, as every control route

    def tenant_of(provider: str, tenant: str):
        p = rt.providers.get(provider)
        if p is None:
            raise ControlError(400, f"unknown provider {provider!r}", providers=list(rt.providers))
        t = p.backend.tenants.get(tenant)
        if t is None:
            raise ControlError(404, f"unknown {provider} tenant {tenant!r}")
        return p.backend, t

    @endpoint
    async def tenants(request):
        """Every provider's tenants with their settings and the kinds of rows they keep."""
        out = {}
        for name, p in rt.providers.items():
            b = p.backend
            rows = []
            for tid, t in b.tenants.items():
                counts = {}
                for kind in COUNTED:
                    page = page_of(b, t, kind, None, 0, 0, tid)
                    if page is not None:
                        counts[kind] = page[1]
                rows.append({"tenant": tid, "settings": b.inspect_settings(t), "counts": counts,
                             "presence": presence_of(b, t) is not None,
                             "platforms": list(getattr(b, "presence_platforms", ()))})
            out[name] = rows
        return reply({"providers": out})

    def rows_endpoint(kind: str):
        @endpoint
        async def handler(request):
            q = load_query(PageQuery(), request)
            backend, t = tenant_of(q["provider"], q["tenant"])
            parent = q.get("group")
            if kind == "members" and not parent:
                raise ControlError(400, "members needs group")
            try:
                page = page_of(backend, t, kind, parent, q["offset"], q["limit"], q["tenant"])
            except KeyError:
                raise ControlError(404, f"no group {parent!r} in {q['provider']} tenant {q['tenant']!r}") from None
            if page is None:
                raise ControlError(404, f"{q['provider']} keeps no {kind} rows")
            key, total, rows = page
            return reply({"provider": q["provider"], "tenant": q["tenant"], "kind": kind, "group": parent,
                          "key": key, "total": total, "offset": q["offset"], "limit": q["limit"],
                          "rows": rows})
        handler.__name__ = f"inspect_{kind}"
        return handler

    @endpoint
    async def rows(request):
        q = load_query(RowsQuery(), request)
        return reply({"last_seq": rt.journal.last_seq, "size": rt.journal.size,
                      "rows": journal_rows(rt, q)})

    @endpoint
    async def entry(request):
        seq = request.match_info["seq"]
        if not seq.isdigit():
            raise ControlError(400, "journal entry number must be a number")
        e = rt.journal.find(int(seq))
        if e is None:
            raise ControlError(404, f"no journal entry {seq} (cleared or rotated out)")
        code = error_code(rt, e)
        return reply({**rt.journal.render(e), "code": code, "error": is_error(rt, e, code)})

    @endpoint
    async def scenarios(request):
        names = sorted(p.stem for p in fixtures_dir().glob("*.yaml"))
        return reply({"scenarios": names})

    @endpoint
    async def scenario_text(request):
        name = request.match_info["name"]
        path = fixtures_dir() / f"{name}.yaml"
        if not SCENARIO_NAME.match(name) or not path.is_file():
            raise ControlError(404, f"no shipped scenario {name!r}")
        return web.Response(body=path.read_bytes(), content_type="application/yaml", charset="utf-8")

    # The page itself holds no data and no powers (every action is a control-plane call that
    # needs the token), so it is served without the token: that is how it can ask for it.
    static: dict[str, bytes] = {}

    async def ui(request):
        name = request.match_info.get("name") or "index.html"
        ctype = UI_TYPES.get(Path(name).suffix)
        if ctype is None or "/" in name or name.startswith("."):
            raise web.HTTPNotFound()
        if name not in static:      # read on first request: start-up reads none of it
            path = UI_DIR / name
            if not path.is_file():
                raise web.HTTPNotFound()
            static[name] = path.read_bytes()
        return web.Response(body=static[name], content_type=ctype, charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    r = app.router
    r.add_get(f"{PREFIX}/tenants", tenants)
    for kind in KINDS:
        r.add_get(f"{PREFIX}/{kind}", rows_endpoint(kind))
    r.add_get(f"{PREFIX}/journal/rows", rows)
    r.add_get(f"{PREFIX}/journal/{{seq}}", entry)
    r.add_get(f"{PREFIX}/scenarios", scenarios)
    r.add_get(f"{PREFIX}/scenarios/{{name}}", scenario_text)
    r.add_get(f"{PREFIX}/ui", ui)
    r.add_get(f"{PREFIX}/ui/", ui)
    r.add_get(f"{PREFIX}/ui/{{name}}", ui)
