"""GET /_emulator/messages: what the message stores hold, for tests (issue 12).

``?provider=&tenant=&conversation=&user=&since=&offset=&limit=``: stored messages in arrival
order, paged (``next_offset`` is null on the last page). ``user=`` is that user's inbox: the
messages of every conversation they are in (one-to-one, and groups they are a member of now,
from when they joined) that are addressed to them or sent by them, including what is delivered without history
(conversations ``online:...``). ``since`` is epoch seconds (emulator clock), inclusive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marshmallow import Schema, fields, validate

from emulator.core.messages import DELETED, IMPORTED, RECALLED, Message

if TYPE_CHECKING:
    from emulator.app import Runtime

MAX_PAGE = 1000
DEFAULT_PAGE = 100


class MessagesQuery(Schema):
    provider = fields.String()
    tenant = fields.String()
    conversation = fields.String()
    user = fields.String()
    since = fields.Float(allow_nan=False)
    offset = fields.Integer(validate=validate.Range(min=0), load_default=0)
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE), load_default=DEFAULT_PAGE)


def render(provider: str, tenant: str, msg: Message) -> dict:
    conv = msg.conv
    return {"provider": provider, "tenant": tenant, "conversation": conv.id, "kind": conv.kind,
            **msg.as_json(), "recalled": bool(msg.flags & RECALLED), "deleted": bool(msg.flags & DELETED),
            "imported": bool(msg.flags & IMPORTED)}


def list_messages(rt: "Runtime", query: dict) -> dict:
    """The page of stored messages matching ``query`` (a MessagesQuery result)."""
    provider, tenant = query.get("provider"), query.get("tenant")
    found: list[dict] = []
    for pname, p in rt.providers_for(provider).items():
        backend = p.backend
        for tid in sorted(backend.tenants):
            if tenant is not None and tid != tenant:
                continue
            store = backend.message_store(tid)
            if store is None:
                continue
            cids: dict | None = None
            if "conversation" in query:
                cids = {query["conversation"]: None}
            if "user" in query:
                mine = backend.conversations_of(tid, query["user"])
                cids = mine if cids is None else {c: mine[c] for c in cids if c in mine}
            for msg in store.query(cids, query.get("user"), query.get("since")):
                found.append(render(pname, tid, msg))
    offset, limit = query["offset"], query["limit"]
    page = found[offset:offset + limit]
    more = offset + limit < len(found)
    return {"total": len(found), "count": len(page), "offset": offset,
            "next_offset": offset + limit if more else None, "messages": page}


__all__ = ["MessagesQuery", "list_messages"]
