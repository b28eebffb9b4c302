"""The message store: per tenant, conversations, each an ordered log with its own sequence numbers.

Provider-neutral (DESIGN.md): a provider names its conversations (any string id, e.g. its own
``si_a_b``) and supplies each message's ids (``ids``, a tuple of whatever the provider keeps:
random numbers, client ids, UIDs) and an optional lookup ``key``; the store keeps the log, the
sequence numbers, read marks and unread counters, recall/delete flags, a de-duplication window and
the memory bound. It knows no provider's field names.

Layout and cost
- A conversation's log is a list plus a ``head`` offset: seq ``s`` is ``log[head + s - first_seq]``,
  so lookup by seq, append and dropping the oldest are O(1) whatever the history length.
- A message is one slotted object (no __dict__) whose body is the provider's JSON serialised once
  to compact bytes (decoded when read) and whose user ids are interned: ~300-450 bytes per stored
  text message (measured by ``python -m bench``).
- Bounded: at most ``cap`` messages per tenant (tenant setting, default ``DEFAULT_CAP``); when a new
  message would exceed it, the oldest stored message of the tenant (arrival order) is dropped and
  counted in ``dropped``. Its conversation keeps its sequence numbers: the log then starts at a
  ``first_seq`` above 1, which is the only gap the invariants allow.
- Membership (membership.py): per tracked (group) conversation, who was a member at which seqs;
  ``check`` reports a message from a non-member unless flagged ``IMPORTED`` or ``AS_ADMIN``.
- Read state per (conversation, user): ``[read_seq, unread]``. ``unread`` is a counter the provider
  raises through ``append(unread_for=...)`` and sets through ``mark``; it never exceeds the number
  of sequence numbers after ``read_seq``.
"""

from __future__ import annotations

import sys
from collections import deque
from hashlib import blake2b
from typing import Any, Callable, Container, Iterable, Iterator

import orjson
from marshmallow import RAISE, Schema, fields, post_load, validate

from emulator.core.errors import SeedError
from emulator.core.membership import Roster

DEFAULT_CAP = 100_000     # issue 12: per-tenant cap on stored messages, oldest dropped first
DEDUPE_CAP = 100_000      # entries of the de-duplication window kept at most (bounded memory)

# Flag bits every provider shares; bits from PROVIDER_FLAG up are the provider's own.
RECALLED = 1       # recalled / revoked: kept, shown as recalled
DELETED = 2        # deleted for everyone (body still kept for inspection)
IMPORTED = 4       # imported history (may come from a non-member)
NO_UNREAD = 8      # did not count as unread for its recipients
AS_ADMIN = 16      # sent as admin/system, or by a route the provider lets skip membership
PROVIDER_FLAG = 256

_intern = sys.intern


def _compact(body: Any) -> bytes:
    """The body as compact JSON bytes of exactly their size: orjson hands back its ~4 KB
    working buffer, which kept per message would cost ten times the message itself."""
    return bytes(memoryview(orjson.dumps(body)))


_BARE = frozenset({int, str})    # an id of these types is kept without its 1-tuple (Message._ids)


class Message:
    """One stored message. ``to`` is None (everyone in the conversation) or a tuple of user ids."""

    __slots__ = ("conv", "seq", "sender", "to", "time", "body", "_ids", "flags", "key")

    def __init__(self, conv, seq: int, sender: str, to, time: float, body: bytes, ids: tuple,
                 flags: int, key) -> None:
        self.conv = conv
        self.seq = seq
        self.sender = sender
        self.to = to
        self.time = time
        self.body = body
        # one int or str id (Tencent's Random, RongCloud's messageUID) is kept bare: a tuple per
        # message is a second object the collector walks (and ~56 bytes); ``ids`` rebuilds it
        self._ids = ids[0] if type(ids) is tuple and len(ids) == 1 and type(ids[0]) in _BARE else ids
        self.flags = flags
        self.key = key

    @property
    def ids(self) -> tuple:
        v = self._ids
        return (v,) if type(v) in _BARE else v

    @ids.setter
    def ids(self, ids: tuple) -> None:
        self._ids = ids[0] if type(ids) is tuple and len(ids) == 1 and type(ids[0]) in _BARE else ids

    def content(self) -> Any:
        """The provider's JSON as it was stored."""
        return orjson.loads(self.body)

    def addressed_to(self, user: str) -> bool:
        return self.to is None or user in self.to

    def as_json(self) -> dict:
        return {"seq": self.seq, "from": self.sender, "to": list(self.to) if self.to is not None else None,
                "time": self.time, "body": self.content(), "ids": list(self.ids), "flags": self.flags,
                "key": self.key}


class Conversation:
    """One ordered log. ``kind`` and ``users`` are the provider's (``users``: the parties of a
    one-to-one conversation, empty for groups, whose membership the provider keeps)."""

    __slots__ = ("id", "kind", "users", "log", "head", "first_seq", "marks")

    def __init__(self, cid: str, kind: str, users: tuple = (), first_seq: int = 1) -> None:
        self.id = cid
        self.kind = kind
        self.users = tuple(_intern(u) for u in users)
        self.log: list[Message] = []
        self.head = 0
        self.first_seq = first_seq     # seq of log[head] (or of the next message when empty)
        self.marks: dict[str, list[int]] = {}   # user -> [read_seq, unread]

    @property
    def next_seq(self) -> int:
        return self.first_seq + len(self.log) - self.head

    @property
    def last_seq(self) -> int:
        return self.next_seq - 1

    def __len__(self) -> int:
        return len(self.log) - self.head

    def at(self, seq: int) -> Message | None:
        """The stored message with this seq, or None (never sent, or dropped by the cap)."""
        i = seq - self.first_seq
        if 0 <= i < len(self.log) - self.head:
            return self.log[self.head + i]
        return None

    def messages(self) -> list[Message]:
        return self.log[self.head:]

    def newest(self, upto: int | None = None) -> Iterator[Message]:
        """Messages with seq <= upto (default: all), newest first."""
        end = len(self.log) if upto is None else min(len(self.log), self.head + upto - self.first_seq + 1)
        for i in range(end - 1, self.head - 1, -1):
            yield self.log[i]

    def mark_of(self, user: str) -> list[int]:
        mark = self.marks.get(user)
        if mark is None:
            mark = self.marks[_intern(user)] = [0, 0]
        return mark

    def _drop_oldest(self) -> Message:
        msg = self.log[self.head]
        self.log[self.head] = None      # type: ignore[call-overload]  # let it be freed now
        self.head += 1
        self.first_seq += 1
        if self.head > 64 and self.head * 2 > len(self.log):
            del self.log[:self.head]
            self.head = 0
        return msg


class MessageStore:
    """Every conversation of one tenant, with the tenant-wide cap."""

    __slots__ = ("cap", "dropped", "convs", "order", "stored", "keys", "by_user", "recent", "recent_order",
                 "rosters", "_memo")

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap
        self.dropped = 0
        self.convs: dict[str, Conversation] = {}
        self.order: deque[Message] = deque()    # arrival order, oldest first (what the cap drops)
        self.stored = 0
        self.keys: dict[str, Message] = {}      # provider lookup key -> message
        self.by_user: dict[str, dict[str, None]] = {}   # user -> conversations they are a party of
        self.recent: dict[int, Message] = {}                    # de-dup digest -> message
        self.recent_order: dict[float, deque[int]] = {}         # window -> digests, oldest first
        self.rosters: dict[str, Roster] = {}    # tracked conversation -> membership history
        self._memo: tuple[str, int] = ("", 0)   # the last (key, digest): duplicate then remember

    # --- conversations ---------------------------------------------------------------------------
    def get(self, cid: str) -> Conversation | None:
        return self.convs.get(cid)

    def conversation(self, cid: str, kind: str, users: Iterable[str] = (), first_seq: int = 1) -> Conversation:
        """The conversation ``cid``, created (empty, starting at ``first_seq``) when missing."""
        conv = self.convs.get(cid)
        if conv is None:
            conv = self.convs[cid] = Conversation(cid, kind, tuple(users), first_seq)
            for u in conv.users:
                self.by_user.setdefault(u, {})[cid] = None
        return conv

    def of_user(self, user: str) -> list[Conversation]:
        """Conversations ``user`` is a named party of (one-to-one ones)."""
        return [self.convs[c] for c in self.by_user.get(user, ())]

    def drop_conversation(self, cid: str) -> int:
        """Forget a conversation and its messages (a dismissed group); returns how many went."""
        self.rosters.pop(cid, None)
        conv = self.convs.pop(cid, None)
        if conv is None:
            return 0
        gone = conv.messages()
        for msg in gone:
            msg.conv = None
            if msg.key is not None and self.keys.get(msg.key) is msg:
                del self.keys[msg.key]
        self.stored -= len(gone)
        for u in conv.users:
            convs = self.by_user.get(u)
            if convs is not None:
                convs.pop(cid, None)
                if not convs:
                    del self.by_user[u]
        if len(self.order) > 64 and len(self.order) > 2 * self.stored:
            self.order = deque(m for m in self.order if m.conv is not None)
        return len(gone)

    def release(self) -> None:
        """Break each message's reference back to its conversation (the store's only reference
        cycle), for a store its tenant dropped (reset, load, scenario): it is then freed by
        reference counting alone once nothing holds it. The collector would free the cycles too,
        but core/gctune.py freezes long-lived state out of its walks, and a frozen cycle is never
        reclaimed. Everything else is left as it is, so a request still holding the old tenant
        (one waiting for a before-hook's reply) sees a store whose messages all count as gone."""
        for conv in self.convs.values():
            for msg in conv.log:
                msg.conv = None

    # --- writing ---------------------------------------------------------------------------------
    def append(self, conv: Conversation, sender: str, body: Any, time: float, ids: tuple = (),
               to: Iterable[str] | None = None, key: str | None = None, flags: int = 0,
               unread_for: Iterable[str] = ()) -> Message:
        """Store a message at the conversation's next seq. ``body`` is the provider's JSON (kept
        as sent); ``unread_for`` are the users whose unread counter it raises."""
        msg = Message(conv, conv.next_seq, _intern(sender),
                      None if to is None else tuple(_intern(u) for u in to), time,
                      _compact(body), ids, flags, key)
        conv.log.append(msg)
        self.order.append(msg)
        self.stored += 1
        if key is not None:
            self.keys[key] = msg
        for user in unread_for:
            conv.mark_of(user)[1] += 1
        while self.stored > self.cap:
            self._drop_oldest()
        return msg

    def _drop_oldest(self) -> None:
        while self.order:
            msg = self.order.popleft()
            conv = msg.conv
            if conv is None:            # its conversation was dropped whole
                continue
            dropped = conv._drop_oldest()
            assert dropped is msg, "arrival order and conversation order disagree"
            msg.conv = None
            if msg.key is not None and self.keys.get(msg.key) is msg:
                del self.keys[msg.key]
            self.stored -= 1
            self.dropped += 1
            roster = self.rosters.get(conv.id) if self.rosters else None
            if roster is not None and conv.first_seq >= roster.sweep_at:
                roster.sweep(conv.first_seq)
            return

    def find(self, key: str) -> Message | None:
        msg = self.keys.get(key)
        return msg if msg is not None and msg.conv is not None else None

    def mark(self, conv: Conversation, user: str, read_seq: int | None = None, unread: int | None = None) -> None:
        """Set a user's read position and/or unread counter in a conversation."""
        mark = conv.mark_of(user)
        if read_seq is not None:
            mark[0] = max(0, min(read_seq, conv.last_seq))
        if unread is not None:
            mark[1] = max(0, min(unread, conv.last_seq - mark[0]))

    def unread(self, conv: Conversation, user: str) -> int:
        mark = conv.marks.get(user)
        return mark[1] if mark is not None else 0

    # --- membership history (membership.py) -------------------------------------------------------
    def _at(self, cid: str, first_seq: int) -> tuple[int, int]:
        """(next seq, first retained seq) of a conversation; ``first_seq`` when it has no log yet."""
        conv = self.convs.get(cid)
        return (conv.next_seq, conv.first_seq) if conv is not None else (first_seq, first_seq)

    def join(self, cid: str, users: Iterable[str], first_seq: int = 1) -> None:
        """``users`` became members of ``cid`` now (their epoch opens at its next seq).
        ``first_seq``: where the conversation's log will start when it has none yet."""
        seq, first = self._at(cid, first_seq)
        roster = self.rosters.get(cid)
        if roster is None:
            roster = self.rosters[cid] = Roster(seq)
        for u in users:
            roster.join(u, seq, first)

    def leave(self, cid: str, users: Iterable[str], first_seq: int = 1) -> None:
        """``users`` stopped being members of ``cid`` now."""
        roster = self.rosters.get(cid)
        if roster is not None:
            seq, first = self._at(cid, first_seq)
            for u in users:
                roster.leave(u, seq, first)

    def adopt(self, cid: str, first_seq: int = 1) -> None:
        """Track a conversation loaded without history (an old dump, a scenario seed): its
        current members count as members from its next seq on and the messages already stored
        are not checked (``since``). No effect when it has a roster."""
        if cid not in self.rosters:
            self.rosters[cid] = Roster(self._at(cid, first_seq)[0])

    def roster(self, cid: str) -> Roster | None:
        return self.rosters.get(cid)

    # --- de-duplication window --------------------------------------------------------------------
    # A remembered send is one dict slot (63-bit digest of the provider's key text -> message)
    # plus the digest in its window's queue; it expires at message time + window. Digests are
    # stable across processes, so they survive dump/load. ~100 bytes per send in the window.
    @staticmethod
    def digest(text: str) -> int:
        return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big") >> 1

    def _digest_of(self, dkey: str) -> int:
        """digest(dkey), computed once for a send's duplicate() and remember() pair."""
        memo = self._memo
        if memo[0] == dkey:
            return memo[1]
        d = self.digest(dkey)
        self._memo = (dkey, d)
        return d

    def duplicate(self, dkey: str, now: float, window_s: float) -> Message | None:
        """The message remembered under ``dkey`` while its window is open (and still stored)."""
        self._prune(now)
        msg = self.recent.get(self._digest_of(dkey))
        if msg is None or msg.time + window_s <= now or msg.conv is None:
            return None
        return msg

    def remember(self, dkey: str, msg: Message, window_s: float) -> None:
        """Remember a just-sent message (its time is the send time) for ``window_s`` seconds."""
        d = self._digest_of(dkey)
        self.recent[d] = msg
        queue = self.recent_order.get(window_s)
        if queue is None:
            queue = self.recent_order[window_s] = deque()
        queue.append(d)
        if len(queue) > DEDUPE_CAP:
            self.recent.pop(queue.popleft(), None)

    def _prune(self, now: float) -> None:
        recent = self.recent
        for window, queue in self.recent_order.items():
            while queue:
                msg = recent.get(queue[0])
                if msg is not None and msg.time + window > now:
                    break
                d = queue.popleft()
                if msg is not None and msg.time + window <= now:
                    del recent[d]

    # --- reading for the control plane ------------------------------------------------------------
    def query(self, cids: Iterable[str] | dict[str, float | None] | None = None, user: str | None = None,
              since: float | None = None) -> list[Message]:
        """Stored messages of the given conversations (default: all; a dict gives each its own
        start time, e.g. when the user joined), optionally only those addressed to ``user`` (or
        sent by them) and with time >= since; arrival order."""
        wanted = None if cids is None else (cids if isinstance(cids, dict) else dict.fromkeys(cids))
        out = []
        for msg in self.order:
            conv = msg.conv
            if conv is None or (wanted is not None and conv.id not in wanted):
                continue
            if since is not None and msg.time < since:
                continue
            start = wanted.get(conv.id) if wanted is not None else None
            if start is not None and msg.time < start:
                continue
            if user is not None and msg.sender != user and not msg.addressed_to(user):
                continue
            out.append(msg)
        return out

    # --- dump / load / check ------------------------------------------------------------------------
    def is_default(self) -> bool:
        return not self.convs and self.cap == DEFAULT_CAP and not self.dropped

    def dump(self) -> dict:
        position = {id(m): i for i, m in enumerate(m for m in self.order if m.conv is not None)}
        convs = []
        for conv in self.convs.values():
            convs.append({
                "id": conv.id, "kind": conv.kind, "users": list(conv.users), "first_seq": conv.first_seq,
                "marks": {u: list(m) for u, m in conv.marks.items()},
                "messages": [{**m.as_json(), "n": position[id(m)]} for m in conv.messages()]})
        recent = [[d, window, self.recent[d].conv.id, self.recent[d].seq]
                  for window, queue in self.recent_order.items() for d in queue
                  if d in self.recent and self.recent[d].conv is not None]
        out = {"cap": self.cap, "dropped": self.dropped, "conversations": convs, "recent": recent}
        if self.rosters:
            out["rosters"] = {cid: r.as_json() for cid, r in self.rosters.items()}
        return out

    @classmethod
    def from_json(cls, data: dict | None) -> "MessageStore":
        """Build a store from a validated dump / scenario section (StoreSpec); SeedError names
        the bad path. Messages without ``n`` arrive in conversation order after those with one."""
        data = data or {}
        store = cls(data.get("cap", DEFAULT_CAP))
        store.dropped = data.get("dropped", 0)
        arrivals: list[tuple[int, int, Message]] = []
        for i, cs in enumerate(data.get("conversations") or []):
            path = f"conversations[{i}]"
            if cs["id"] in store.convs:
                raise SeedError(f"{path}.id", f"duplicate conversation {cs['id']!r}")
            conv = store.conversation(cs["id"], cs["kind"], cs.get("users") or (), cs.get("first_seq", 1))
            for j, ms in enumerate(cs.get("messages") or []):
                seq = ms.get("seq")
                if seq is not None and seq != conv.next_seq:
                    raise SeedError(f"{path}.messages[{j}].seq", f"expected {conv.next_seq}, got {seq}")
                to = ms.get("to")
                msg = Message(conv, conv.next_seq, _intern(ms["from"]),
                              None if to is None else tuple(_intern(u) for u in to), ms["time"],
                              _compact(ms.get("body")), tuple(ms.get("ids") or ()), ms.get("flags", 0),
                              ms.get("key"))
                conv.log.append(msg)
                if msg.key is not None:
                    store.keys[msg.key] = msg
                n = ms.get("n")
                arrivals.append((0 if n is not None else 1, n if n is not None else len(arrivals), msg))
            for u, mark in (cs.get("marks") or {}).items():
                if len(mark) != 2 or mark[0] > conv.last_seq or mark[1] > conv.last_seq - mark[0]:
                    raise SeedError(f"{path}.marks.{u}", "a mark is [read_seq, unread] within the log")
                conv.marks[_intern(u)] = [mark[0], mark[1]]
        arrivals.sort(key=lambda t: (t[0], t[1]))
        store.order = deque(m for _, _, m in arrivals)
        store.stored = len(store.order)
        if store.stored > store.cap:
            raise SeedError("cap", f"{store.stored} messages exceed the cap {store.cap}")
        for i, item in enumerate(data.get("recent") or []):
            if len(item) != 4 or not isinstance(item[0], int) or not isinstance(item[1], (int, float)):
                raise SeedError(f"recent[{i}]", "an entry is [digest, window, conversation, seq]")
            d, window, cid, seq = item
            conv = store.convs.get(cid)
            msg = conv.at(seq) if conv is not None and isinstance(seq, int) else None
            if msg is not None:
                store.recent[d] = msg
                store.recent_order.setdefault(window, deque()).append(d)
        rosters = data.get("rosters") or {}
        if not isinstance(rosters, dict):
            raise SeedError("rosters", "rosters map a conversation id to its membership history")
        for cid, rd in rosters.items():
            store.rosters[cid] = Roster.from_json(rd, f"rosters.{cid}")
        return store

    def check(self, members_of: Callable[[str], Container[str]] | None = None) -> list[str]:
        """Invariants: sequences contiguous (a log may start above 1 only by dropped messages),
        counters agree, marks within the log, the cap holds, the key index points at live messages;
        with ``members_of`` (tracked conversation -> the provider's member list now), membership:
        no message from a non-member at its seq unless IMPORTED or AS_ADMIN (membership.py)."""
        problems: list[str] = []
        total = 0
        for cid, conv in self.convs.items():
            expected = conv.first_seq
            for msg in conv.messages():
                if msg.seq != expected or msg.conv is not conv:
                    problems.append(f"conversation {cid}: seq {msg.seq} where {expected} was expected")
                    break
                expected += 1
            total += len(conv)
            for user, (read_seq, unread) in conv.marks.items():
                if not 0 <= read_seq <= conv.last_seq:
                    problems.append(f"conversation {cid}: {user} read up to {read_seq} of {conv.last_seq}")
                if not 0 <= unread <= conv.last_seq - read_seq:
                    problems.append(f"conversation {cid}: {user} has {unread} unread after seq {read_seq}"
                                    f" of {conv.last_seq}")
            for u in conv.users:
                if cid not in self.by_user.get(u, ()):
                    problems.append(f"conversation {cid}: {u} missing from the user index")
        if total != self.stored:
            problems.append(f"{self.stored} messages counted, {total} stored")
        live = sum(1 for m in self.order if m.conv is not None)
        if live != total:
            problems.append(f"arrival order holds {live} messages, conversations {total}")
        if total > self.cap:
            problems.append(f"{total} messages stored over the cap {self.cap}")
        for key, msg in self.keys.items():
            if msg.conv is None or msg.key != key:
                problems.append(f"key {key!r} points at a message that is gone")
        if members_of is not None:
            problems.extend(self._check_membership(members_of))
        return problems

    def _check_membership(self, members_of: Callable[[str], Container[str]]) -> list[str]:
        """No message in a tracked conversation from a non-member at its seq, unless flagged
        IMPORTED or AS_ADMIN; the history agrees with the provider's member lists now; epochs
        never start after the conversation's next seq."""
        problems = []
        allowed = IMPORTED | AS_ADMIN
        for cid, roster in self.rosters.items():
            members = members_of(cid)
            problems.extend(f"conversation {cid}: {p}" for p in roster.problems(members))
            conv = self.convs.get(cid)
            if conv is None:
                continue
            for user, ep in roster.users.items():
                if ep[-1] > conv.next_seq:
                    problems.append(f"conversation {cid}: {user}'s membership starts after seq {conv.last_seq}")
            bad = 0
            for msg in conv.messages():
                if msg.seq < roster.since or msg.flags & allowed or roster.member_at(msg.sender, msg.seq, members):
                    continue
                bad += 1
                if bad <= 5:
                    problems.append(f"conversation {cid}: seq {msg.seq} from non-member {msg.sender}"
                                    " (not a member at that seq)")
            if bad > 5:
                problems.append(f"conversation {cid}: {bad - 5} more messages from non-members")
        return problems


# --- the JSON shape of a store (state dumps and scenario seeds) -----------------------------------
class _Strict(Schema):
    class Meta:
        unknown = RAISE


class MessageSpec(_Strict):
    seq = fields.Integer(strict=True, validate=validate.Range(min=1))
    n = fields.Integer(strict=True, validate=validate.Range(min=0))
    from_ = fields.String(required=True, data_key="from")
    to = fields.List(fields.String(), allow_none=True, load_default=None)
    time = fields.Float(required=True, allow_nan=False)
    body = fields.Raw(allow_none=True, load_default=None)
    ids = fields.List(fields.Raw(), load_default=list)
    flags = fields.Integer(strict=True, validate=validate.Range(min=0), load_default=0)
    key = fields.String(allow_none=True, load_default=None)

    @post_load
    def _from(self, data, **kwargs):     # "from" is a Python keyword: give the dump's name back
        data["from"] = data.pop("from_")
        return data


class ConversationSpec(_Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    kind = fields.String(required=True, validate=validate.Length(min=1))
    users = fields.List(fields.String(), load_default=list)
    first_seq = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=1)
    marks = fields.Dict(keys=fields.String(), values=fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=0))), load_default=dict)
    messages = fields.List(fields.Nested(MessageSpec), load_default=list)


class StoreSpec(_Strict):
    """A tenant's ``messages:`` section: ``cap`` (default 100,000), ``conversations`` to seed."""

    cap = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=DEFAULT_CAP)
    dropped = fields.Integer(strict=True, validate=validate.Range(min=0), load_default=0)
    conversations = fields.List(fields.Nested(ConversationSpec), load_default=list)
    recent = fields.List(fields.List(fields.Raw()), load_default=list)
    # membership history (membership.py): conversation -> {since, users: {user: [boundaries]}};
    # checked by Roster.from_json
    rosters = fields.Dict(keys=fields.String(), values=fields.Raw())


__all__ = ["DEFAULT_CAP", "Conversation", "Message", "MessageStore", "StoreSpec",
           "RECALLED", "DELETED", "IMPORTED", "NO_UNREAD", "AS_ADMIN", "PROVIDER_FLAG"]
