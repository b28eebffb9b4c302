"""A tenant the state drops (reset, load, scenario) frees its message store by reference counting
alone: core/gctune.py freezes long-lived state out of the collector's walks, so a reference
cycle left in a dropped store would never be reclaimed (a leak per reset in a long CI run)."""

from __future__ import annotations

import gc

from emulator.core.messages import Conversation, MessageStore


def live_conversations() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Conversation)


def test_release_breaks_the_cycles():
    store = MessageStore(1000)
    conv = store.conversation("g", "group")
    for i in range(50):
        store.append(conv, "u", {"n": i}, 1.0, ids=(i,))
    gc.collect()
    gc.disable()
    try:
        before = live_conversations()
        del conv
        store.release()
        assert store.find("nothing") is None and all(m.conv is None for m in store.order)
        del store
        assert live_conversations() == before - 1      # freed without a collection
    finally:
        gc.enable()


def test_without_release_the_cycle_outlives_the_store():
    # what release() is for: the same store dropped as it is stays until the collector runs
    store = MessageStore(1000)
    conv = store.conversation("g", "group")
    store.append(conv, "u", {"n": 1}, 1.0, ids=(1,))
    gc.collect()
    gc.disable()
    try:
        before = live_conversations()
        del conv, store
        assert live_conversations() == before
    finally:
        gc.enable()
        gc.collect()


async def test_reset_frees_every_tenants_store(client, tim):
    # a group with messages, then a reset: the old tenant's conversations go without the collector
    res = await tim("create_group", {"Type": "Public", "Name": "g", "Owner_Account": "leckie"})
    for i in range(20):
        sent = await tim("send_group_msg", {"GroupId": res["GroupId"], "Random": i,
                                            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": str(i)}}]})
        assert sent["ErrorCode"] == 0, sent
    gc.collect()
    gc.disable()
    try:
        before = live_conversations()
        assert before >= 1
        resp = await client.post("/_emulator/reset")
        assert resp.status == 200
        assert live_conversations() < before
    finally:
        gc.enable()


async def test_a_refused_load_keeps_the_stores_it_would_have_replaced(client, tim):
    # a dump whose later provider part is bad is undone whole: the earlier provider's tenants come
    # back with their messages (they must not have been released)
    res = await tim("create_group", {"Type": "Public", "Name": "g", "Owner_Account": "leckie"})
    sent = await tim("send_group_msg", {"GroupId": res["GroupId"], "Random": 1,
                                        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]})
    assert sent["ErrorCode"] == 0
    dump = await (await client.get("/_emulator/state")).json()
    bad = {**dump, "tencent": dump["tencent"], "rongcloud": {"broken": {"nonsense": True}}}
    resp = await client.put("/_emulator/state", json=bad)
    assert resp.status == 400
    simple = await tim("group_msg_get_simple", {"GroupId": res["GroupId"], "ReqMsgNumber": 5})
    assert simple["ErrorCode"] == 0 and len(simple["RspMsgList"]) == 1, simple
    # a load that stands releases the stores it replaced
    gc.collect()
    gc.disable()
    try:
        before = live_conversations()
        assert (await client.put("/_emulator/state", json={"tencent": dump["tencent"]})).status == 200
        assert live_conversations() <= before
        simple = await tim("group_msg_get_simple", {"GroupId": res["GroupId"], "ReqMsgNumber": 5})
        assert len(simple["RspMsgList"]) == 1
    finally:
        gc.enable()
