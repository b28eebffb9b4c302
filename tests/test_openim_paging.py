"""OpenIM member and joined-group pages read from cached owner/admin lists (models_common.member_page,
models_groups.get_joined_group_list) must equal ordering everything, whatever the roles do."""

from __future__ import annotations

import random

from emulator.providers.openim.models import ADMIN, ORDINARY, OWNER, Group, Member, Tenant, User
from emulator.providers.openim.models_common import member_page, ordered_members
from emulator.providers.openim.models_groups import get_joined_group_list
from emulator.providers.openim.models_users import paginate

ROLES = [OWNER, ADMIN, ORDINARY, ORDINARY, ORDINARY, 7]


def _reference_joined(t: Tenant, uid: str) -> list:
    rank = {OWNER: 0, ADMIN: 1}
    return sorted(t.user_groups.get(uid, {}), key=lambda gid: rank.get(t.groups[gid].members[uid].roleLevel, 2))


def _check(t: Tenant, rnd: random.Random) -> None:
    for g in t.groups.values():
        rows = ordered_members(g)
        for pn, show in ((1, 3), (2, 3), (1, 100), (rnd.randint(1, 9), rnd.randint(-1, 5))):
            pag = {"pageNumber": pn, "showNumber": show}
            assert member_page(t, g, pag) == (len(rows), paginate(rows, pag))
    for uid in t.users:
        ref = _reference_joined(t, uid)
        for pn, show in ((1, 2), (2, 2), (1, 50), (rnd.randint(1, 5), rnd.randint(-1, 4))):
            pag = {"pageNumber": pn, "showNumber": show}
            got = get_joined_group_list(t, "imAdmin", {"fromUserID": uid, "pagination": pag}, 0)
            assert got["total"] == len(ref)
            assert [x["groupID"] for x in got["groups"]] == paginate(ref, pag)


def test_pages_match_full_ordering_under_random_changes():
    rnd = random.Random(7)
    t = Tenant(secret="s", admins=["imAdmin"], settings={})
    users = [f"u{i}" for i in range(12)]
    for u in users + ["imAdmin"]:
        t.users[u] = User(u)
    for gi in range(4):
        g = t.groups[f"g{gi}"] = Group(f"g{gi}")
        t.add_member(g, users[gi], Member(OWNER, 0))
    for _ in range(400):
        g = t.groups[f"g{rnd.randrange(4)}"]
        uid = rnd.choice(users)
        op = rnd.random()
        if uid not in g.members:
            t.add_member(g, uid, Member(rnd.choice(ROLES[1:]) if op < 0.3 else ORDINARY, 0))
        elif op < 0.4 and g.members[uid].roleLevel != OWNER:
            t.remove_member(g, uid)
        elif op < 0.5 and g.owner != uid:   # transfer, as models_groups does it
            old = g.owner
            if old in g.members:
                g.members[old].roleLevel = g.members[uid].roleLevel
                t.role_changed(g, old)
            g.members[uid].roleLevel, g.owner = OWNER, uid
            t.role_changed(g, uid)
        else:                               # set_group_member_info roleLevel, any value
            g.members[uid].roleLevel = rnd.choice(ROLES)
            t.role_changed(g, uid)
        _check(t, rnd)
