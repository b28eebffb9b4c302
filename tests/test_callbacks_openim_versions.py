"""OpenIM webhooks in both version profiles (fixtures/openim-versions.yaml): the same hooks fire
in v3.8.3 and v3.8.3-patch.16 (the webhook code is identical at both tags, reference §4); with
``quirk_join_max_seq_invalid`` a direct join answers 1001 after adding the member, so
afterJoinGroup is not reached (§0.4, §4.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.settings import Settings
from tests.callback_support import configure, settle
from tests.openim_support import get_admin_token, openim_call

P16, V383 = "v3.8.3-patch.16", "v3.8.3"
SECRETS = {P16: "openIM123", V383: "openIM383"}
SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "openim-versions.yaml"


@pytest.fixture
def settings():
    return Settings(port=0, providers=("openim",), scenario=SCENARIO)


@pytest.mark.parametrize("quirk", [False, True])
@pytest.mark.parametrize("version", [P16, V383])
async def test_group_hooks_in_both_profiles(client, runtime, receiver, version, quirk):
    tenants = runtime.providers["openim"].backend.tenants
    tid = next(k for k, t in tenants.items() if t.secret == SECRETS[version])
    tenants[tid].settings["quirk_join_max_seq_invalid"] = quirk
    await configure(client, "openim", tid, receiver.url, hooks={k: {"enable": True} for k in (
        "beforeCreateGroup", "beforeMemberJoinGroup", "afterCreateGroup", "beforeApplyJoinGroup",
        "afterJoinGroup", "afterQuitGroup")})
    token = await get_admin_token(client, secret=SECRETS[version])
    _, body = await openim_call(client, "/group/create_group", {
        "ownerUserID": "leckie", "memberUserIDs": ["bob"],
        "groupInfo": {"groupType": 2, "groupName": "g", "needVerification": 2}}, token=token)
    assert body["errCode"] == 0, body
    gid = body["data"]["groupInfo"]["groupID"]
    await settle(client, 1, command="callbackAfterCreateGroupCommand")   # after hooks go after the reply
    _, body = await openim_call(client, "/group/join_group", {
        "groupID": gid, "inviterUserID": "jared", "joinSource": 3, "reqMessage": "hi"}, token=token)
    assert body["errCode"] == (1001 if quirk else 0), body
    assert "jared" in tenants[tid].groups[gid].members        # joined either way
    _, body = await openim_call(client, "/group/quit_group", {"groupID": gid, "userID": "bob"}, token=token)
    assert body["errCode"] == 0
    await settle(client, 1, command="callbackAfterQuitGroupCommand")
    expected = ["callbackBeforeCreateGroupCommand", "callbackBeforeMembersJoinGroupCommand",
                "callbackAfterCreateGroupCommand", "callbackBeforeJoinGroupCommand",
                "callbackBeforeMembersJoinGroupCommand"]
    expected += [] if quirk else ["callbackAfterJoinGroupCommand"]
    assert receiver.commands() == expected + ["callbackAfterQuitGroupCommand"]
