"""OpenIM get_user_token (issue 17): superseded tokens that can never be valid again are dropped,
expired ones are swept, and a call costs the same however large the store has grown."""

from __future__ import annotations

import time

from emulator.app import RUNTIME
from emulator.providers.openim import auth
from tests.openim_support import get_user_token, openim_call, openim_tenant


async def code_of(client, token):
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=token)
    return body["errCode"]


async def test_relogins_keep_the_store_bounded_and_the_last_kicked_token_still_says_1506(
        client, openim_admin_token):
    tenant = openim_tenant(client.app[RUNTIME])
    clock = client.app[RUNTIME].clock
    first = await get_user_token(client, openim_admin_token, "bob", 1)
    clock.advance(2)   # tokens are deterministic: a later second makes a different one
    second = await get_user_token(client, openim_admin_token, "bob", 1)
    assert await code_of(client, first) == 1506          # as documented: re-login kicks
    tokens = [second]
    for _ in range(50):
        clock.advance(2)
        tokens.append(await get_user_token(client, openim_admin_token, "bob", 1))
    bobs = [tok for tok, row in tenant.tokens.items() if row[0] == "bob"]
    assert sorted(bobs) == sorted(tokens[-2:])           # the newest and the one it kicked
    assert await code_of(client, tokens[-1]) == 0
    assert await code_of(client, tokens[-2]) == 1506
    assert await code_of(client, first) == 1507          # dropped: it could never be valid again
    # another platform: each keeps its newest, older generations go
    for _ in range(5):
        await get_user_token(client, openim_admin_token, "bob", 2)
    assert sum(1 for row in tenant.tokens.values() if row[0] == "bob") <= 4
    assert (await client.get("/_emulator/state/check")).status == 200


async def test_force_logout_then_login_drops_the_logged_out_tokens(client, openim_admin_token):
    tenant = openim_tenant(client.app[RUNTIME])
    tok = await get_user_token(client, openim_admin_token, "bob", 3)
    _, body = await openim_call(client, "/auth/force_logout", {"userID": "bob", "platformID": 3},
                                token=openim_admin_token)
    assert body["errCode"] == 0 and await code_of(client, tok) == 1506
    await get_user_token(client, openim_admin_token, "bob", 3)
    assert tok not in tenant.tokens


def _tenant(runtime):
    return openim_tenant(runtime)


def test_expired_tokens_are_swept_as_the_store_grows(runtime):
    t = _tenant(runtime)
    now = 1_700_000_000.0
    for i in range(3000):
        auth.issue(t, f"u{i}", 1, now)
    assert len(t.tokens) >= 3000
    later = now + 91 * 86400                              # every one of them has expired
    for i in range(3000):
        auth.issue(t, f"v{i}", 1, later)
    assert len(t.tokens) <= 3000 + auth.PURGE_FLOOR
    assert all(row[3] > later for row in t.tokens.values() if row[0].startswith("v"))
    assert not [u for u in t.user_tokens if u.startswith("u") and t.user_tokens[u]]


def test_per_call_cost_is_flat_in_the_store_size(runtime):
    t = _tenant(runtime)
    now = 1_700_000_000.0

    def per_call() -> float:
        t0 = time.perf_counter()
        for k in range(300):
            auth.issue(t, "bob", 1 + k % 3, now)
        return (time.perf_counter() - t0) / 300

    small = per_call()
    for i in range(40_000):                               # 40,000 other users' live tokens
        auth.issue(t, f"u{i}", 1, now)
    large = per_call()
    assert large < 2 * small + 50e-6, (small, large)
