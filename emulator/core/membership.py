"""Membership history of group conversations, in sequence numbers (provider-neutral).

The message store (messages.py) keeps one ``Roster`` per conversation a provider tracks (its
groups): for each user, the seq ranges during which they were a member. A join opens an epoch at
the conversation's next seq (the first message the new member could have sent); a leave closes it
at the next seq then (the first message they could no longer send). The invariant it serves:
every stored message of a tracked conversation is from a member at its seq, unless it carries a
reason it needs none (``IMPORTED``, ``AS_ADMIN``: set by the provider's send rules, never guessed).

Layout and cost
- ``since``: the seq the history starts at (a new group: 1; a group loaded from a dump or scenario
  without history: its next seq then). Messages below it are not checked.
- A user without an entry has been a member since ``since`` if the provider lists them as a member
  now, else was never one: the members of a group that joined before its first message (and every
  member of an adopted group) cost nothing. Any other user's epochs are one flat, strictly
  increasing list of boundaries ``[s0, e0, s1, e1, ...]``; an odd length means the last epoch is
  still open. "Member at seq" is then "an odd number of boundaries <= seq" (one bisect), whatever
  the history length; the provider's member list is asked only for users without an entry.
- Sends never touch a roster: only joins, leaves, and the cap dropping old messages do.
- An epoch that saw no message (leave at the seq of the join) is not kept, and a re-join at the
  seq where the last epoch ended reopens it: join/leave churn without messages costs nothing.

Bound: an epoch that ends at or before the conversation's first retained seq covers no stored
message and is pruned: on that user's next join/leave, and for the whole roster (a sweep) each
time the cap has dropped max(SWEEP_MIN, half the roster's boundaries) messages of the
conversation since the last sweep, so sweeping costs O(1) amortised per dropped message. After a
sweep every kept closed epoch is non-empty and ends after the first retained seq: a user keeps at
most one closed epoch per retained message, all users together at most one per (retained message,
member when it was stored) pair, plus one open epoch per member who joined after a message; between
sweeps the epochs of the messages dropped since the last sweep come on top
(tests/test_message_membership.py measures join-send-leave churn under a cap of 50:
<= 2 x (50 + SWEEP_MIN) boundaries).
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from typing import Container

from emulator.core.errors import SeedError

SWEEP_MIN = 64          # dropped messages of a conversation between two sweeps, at least

_intern = sys.intern


class Roster:
    """One conversation's membership history: ``users[u]`` = boundaries (see module doc)."""

    __slots__ = ("since", "users", "sweep_at")

    def __init__(self, since: int) -> None:
        self.since = since
        self.users: dict[str, list[int]] = {}
        self.sweep_at = since + SWEEP_MIN

    def join(self, user: str, seq: int, first_seq: int) -> None:
        """``user`` (not a member now) joins at ``seq``."""
        ep = self.users.get(user)
        if ep is None:
            if seq != self.since:       # a member from `since` needs no entry
                self.users[_intern(user)] = [seq]
            return
        if len(ep) % 2:                 # already a member
            return
        _trim(ep, first_seq)
        if ep and ep[-1] == seq:        # no message since they left: the old epoch goes on
            ep.pop()
        else:
            ep.append(seq)

    def leave(self, user: str, seq: int, first_seq: int) -> None:
        """``user`` (a member now) leaves at ``seq``."""
        ep = self.users.get(user)
        if ep is None:                  # a member since `since`
            if seq == self.since:
                return                  # before any message: as if never a member
            ep = self.users[_intern(user)] = [self.since, seq]
        elif not len(ep) % 2:
            return
        elif ep[-1] == seq:             # no message while a member: nothing to remember
            ep.pop()
        else:
            ep.append(seq)
        _trim(ep, first_seq)
        if not ep:
            del self.users[user]

    def member_at(self, user: str, seq: int, members: Container[str]) -> bool:
        """Was ``user`` a member at ``seq`` (>= since)? ``members``: the provider's list now."""
        ep = self.users.get(user)
        if ep is None:
            return user in members
        return bisect_right(ep, seq) % 2 == 1

    def problems(self, members: Container[str]) -> list[str]:
        """Entries that disagree with the provider's member list now (a missed join or leave)."""
        out = []
        for user, ep in self.users.items():
            if bool(len(ep) % 2) != (user in members):
                state = "open" if len(ep) % 2 else "closed"
                out.append(f"{user}'s membership is {state} but {'not ' if state == 'open' else ''}"
                           f"in the member list")
        return out

    def sweep(self, first_seq: int) -> None:
        for user in [u for u, ep in self.users.items() if not _trim(ep, first_seq)]:
            del self.users[user]
        self.sweep_at = first_seq + max(SWEEP_MIN, self.size() // 2)

    def size(self) -> int:
        return sum(len(ep) for ep in self.users.values())

    def as_json(self) -> dict:
        return {"since": self.since, "users": {u: list(ep) for u, ep in self.users.items()}}

    @classmethod
    def from_json(cls, data, path: str) -> "Roster":
        """From a dump (validated or not: durable snapshots skip validation); SeedError names
        the bad path."""
        if not isinstance(data, dict) or not isinstance(data.get("since"), int) or data["since"] < 1 \
                or not isinstance(data.get("users", {}), dict):
            raise SeedError(path, "a roster is {since: seq >= 1, users: {user: [seq boundaries]}}")
        r = cls(data["since"])
        for user, ep in (data.get("users") or {}).items():
            if not isinstance(ep, list) or not ep or any(
                    not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in ep) \
                    or any(a >= b for a, b in zip(ep, ep[1:])):
                raise SeedError(f"{path}.users.{user}", "epochs are strictly increasing seqs >= 1")
            r.users[_intern(user)] = list(ep)
        return r


def _trim(ep: list[int], first_seq: int) -> list[int]:
    """Drop the closed epochs that end at or before ``first_seq`` (they cover no stored message)."""
    done = bisect_right(ep, first_seq) // 2 * 2
    if done:
        del ep[:done]
    return ep


__all__ = ["Roster", "SWEEP_MIN"]
