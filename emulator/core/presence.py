"""Who is online on which platform, and which client tokens were issued: one ``Presence`` per tenant.

No client ever connects to the emulator, so presence is state that tests set through the control
plane (``POST /_emulator/presence``) and that provider APIs read (online checks) and change (kick,
block, deactivate, token expiry take users offline). Client tokens a provider issues are recorded
here so ``/_emulator/tokens/check`` can say whether a client presenting one would be let in now,
and why not. This module speaks no provider's words: users, platforms and reasons are plain strings
the provider chooses.

API a provider calls (times are emulator-clock milliseconds, ``call.now`` style):

    p = Presence()                                     # one per tenant, owned by the tenant state
    p.set_online(user, platform, online, now_ms, reason="control") -> bool (changed?)
    p.go_offline(user, now_ms, reason, platforms=None) -> list[str]  (platforms that went offline)
    p.platforms(user) -> {platform: online_since_ms};  p.is_online(user, platform=None) -> bool
    p.listing(user=None) -> {user: {platform: since_ms}}   (users online on at least one platform)

    p.issue(token, user, now_ms, platform=None, expires_at=None)   # remember an issued token
    p.revoke(user, reason, now_ms, platform=None, issued_before=None) -> int  (tokens revoked)
    p.suspend(user, reason, until_ms=None) / p.lift(user, reason) -> bool
    p.suspensions(reason, now_ms) -> {user: until_ms or None}     (expired ones are not listed)
    p.suspended(user, now_ms) -> [(reason, until_ms or None)]     (lazy: expiry read from the clock)
    p.check(token, now_ms) -> TokenCheck(valid, reason, user, platform, expires_at)
    p.forget_user(user)        # drop every remembered token of a user (the user is deleted)

    p.listeners.append(fn)     # fn(PresenceChange) after every online/offline transition
    p.to_json() / Presence.from_json(d) / p.check_invariants() -> list[str]

A provider's TenantBackend owns the instance through ``presence_of(tenant)`` (the tenant's
``presence`` attribute by default); providers/base.py then dumps, loads, resets and checks it and
shares the backend's listener list with every tenant's instance.

Check reasons, in the order they are tested: ``"never issued"`` (or forgotten past the per-user
cap), ``"revoked: <reason>"``, ``"expired"``, ``"user <reason> until <UTC time>"`` /
``"user <reason>"`` for an active suspension; a valid token answers reason ``"ok"``.

Bound: at most ``max_tokens_per_user`` (default ``MAX_TOKENS_PER_USER`` = 50) tokens are
remembered per user; issuing one more forgets that user's oldest and counts it in
``dropped_tokens``. A forgotten token checks as never issued. Users and presence rows grow only
with users the provider or the tests name, like every other per-user state.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Callable, Iterable

MAX_TOKENS_PER_USER = 50  # emulator choice: a client rarely holds more; older ones are forgotten


@dataclass(slots=True)
class TokenRecord:
    token: str
    user: str
    platform: str | None
    issued_at: int
    expires_at: int | None = None
    revoked: str | None = None      # reason, once revoked
    revoked_at: int | None = None

    def as_list(self) -> list:
        return [self.token, self.user, self.platform, self.issued_at, self.expires_at,
                self.revoked, self.revoked_at]


@dataclass(frozen=True, slots=True)
class TokenCheck:
    valid: bool
    reason: str
    user: str | None = None
    platform: str | None = None
    expires_at: int | None = None

    def as_json(self) -> dict:
        return {"valid": self.valid, "reason": self.reason, "user": self.user,
                "platform": self.platform, "expires_at": self.expires_at}


@dataclass(frozen=True, slots=True)
class PresenceChange:
    tenant_id: str | None
    user: str
    platform: str
    online: bool
    at_ms: int
    reason: str


def utc_text(ms: int) -> str:
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class Presence:
    __slots__ = ("online", "tokens", "by_user", "suspended_users", "max_tokens_per_user",
                 "dropped_tokens", "listeners", "tenant_id")

    def __init__(self, max_tokens_per_user: int = MAX_TOKENS_PER_USER) -> None:
        self.online: dict[str, dict[str, int]] = {}          # user -> {platform: online since ms}
        self.tokens: dict[str, TokenRecord] = {}              # token -> record, in issue order
        self.by_user: dict[str, list[str]] = {}               # user -> tokens, oldest first
        self.suspended_users: dict[str, dict[str, int | None]] = {}  # user -> {reason: until ms}
        self.max_tokens_per_user = max_tokens_per_user
        self.dropped_tokens = 0
        # Not state: wired by the backend (providers/base.py); survives nothing but a process.
        self.listeners: list[Callable[[PresenceChange], None]] = []
        self.tenant_id: str | None = None

    # --- presence -------------------------------------------------------------------------------
    def _notify(self, user: str, platform: str, online: bool, now_ms: int, reason: str) -> None:
        if self.listeners:
            change = PresenceChange(self.tenant_id, user, platform, online, now_ms, reason)
            for fn in list(self.listeners):
                fn(change)

    def set_online(self, user: str, platform: str, online: bool, now_ms: int,
                   reason: str = "control") -> bool:
        """Mark one (user, platform) online or offline; True when that changed anything.
        Going online again on a platform already online keeps the first online-since time."""
        rows = self.online.get(user)
        if online:
            if rows is not None and platform in rows:
                return False
            self.online.setdefault(user, {})[platform] = now_ms
        else:
            if rows is None or platform not in rows:
                return False
            del rows[platform]
            if not rows:
                del self.online[user]
        self._notify(user, platform, online, now_ms, reason)
        return True

    def go_offline(self, user: str, now_ms: int, reason: str,
                   platforms: Iterable[str] | None = None) -> list[str]:
        """Take a user offline on the given platforms (all of them when None)."""
        rows = self.online.get(user)
        if not rows:
            return []
        targets = list(rows) if platforms is None else [p for p in platforms if p in rows]
        for platform in targets:
            self.set_online(user, platform, False, now_ms, reason)
        return targets

    def platforms(self, user: str) -> dict[str, int]:
        return dict(self.online.get(user) or {})

    def is_online(self, user: str, platform: str | None = None) -> bool:
        rows = self.online.get(user)
        if not rows:
            return False
        return platform is None or platform in rows

    def listing(self, user: str | None = None) -> dict[str, dict[str, int]]:
        if user is not None:
            return {user: self.platforms(user)} if user in self.online else {}
        return {u: dict(rows) for u, rows in self.online.items()}

    # --- tokens ---------------------------------------------------------------------------------
    def issue(self, token: str, user: str, now_ms: int, platform: str | None = None,
              expires_at: int | None = None) -> TokenRecord:
        """Remember a token the provider handed out. Re-issuing a known token replaces its record."""
        old = self.tokens.pop(token, None)
        if old is not None:
            self.by_user[old.user].remove(token)
            if not self.by_user[old.user]:
                del self.by_user[old.user]
        rec = TokenRecord(token, user, platform, now_ms, expires_at)
        self.tokens[token] = rec
        mine = self.by_user.setdefault(user, [])
        mine.append(token)
        while len(mine) > self.max_tokens_per_user:
            self.tokens.pop(mine.pop(0), None)
            self.dropped_tokens += 1
        return rec

    def revoke(self, user: str, reason: str, now_ms: int, platform: str | None = None,
               issued_before: int | None = None) -> int:
        """Void a user's live tokens (of one platform, and/or issued before a time)."""
        count = 0
        for token in self.by_user.get(user, ()):
            rec = self.tokens[token]
            if rec.revoked is not None:
                continue
            if platform is not None and rec.platform != platform:
                continue
            if issued_before is not None and rec.issued_at >= issued_before:
                continue
            rec.revoked, rec.revoked_at = reason, now_ms
            count += 1
        return count

    def user_tokens(self, user: str) -> list[TokenRecord]:
        return [self.tokens[t] for t in self.by_user.get(user, ())]

    def forget_user(self, user: str) -> None:
        for token in self.by_user.pop(user, ()):
            self.tokens.pop(token, None)

    def suspend(self, user: str, reason: str, until_ms: int | None = None) -> None:
        """The user's tokens stop working while the suspension lasts (None: until lifted)."""
        self.suspended_users.setdefault(user, {})[reason] = until_ms

    def lift(self, user: str, reason: str) -> bool:
        rows = self.suspended_users.get(user)
        if rows is None or reason not in rows:
            return False
        del rows[reason]
        if not rows:
            del self.suspended_users[user]
        return True

    def suspended(self, user: str, now_ms: int) -> list[tuple[str, int | None]]:
        """Active suspensions of a user; one whose end time has passed no longer counts."""
        rows = self.suspended_users.get(user)
        if not rows:
            return []
        return [(r, until) for r, until in rows.items() if until is None or until > now_ms]

    def suspensions(self, reason: str, now_ms: int) -> dict[str, int | None]:
        return {u: rows[reason] for u, rows in self.suspended_users.items()
                if reason in rows and (rows[reason] is None or rows[reason] > now_ms)}

    def prune_suspensions(self, now_ms: int) -> int:
        """Forget suspensions that have run out (their effect already stopped; this frees memory)."""
        dropped = 0
        for user in list(self.suspended_users):
            rows = self.suspended_users[user]
            for r in [r for r, until in rows.items() if until is not None and until <= now_ms]:
                del rows[r]
                dropped += 1
            if not rows:
                del self.suspended_users[user]
        return dropped

    def check(self, token: str, now_ms: int) -> TokenCheck:
        rec = self.tokens.get(token)
        if rec is None:
            return TokenCheck(False, "never issued")
        base = dict(user=rec.user, platform=rec.platform, expires_at=rec.expires_at)
        if rec.revoked is not None:
            return TokenCheck(False, f"revoked: {rec.revoked}", **base)
        if rec.expires_at is not None and now_ms >= rec.expires_at:
            return TokenCheck(False, "expired", **base)
        active = self.suspended(rec.user, now_ms)
        if active:
            reason, until = active[0]
            text = f"user {reason}" if until is None else f"user {reason} until {utc_text(until)}"
            return TokenCheck(False, text, **base)
        return TokenCheck(True, "ok", **base)

    # --- state ----------------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "online": {u: dict(rows) for u, rows in self.online.items()},
            "tokens": [rec.as_list() for rec in self.tokens.values()],
            "suspended": {u: dict(rows) for u, rows in self.suspended_users.items()},
            "max_tokens_per_user": self.max_tokens_per_user,
            "dropped_tokens": self.dropped_tokens,
        }

    @classmethod
    def from_json(cls, d: dict | None) -> "Presence":
        d = d or {}
        p = cls(int(d.get("max_tokens_per_user", MAX_TOKENS_PER_USER)))
        p.online = {str(u): {str(k): int(v) for k, v in rows.items()}
                    for u, rows in (d.get("online") or {}).items() if rows}
        for row in d.get("tokens") or []:
            token, user, platform, issued, expires, revoked, revoked_at = row
            rec = TokenRecord(str(token), str(user), platform, int(issued),
                              None if expires is None else int(expires), revoked,
                              None if revoked_at is None else int(revoked_at))
            p.tokens[rec.token] = rec
            p.by_user.setdefault(rec.user, []).append(rec.token)
        p.suspended_users = {str(u): {str(r): (None if t is None else int(t)) for r, t in rows.items()}
                             for u, rows in (d.get("suspended") or {}).items() if rows}
        p.dropped_tokens = int(d.get("dropped_tokens", 0))
        return p

    def check_invariants(self) -> list[str]:
        problems: list[str] = []
        for user, rows in self.online.items():
            if not rows:
                problems.append(f"presence: user {user} has an empty platform row")
            for platform, since in rows.items():
                if not isinstance(since, int) or since < 0:
                    problems.append(f"presence: {user}/{platform} online since {since!r}")
        indexed = 0
        for user, tokens in self.by_user.items():
            if not tokens:
                problems.append(f"tokens: user {user} has an empty token list")
            if len(tokens) > self.max_tokens_per_user:
                problems.append(f"tokens: user {user} holds {len(tokens)} > cap {self.max_tokens_per_user}")
            for token in tokens:
                indexed += 1
                rec = self.tokens.get(token)
                if rec is None or rec.user != user:
                    problems.append(f"tokens: index of {user} names a token it does not own")
        if indexed != len(self.tokens):
            problems.append(f"tokens: {len(self.tokens)} records but {indexed} indexed")
        for rec in self.tokens.values():
            if rec.expires_at is not None and rec.expires_at < rec.issued_at:
                problems.append(f"tokens: a token of {rec.user} expires before it was issued")
            if (rec.revoked is None) != (rec.revoked_at is None):
                problems.append(f"tokens: a token of {rec.user} has a half-set revocation")
        for user, rows in self.suspended_users.items():
            if not rows:
                problems.append(f"suspensions: user {user} has an empty row")
        if self.dropped_tokens < 0:
            problems.append("tokens: negative drop counter")
        return problems
