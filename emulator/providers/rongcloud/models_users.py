"""RongCloud users: registration and client tokens, push info, hosted profiles, bans, deactivation,
one-to-one blocklists (reference users 1.1-1.11). No aiohttp here.

Users stay optional: the group APIs take any user id, as the real service and the official SDKs'
tests do (reference users 5). A user becomes "registered" by /user/getToken.json (or a scenario
seed, or /user/refresh.json). Presence, issued tokens and bans live in the tenant's
core/presence.py instance (``t.presence``); deactivation is kept here and mirrored there as a
suspension, so a deactivated user's tokens fail the token check.

Times are emulator-clock milliseconds. Every function validates the whole request before it
changes anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from .errors import RongCloudError
from .models import Tenant, decode_page_token, encode_page_token
from .models_legacy import format_time

BLOCKED, DEACTIVATED = "blocked", "deactivated"      # presence suspension reasons
TOKEN_EXPIRED_REASON = "expired by /user/token/expire.json"

BLOCK_QUERY_UNPAGED = 1000     # page 0 / absent: the first 1000 by end time, latest first ([DOC-EN] block)
BLACKLIST_TOTAL_MAX = 3000     # per owner, Premium/Ultimate plans ([DOC-EN] blacklist add)
WHITELIST_TOTAL_MAX = 3000     # per owner ([DOC-EN] add-to-whitelist)
REACTIVATE_AFTER_MS = 3600_000  # no reactivation within 1 hour of the deactivation request ([DOC-EN])
OPERATIONS_KEPT = 1000         # remembered deactivate/reactivate results (emulator cap, drops counted)

# Hosted profile (reference users 1.11). The two doc versions disagree on name/portraitUri: the
# larger limits are the default, the strict ones a tenant setting (strict_profile_limits).
PROFILE_STRING_LIMITS = {"uniqueId": 32, "name": 64, "portraitUri": 1024, "email": 128,
                         "birthday": 32, "location": 32}
PROFILE_STRICT_LIMITS = {"name": 32, "portraitUri": 128}
PROFILE_INT_RANGES = {"gender": (0, 2), "role": (0, 100), "level": (0, 100)}
EXT_KEY_MAX, EXT_VALUE_MAX = 32, 256


@dataclass(slots=True)
class User:
    """What getToken/refresh store (used for push only, reference users 1.4)."""
    name: str
    portraitUri: str
    createTime: int


@dataclass(slots=True)
class Profile:
    """A hosted profile (profile hosting): basic keys, ext keys, a version that only grows."""
    userProfile: dict
    userExtProfile: dict
    version: int
    created: int


@dataclass
class UserState:
    """The per-App-Key user tables (a field of the RongCloud Tenant)."""
    users: dict = field(default_factory=dict)          # userId -> User, registration order
    profiles: dict = field(default_factory=dict)       # userId -> Profile, first-set order
    deactivated: dict = field(default_factory=dict)    # userId -> deactivation request ms, in order
    blacklists: dict = field(default_factory=dict)     # userId -> {blackUserId: added ms}, in order
    whitelists: dict = field(default_factory=dict)     # userId -> {whiteUserId: added ms}, in order
    expire_marks: dict = field(default_factory=dict)   # userId -> ms: tokens issued before are void
    token_seq: int = 0                                 # tokens issued so far (per-tenant sequence)
    operation_seq: int = 0                             # deactivate/reactivate requests so far
    operations: list = field(default_factory=list)     # [operateId, type 0/1, userId, result], bounded
    dropped_operations: int = 0


# --- ids derived from the app, never random ------------------------------------------------------

def _digest(t: Tenant, *parts: Any) -> bytes:
    msg = "\x1f".join(map(str, parts)).encode()
    return hmac.digest(t.app_secret.encode(), msg, "sha256")    # one-shot: hmac.new(...).digest()


def nav_tag(t: Tenant) -> str:
    """Four lowercase letters/digits per app, like the ``sw4u`` in real token suffixes."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    raw = hashlib.sha1(t.app_key.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in raw[:4])


def make_token(t: Tenant, uid: str, seq: int) -> str:
    """The current token shape (reference users 1.2): 44 base64 characters ending in ``=``, ``@``,
    then the app's navigation suffix. Derived from the app, the user and the tenant's sequence."""
    body = base64.b64encode(_digest(t, "token", t.app_key, uid, seq)).decode()
    tag = nav_tag(t)
    return f"{body}@{tag}.cn.rongnav.com;{tag}.cn.rongcfg.com"


def dashed_id(t: Tenant, kind: str, n: int) -> str:
    """Four dash-separated groups of four uppercase letters and digits, derived from the app
    secret (the shape of operateIds such as ``C70B-B1D6-82E8-5SBO`` and of messageUIDs): the
    base32 text of the first 10 bytes of ``_digest(t, kind, n)`` (base32 turns each 5 bytes into
    8 letters on their own, so those give the whole digest's first 16). One per stored message,
    so computed from cached HMAC-SHA256 states (the key pads and ``kind`` hashed once per app
    secret) and a 10-bit base32 table: a third of the one-shot HMAC's cost (tests compare the two)."""
    states = _ID_STATES.get((t.app_secret, kind))
    if states is None:
        states = _id_states(t.app_secret, kind)
    inner, outer = states[0].copy(), states[1].copy()
    inner.update(str(n).encode())
    outer.update(inner.digest())
    v = int.from_bytes(outer.digest()[:10], "big")
    return (f"{_B32[v >> 70]}{_B32[v >> 60 & 1023]}-{_B32[v >> 50 & 1023]}{_B32[v >> 40 & 1023]}-"
            f"{_B32[v >> 30 & 1023]}{_B32[v >> 20 & 1023]}-{_B32[v >> 10 & 1023]}{_B32[v & 1023]}")


_B32 = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
_ID_STATES: dict[tuple[str, str], tuple] = {}     # (app secret, kind) -> (inner, outer) sha256 states


def _id_states(secret: str, kind: str) -> tuple:
    """HMAC (RFC 2104) split open, as _digest computes it: sha256 over key^ipad + kind + the
    separator, and over key^opad."""
    key = secret.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + kind.encode() + b"\x1f")
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    if len(_ID_STATES) >= 64:         # bounded: tests create many apps
        _ID_STATES.clear()
    _ID_STATES[secret, kind] = (inner, outer)
    return inner, outer


def make_operate_id(t: Tenant, seq: int) -> str:
    return dashed_id(t, "operate", seq)


# --- registration, tokens, push info ----------------------------------------------------------

def get_token(t: Tenant, uid: str, name: str, portrait: str | None, now: int) -> str:
    """Register (or re-register) a user and issue a new token; a new name/portrait overwrites."""
    us = t.users
    if uid not in us.users and t.settings.max_users and len(us.users) >= t.settings.max_users:
        raise RongCloudError(2007, f"The app already has {t.settings.max_users} registered users.")
    user = us.users.get(uid)
    if user is None:
        us.users[uid] = User(name, portrait or "", now)
    else:
        user.name = name
        if portrait is not None:
            user.portraitUri = portrait
    us.token_seq += 1
    token = make_token(t, uid, us.token_seq)
    t.presence.issue(token, uid, now)
    mark = us.expire_marks.get(uid)
    if mark is not None:
        if now < mark:   # an expire time still in the future covers this token too
            t.presence.revoke(uid, TOKEN_EXPIRED_REASON, now, issued_before=mark)
        else:
            del us.expire_marks[uid]
    return token


def expire_tokens(t: Tenant, uids: list[str], before: int, now: int) -> None:
    """Every token the users obtained before ``before`` stops working; open connections stay up
    (reference users 1.3), so presence does not change."""
    marks = t.users.expire_marks
    for uid in uids:
        t.presence.revoke(uid, TOKEN_EXPIRED_REASON, now, issued_before=before)
        if before > now:
            marks[uid] = max(before, marks.get(uid, 0))
        elif uid in marks and marks[uid] <= now:   # a mark the clock has passed covers nothing new
            del marks[uid]


def refresh(t: Tenant, uid: str, name: str | None, portrait: str | None, now: int) -> None:
    """Absent or empty fields stay as they are; an unregistered user gets a record (UNKNOWN)."""
    us = t.users
    user = us.users.get(uid)
    if user is None:
        if t.settings.max_users and len(us.users) >= t.settings.max_users:
            raise RongCloudError(2007, f"The app already has {t.settings.max_users} registered users.")
        us.users[uid] = User(name or "", portrait or "", now)
        return
    if name is not None:
        user.name = name
    if portrait is not None:
        user.portraitUri = portrait


def info(t: Tenant, uid: str) -> dict:
    user = t.users.users.get(uid)
    if user is None:   # UNKNOWN on the real service: empty fields, not an error
        return {"userName": "", "userPortrait": "", "createTime": ""}
    return {"userName": user.name, "userPortrait": user.portraitUri,
            "createTime": format_time(user.createTime)}


def check_online(t: Tenant, uid: str) -> dict:
    """``status`` is a string: "1" online, "0" offline (reference users 1.6)."""
    return {"status": "1" if t.presence.is_online(uid) else "0"}


# --- bans -------------------------------------------------------------------------------------

def block(t: Tenant, uids: list[str], minute: int, now: int) -> None:
    """The users are disconnected at once and cannot connect until the ban ends (reference 1.7);
    blocking again sets a new end time."""
    until = now + minute * 60_000
    for uid in uids:
        t.presence.suspend(uid, BLOCKED, until)
        t.presence.go_offline(uid, now, BLOCKED)


def unblock(t: Tenant, uids: list[str]) -> None:
    for uid in uids:
        t.presence.lift(uid, BLOCKED)


def block_query(t: Tenant, page_no: int, size: int, now: int) -> list[dict]:
    """Bans still in force (expiry is read from the clock), latest end time first; page 0 means
    the first 1000 without paging."""
    t.presence.prune_suspensions(now)
    rows = sorted(t.presence.suspensions(BLOCKED, now).items(), key=lambda kv: -kv[1])
    if page_no == 0:
        chosen = rows[:BLOCK_QUERY_UNPAGED]
    else:
        chosen = rows[(page_no - 1) * size:page_no * size]
    return [{"userId": uid, "blockEndTime": format_time(until)} for uid, until in chosen]


# --- deactivation ------------------------------------------------------------------------------

def _record(t: Tenant, operate_id: str, kind: int, uid: str, result: str) -> None:
    ops = t.users.operations
    ops.append([operate_id, kind, uid, result])
    if len(ops) > OPERATIONS_KEPT:
        del ops[0]
        t.users.dropped_operations += 1


def deactivate(t: Tenant, uids: list[str], now: int) -> str:
    """Applied at once (the real service takes up to 15 minutes). Deletes the push profile, the
    hosted profile and the user's blocklist and allowlist; keeps group memberships (reference users 1.8). Tokens
    are revoked and the user goes offline everywhere."""
    us = t.users
    us.operation_seq += 1
    operate_id = make_operate_id(t, us.operation_seq)
    for uid in uids:
        repeat = uid in us.deactivated
        us.deactivated.pop(uid, None)
        us.deactivated[uid] = now
        us.users.pop(uid, None)
        us.profiles.pop(uid, None)
        us.blacklists.pop(uid, None)
        us.whitelists.pop(uid, None)
        us.expire_marks.pop(uid, None)
        t.presence.revoke(uid, DEACTIVATED, now)
        t.presence.suspend(uid, DEACTIVATED)
        t.presence.go_offline(uid, now, DEACTIVATED)
        _record(t, operate_id, 0, uid, "repeated" if repeat else "0")
    return operate_id


def reactivate(t: Tenant, uids: list[str], now: int) -> str:
    """Repeats do not fail; a user deactivated less than an hour ago stays deactivated (the real
    service reports that through the deactivation callback, not the reply)."""
    us = t.users
    us.operation_seq += 1
    operate_id = make_operate_id(t, us.operation_seq)
    for uid in uids:
        since = us.deactivated.get(uid)
        if since is None:
            result = "not deactivated"
        elif now - since < REACTIVATE_AFTER_MS:
            result = "within 1 hour of deactivation"
        else:
            del us.deactivated[uid]
            t.presence.lift(uid, DEACTIVATED)
            result = "0"
        _record(t, operate_id, 1, uid, result)
    return operate_id


def deactivated_page(t: Tenant, page_no: int, size: int) -> list[str]:
    ids = list(t.users.deactivated)
    return ids[(page_no - 1) * size:page_no * size]


# --- blocklist and allowlist ---------------------------------------------------------------------

def _lists(t: Tenant, kind: str) -> tuple[dict, int]:
    if kind == "white":
        return t.users.whitelists, WHITELIST_TOTAL_MAX
    return t.users.blacklists, BLACKLIST_TOTAL_MAX


def list_add(t: Tenant, uid: str, others: list[str], now: int, kind: str = "black") -> None:
    table, cap = _lists(t, kind)
    current = table.get(uid, {})
    new = [o for o in others if o not in current]
    if len(current) + len(new) > cap:
        raise RongCloudError(1502, f"A {kind}list holds at most {cap} users.")
    if new:
        row = table.setdefault(uid, {})
        for o in new:
            row[o] = now


def list_remove(t: Tenant, uid: str, others: list[str], kind: str = "black") -> None:
    table, _ = _lists(t, kind)
    row = table.get(uid)
    if not row:
        return
    for o in others:
        row.pop(o, None)
    if not row:
        del table[uid]


def blacklist_query(t: Tenant, uid: str, page_token: str | None, size: int) -> dict:
    """Newest first; ``next`` only when more remain (reference users 1.9)."""
    try:
        offset = decode_page_token(page_token)
    except RongCloudError:
        raise RongCloudError(1002, "pageToken cannot be parsed.") from None
    ids = list(reversed(t.users.blacklists.get(uid, {})))
    chunk = ids[offset:offset + size]
    out: dict = {"users": chunk}
    if offset + size < len(ids):
        out["next"] = encode_page_token(offset + size)
    return out


def whitelist_query(t: Tenant, uid: str) -> list[str]:
    """The whole allowlist, in the order added ([PY3] shows the unpaged form)."""
    return list(t.users.whitelists.get(uid, {}))


# --- hosted profiles --------------------------------------------------------------------------

def _profile_error(code: int, text: str) -> RongCloudError:
    # The Go SDK reads `msg` on these APIs, the others `errorMessage`: answer both (UNKNOWN).
    return RongCloudError(code, text, msg=text)


def check_user_profile(t: Tenant, profile: dict) -> dict:
    limits = dict(PROFILE_STRING_LIMITS)
    if t.settings.strict_profile_limits:
        limits.update(PROFILE_STRICT_LIMITS)
    for key, value in profile.items():
        if key in limits:
            if not isinstance(value, str):
                raise _profile_error(1002, f"userProfile.{key} must be a string.")
            if len(value) > limits[key]:
                raise _profile_error(24364, f"userProfile.{key} is longer than {limits[key]}.")
        elif key in PROFILE_INT_RANGES:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise _profile_error(24367, f"userProfile.{key} must be a number.")
            try:
                n = int(value)
            except ValueError:
                raise _profile_error(24367, f"userProfile.{key} must be a number.") from None
            lo, hi = PROFILE_INT_RANGES[key]
            if not lo <= n <= hi:
                raise _profile_error(24368, f"userProfile.{key} must be between {lo} and {hi}.")
        else:
            raise _profile_error(24361, f"userProfile has an unknown key {key!r}.")
    return {k: (int(v) if k in PROFILE_INT_RANGES else v) for k, v in profile.items()}


def check_ext_profile(t: Tenant, ext: dict, current: dict) -> dict:
    allowed = t.settings.user_ext_keys
    for key, value in ext.items():
        if not (key.startswith("ext_") and key[4:].isalpha() and key.isascii()) \
                or len(key) > EXT_KEY_MAX or (allowed is not None and key not in allowed):
            raise _profile_error(24362, f"userExtProfile key {key!r} is not registered.")
        if not isinstance(value, str):
            raise _profile_error(1002, f"userExtProfile.{key} must be a string.")
        if len(value) > EXT_VALUE_MAX:
            raise _profile_error(24364, f"userExtProfile.{key} is longer than {EXT_VALUE_MAX}.")
    if len({**current, **ext}) > t.settings.max_user_ext_pairs:
        raise _profile_error(24363, f"More than {t.settings.max_user_ext_pairs} userExtProfile keys.")
    return dict(ext)


def require_hosting(t: Tenant) -> None:
    if not t.settings.user_profile_hosting:
        raise _profile_error(24369, "User profile hosting is not enabled for this app.")


def profile_set(t: Tenant, uid: str, profile: dict | None, ext: dict | None, now: int) -> None:
    """Keys given overwrite the stored ones, others stay; the version grows with every set."""
    require_hosting(t)
    if profile is None and ext is None:
        raise _profile_error(1002, "Give userProfile or userExtProfile.")
    old = t.users.profiles.get(uid)
    basic = check_user_profile(t, profile or {})
    extra = check_ext_profile(t, ext or {}, old.userExtProfile if old else {})
    if old is None:
        t.users.profiles[uid] = Profile(basic, extra, now, now)
    else:
        old.userProfile.update(basic)
        old.userExtProfile.update(extra)
        old.version = max(now, old.version + 1)


def profile_clean(t: Tenant, uids: list[str]) -> None:
    """Drop the users' hosted profiles; users without one are skipped."""
    require_hosting(t)
    for uid in uids:
        t.users.profiles.pop(uid, None)


def profile_batch(t: Tenant, uids: list[str]) -> list[tuple[str, Profile]]:
    """Known users in the order asked; unknown ones are left out (UNKNOWN on the real service)."""
    require_hosting(t)
    return [(u, t.users.profiles[u]) for u in uids if u in t.users.profiles]


def profile_page(t: Tenant, page_no: int, size: int, desc: bool) -> list[tuple[str, Profile]]:
    require_hosting(t)
    rows = list(t.users.profiles.items())
    if desc:
        rows.reverse()
    return rows[(page_no - 1) * size:page_no * size]


# --- JSON, seeds, invariants ----------------------------------------------------------------------

def users_to_json(us: UserState) -> dict:
    return {
        "users": {u: [x.name, x.portraitUri, x.createTime] for u, x in us.users.items()},
        "profiles": {u: [p.userProfile, p.userExtProfile, p.version, p.created]
                     for u, p in us.profiles.items()},
        "deactivated": dict(us.deactivated),
        "blacklists": {u: dict(row) for u, row in us.blacklists.items()},
        "whitelists": {u: dict(row) for u, row in us.whitelists.items()},
        "expire_marks": dict(us.expire_marks),
        "token_seq": us.token_seq, "operation_seq": us.operation_seq,
        "operations": [list(o) for o in us.operations], "dropped_operations": us.dropped_operations,
    }


def users_from_json(d: dict | None) -> UserState:
    d = d or {}
    us = UserState()
    us.users = {u: User(x[0], x[1], int(x[2])) for u, x in (d.get("users") or {}).items()}
    us.profiles = {u: Profile(dict(p[0]), dict(p[1]), int(p[2]), int(p[3]))
                   for u, p in (d.get("profiles") or {}).items()}
    us.deactivated = {u: int(x) for u, x in (d.get("deactivated") or {}).items()}
    us.blacklists = {u: {o: int(x) for o, x in row.items()} for u, row in (d.get("blacklists") or {}).items()}
    us.whitelists = {u: {o: int(x) for o, x in row.items()} for u, row in (d.get("whitelists") or {}).items()}
    us.expire_marks = {u: int(x) for u, x in (d.get("expire_marks") or {}).items()}
    us.token_seq = int(d.get("token_seq", 0))
    us.operation_seq = int(d.get("operation_seq", 0))
    us.operations = [list(o) for o in d.get("operations") or []]
    us.dropped_operations = int(d.get("dropped_operations", 0))
    return us


def seed_user(t: Tenant, spec: dict, now: int) -> None:
    """A scenario user: push name/portrait and, optionally, a hosted profile (checked like
    /user/profile/set.json; a RongCloudError becomes the caller's SeedError)."""
    uid = spec["userId"]
    t.users.users[uid] = User(spec.get("name") or "", spec.get("portraitUri") or "", now)
    profile, ext = spec.get("userProfile"), spec.get("userExtProfile")
    if profile or ext:
        profile_set(t, uid, profile or {}, ext or {}, now)


def check_users(t: Tenant) -> list[str]:
    us, p = t.users, t.presence
    problems: list[str] = []
    if t.settings.max_users and len(us.users) > t.settings.max_users:
        problems.append(f"users: {len(us.users)} registered over max_users {t.settings.max_users}")
    deactivated_marks = {u for u, rows in p.suspended_users.items() if DEACTIVATED in rows}
    if deactivated_marks != set(us.deactivated):
        problems.append(f"users: deactivated {sorted(us.deactivated)} but suspended {sorted(deactivated_marks)}")
    for uid in us.deactivated:
        if p.is_online(uid):
            problems.append(f"users: deactivated user {uid} is online")
    for name, table, cap in (("blocklist", us.blacklists, BLACKLIST_TOTAL_MAX),
                             ("allowlist", us.whitelists, WHITELIST_TOTAL_MAX)):
        for uid, row in table.items():
            if not row:
                problems.append(f"users: empty {name} row for {uid}")
            if len(row) > cap:
                problems.append(f"users: {name} of {uid} holds {len(row)} > {cap}")
    for uid, prof in us.profiles.items():
        if len(prof.userExtProfile) > t.settings.max_user_ext_pairs:
            problems.append(f"users: {uid} has {len(prof.userExtProfile)} ext keys")
    if len(us.operations) > OPERATIONS_KEPT:
        problems.append(f"users: {len(us.operations)} operations over the cap {OPERATIONS_KEPT}")
    return problems
