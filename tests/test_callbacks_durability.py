"""Callbacks with --data-dir: before-hook outcomes are in the log, so a restart replays the same
decisions (a refusal, an override, a pass) without calling anyone, even though the live callback
configuration is not durable; the replay sends no after-callbacks."""

from __future__ import annotations

from emulator.app import RUNTIME, create_app
from emulator.settings import Settings
from tests.callback_support import configure
from tests.openim_support import get_admin_token, openim_call
from tests.tencent_support import SDKAPPID, tencent_call


async def test_replay_takes_the_logged_before_hook_decisions(aiohttp_client, tmp_path, receiver):
    settings = Settings(port=0, data_dir=tmp_path / "data")
    client = await aiohttp_client(create_app(settings))
    rt = client.app[RUNTIME]
    await configure(client, "tencent", SDKAPPID, receiver.url,
                    commands=["Group.CallbackBeforeCreateGroup", "Group.CallbackAfterCreateGroup"])
    await configure(client, "openim", "default", receiver.url,
                    hooks={"beforeCreateGroup": {"enable": True}, "beforeMemberJoinGroup": {"enable": True}})
    receiver.refuse("Group.CallbackBeforeCreateGroup", 1)
    assert (await tencent_call(client, "create_group", {"Type": "Public", "Name": "no", "GroupId": "refused"}))[
        "ErrorCode"] == 10016
    receiver.reply("Group.CallbackBeforeCreateGroup", None)
    assert (await tencent_call(client, "create_group", {"Type": "Public", "Name": "yes", "GroupId": "kept"}))[
        "ErrorCode"] == 0
    token = await get_admin_token(client)
    receiver.override("callbackBeforeCreateGroupCommand", groupID="chosen", groupName="renamed")
    receiver.override("callbackBeforeMembersJoinGroupCommand", memberCallbackList=[{"userID": "bob", "nickname": "B"}])
    _, body = await openim_call(client, "/group/create_group", {
        "ownerUserID": "leckie", "memberUserIDs": ["bob"], "groupInfo": {"groupType": 2, "groupName": "asked"}},
        token=token)
    assert body["errCode"] == 0 and body["data"]["groupInfo"]["groupID"] == "chosen"
    expected = rt.dump_state()
    sent = len(receiver.received)

    rt.store.close_quietly()            # what a kill -9 leaves: the log only
    again = create_app(settings)[RUNTIME]
    assert again.store.diverged == 0
    assert again.dump_state() == expected
    assert again.callbacks.configs == {}            # live configuration is not durable ...
    assert len(receiver.received) == sent           # ... and the replay called nobody
    assert again.callbacks.list() == []
