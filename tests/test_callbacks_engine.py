"""The delivery engine (core/callbacks.py) through the real HTTP stack: faults on deliveries,
order under a slow receiver, bounded queues and record, scenario validation, the control plane."""

from __future__ import annotations

import asyncio

import pytest

from emulator.core import callbacks as engine_mod
from emulator.core.errors import ScenarioError
from tests.callback_support import configure, deliveries, settle
from tests.tencent_support import SDKAPPID

AFTER = "Group.CallbackAfterCreateGroup"


async def make_groups(tim, n: int, start: int = 0) -> list[str]:
    out = []
    for i in range(start, start + n):
        res = await tim("create_group", {"Type": "Public", "Name": f"g{i}", "GroupId": f"grp{i}"})
        assert res["ErrorCode"] == 0, res
        out.append(res["GroupId"])
    return out


async def fault(client, **spec) -> dict:
    resp = await client.post("/_emulator/faults", json=spec)
    body = await resp.json()
    assert resp.status == 201, body
    return body


async def test_slow_receiver_keeps_order_and_does_not_slow_requests(client, tim, receiver):
    await configure(client, "tencent", SDKAPPID, receiver.url, commands=[AFTER])
    receiver.reply(AFTER, delay=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    gids = await make_groups(tim, 10)
    assert loop.time() - started < 0.5          # ten replies did not wait for ten 50 ms deliveries
    rows = await settle(client, 10, command=AFTER)
    assert [r["body"]["GroupId"] for r in rows] == gids
    assert [r["body"]["GroupId"] for r in receiver.received] == gids


async def test_fault_drop_delay_down_and_http_status(client, tim, receiver):
    """Tencent retries an after-callback only after a timeout (§13.4), when ``retries`` is set."""
    await configure(client, "tencent", SDKAPPID, receiver.url, commands=[AFTER], retries=1, timeout_ms=150)
    await fault(client, provider="tencent", callback=AFTER, drop=True)
    await fault(client, provider="tencent", callback=AFTER, after=1, down=True)
    await make_groups(tim, 2)
    rows = await settle(client, 2, command=AFTER)
    assert [(r["body"]["GroupId"], r["outcome"]) for r in rows] == [("grp0", "dropped"), ("grp1", "failed")]
    assert "connection refused" in rows[1]["error"] and receiver.received == []
    await fault(client, provider="tencent", callback=AFTER, delay_ms=400)     # longer than the timeout
    await fault(client, provider="tencent", callback=AFTER, after=2, http_status=500)
    await make_groups(tim, 2, start=2)
    rows = await settle(client, 5, command=AFTER)
    assert [(r["body"]["GroupId"], r["attempt"], r["outcome"]) for r in rows[2:]] == [
        ("grp2", 1, "retried"), ("grp2", 2, "delivered"), ("grp3", 1, "failed")]
    assert rows[2]["error"].startswith("no reply within") and rows[4]["reply_status"] == 500


async def test_delay_fault_delays_delivery(client, tim, receiver):
    await configure(client, "tencent", SDKAPPID, receiver.url, commands=[AFTER])
    await fault(client, provider="tencent", callback=AFTER, delay_ms=150)
    await make_groups(tim, 1)
    row = (await settle(client, 1, command=AFTER))[0]
    assert row["outcome"] == "delivered" and row["latency_ms"] >= 150


async def test_before_hook_under_fault_down_passes_for_tencent(client, tim, receiver):
    await configure(client, "tencent", SDKAPPID, receiver.url, commands=["Group.CallbackBeforeCreateGroup"])
    await fault(client, provider="tencent", callback="Group.CallbackBeforeCreateGroup", down=True)
    assert (await make_groups(tim, 1)) == ["grp0"]          # Tencent: a failed before-callback passes
    assert [r["outcome"] for r in await deliveries(client)] == ["failed"]


async def test_queue_overflow_counted(client, tim, receiver):
    await configure(client, "tencent", SDKAPPID, receiver.url, commands=[AFTER], queue_size=2)
    receiver.reply(AFTER, delay=0.2)
    await make_groups(tim, 5)
    resp = await client.get("/_emulator/callbacks")
    body = await resp.json()
    # the bound counts every undelivered after-hook, the one being sent included
    assert body["overflow"] == {f"tencent/{SDKAPPID}": 3}
    assert [r["outcome"] for r in body["deliveries"] if r["outcome"] is not None] == ["dropped: queue full"] * 3
    rows = await settle(client, 5, command=AFTER)
    assert sorted(r["outcome"] for r in rows) == ["delivered"] * 2 + ["dropped: queue full"] * 3


async def test_record_cap_and_filters_and_clear(client, tim, monkeypatch, runtime):
    monkeypatch.setattr(runtime.callbacks, "records", __import__("collections").deque(maxlen=3))
    await configure(client, "tencent", SDKAPPID, None)
    await make_groups(tim, 3)           # 6 records (before + after) into a record of 3
    for _ in range(500):                # the after-callbacks are recorded when their turn comes
        body = await (await client.get("/_emulator/callbacks")).json()
        if body["records_dropped"] == 3:
            break
        await asyncio.sleep(0.01)
    assert body["count"] == 3 and body["records_dropped"] == 3
    assert all(r["outcome"] == "not sent: no url" for r in body["deliveries"])
    last = body["deliveries"][-1]["id"]
    assert await deliveries(client, since=last) == []
    kinds = [r["kind"] for r in body["deliveries"]]
    assert 0 < kinds.count("after") and len(await deliveries(client, kind="after")) == kinds.count("after")
    assert len(await deliveries(client, limit=1)) == 1
    resp = await client.get("/_emulator/callbacks", params={"kind": "sideways"})
    assert resp.status == 400
    assert (await (await client.delete("/_emulator/callbacks")).json())["count"] == 3
    assert await deliveries(client) == []


async def test_config_validation_live_and_in_scenario(client, runtime):
    resp = await client.put("/_emulator/callbacks/config", json={
        "provider": "tencent", "tenant": "1", "url": "ftp://x", "commands": ["Group.Nope"]})
    body = await resp.json()
    assert resp.status == 400
    assert {d["path"] for d in body["details"]} == {"url"}
    resp = await client.put("/_emulator/callbacks/config", json={
        "provider": "tencent", "tenant": "1", "commands": ["Group.Nope"]})
    assert resp.status == 400 and "Group.Nope" in str(await resp.json())
    await configure(client, "openim", "default", "http://127.0.0.1:9/x", hooks={"afterQuitGroup": {"enable": True}})
    cfg = (await (await client.get("/_emulator/callbacks/config")).json())["configs"]
    assert cfg[0]["hooks"]["afterQuitGroup"]["timeout"] == 5
    assert (await client.delete("/_emulator/callbacks/config/openim/default")).status == 200
    assert (await client.delete("/_emulator/callbacks/config/openim/default")).status == 404
    with pytest.raises(ScenarioError) as err:
        runtime.apply_scenario({"callbacks": [{"provider": "rongcloud", "tenant": "k", "urls": {"nope": "http://x"}},
                                              {"provider": "nobody", "tenant": "k"}]}, "test")
    paths = {p for p, _ in err.value.errors}
    assert paths == {"callbacks[0].urls.nope.key", "callbacks[1].provider"}


async def test_scenario_configures_and_replay_suspends(client, tim, runtime, receiver):
    runtime.apply_scenario({"callbacks": [{"provider": "tencent", "tenant": str(SDKAPPID),
                                           "url": receiver.url, "commands": [AFTER]}]}, "test", merge=True)
    runtime.callbacks.suspended = True        # what a durable-log replay does: nothing is sent
    await make_groups(tim, 1)
    runtime.callbacks.suspended = False
    await make_groups(tim, 1, start=1)
    rows = await settle(client, 1, command=AFTER)
    assert [r["body"]["GroupId"] for r in rows] == ["grp1"] and len(receiver.received) == 1


def test_fault_schema_rules():
    from emulator.core.faults import FaultSchema
    from marshmallow import ValidationError
    for bad in [{"provider": "tencent", "callback": "X", "error": 1},
                {"provider": "tencent", "callback": "X"},
                {"provider": "tencent", "api": "a", "callback": "X", "drop": True},
                {"provider": "tencent", "api": "a", "drop": True}]:
        with pytest.raises(ValidationError):
            FaultSchema().load(bad)
    assert engine_mod.RECORD_CAP == 5000


async def test_settle_offline_replays_recorded_decisions(client, tim, runtime, receiver):
    """What a replay does with a handler that asks a before-hook: the recorded refusal refuses
    again without calling anyone; without a record nothing happens; a recorded accept applies."""
    from emulator.core.callbacks import settle_offline
    from emulator.providers.tencent.errors import TencentError
    from emulator.providers.tencent.handlers_groups import h_create_group
    await configure(client, "tencent", SDKAPPID, receiver.url, commands=["Group.CallbackBeforeCreateGroup"])
    receiver.refuse("Group.CallbackBeforeCreateGroup", 1)
    res = await tim("create_group", {"Type": "Public", "Name": "x", "GroupId": "replayed"})
    assert res["ErrorCode"] == 10016
    recorded = [{"status": "delivered", "http_status": 200,
                 "reply": {"ActionStatus": "FAIL", "ErrorCode": 1, "ErrorInfo": "no"}}]

    class FakeCall:
        provider = runtime.providers["tencent"]
        tenant_id = str(SDKAPPID)
        tenant = provider.backend.tenants[str(SDKAPPID)]
        caller, now, extra = "administrator", 1.7e9, {}
        data = {"Type": "Public", "Name": "x", "GroupId": "replayed"}
    with pytest.raises(TencentError) as err:
        settle_offline(h_create_group(FakeCall()), recorded)
    assert err.value.code == 10016 and "replayed" not in FakeCall.tenant.groups
    # no recorded outcome: the chain stays pending and nothing changes
    assert type(settle_offline(h_create_group(FakeCall()), None)).__name__ == "Pending"
    assert "replayed" not in FakeCall.tenant.groups
    accepted = [{"status": "delivered", "http_status": 200, "reply": {"ActionStatus": "OK", "ErrorCode": 0}}]
    assert settle_offline(h_create_group(FakeCall()), accepted) == {"GroupId": "replayed"}
    assert len(receiver.received) == 1        # the replays called nobody


async def test_callback_fault_names_a_known_command(client):
    resp = await client.post("/_emulator/faults", json={"provider": "tencent", "callback": "Group.Nope", "drop": True})
    body = await resp.json()
    assert resp.status == 400 and "unknown tencent callback command" in str(body)
