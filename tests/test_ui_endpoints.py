"""The inspector's JSON endpoints (control/inspector.py) and static files, over real HTTP:
paging, the journal's since/error filters and entry detail, secrets kept out, a 6,000-member
group and 10,000 journal entries answered in pages, the admin token."""

from __future__ import annotations

import time

import pytest

from emulator.app import RUNTIME, create_app
from emulator.settings import Settings, fixtures_dir
from tests.openim_support import create_group as openim_create_group
from tests.tencent_support import KEY, tencent_query

SDK = "1400000000"


async def tim(client, command: str, body: dict):
    resp = await client.post(f"/v4/group_open_http_svc/{command}", params=tencent_query(), json=body)
    return await resp.json()


async def get(client, path: str, **query):
    resp = await client.get(f"/_emulator/{path}", params=query)
    return resp.status, await resp.json()


async def test_tenants_with_settings_and_no_secrets(client):
    status, body = await get(client, "tenants")
    assert status == 200
    by = {p: {t["tenant"]: t for t in ts} for p, ts in body["providers"].items()}
    assert set(by) == {"tencent", "openim", "rongcloud"}
    assert by["tencent"][SDK]["settings"]["rate_limit"] == 200
    assert by["tencent"][SDK]["counts"] == {"users": 5, "tokens": 0, "online": 0, "groups": 0, "conversations": 0}
    assert by["rongcloud"]["uwd1c0sxdlx2"]["presence"] is True
    assert "iOS" in by["rongcloud"]["uwd1c0sxdlx2"]["platforms"]
    assert by["openim"]["default"]["settings"]["version"] == "v3.8.3-patch.16"
    assert by["rongcloud"]["uwd1c0sxdlx2"]["settings"]["max_members"] == 3000
    raw = await (await client.get("/_emulator/tenants")).text()
    for secret in (KEY, "openIM123", "Y1W2MeFwwwRxa0"):
        assert secret not in raw


async def test_groups_and_members_paged(client, openim_admin_token):
    gids = [(await tim(client, "create_group", {"Owner_Account": "leckie", "Type": "Public", "Name": f"g{i}",
                                                "MemberList": [{"Member_Account": "bob"}]}))["GroupId"] for i in range(3)]
    status, page = await get(client, "groups", provider="tencent", tenant=SDK, offset=1, limit=1)
    assert status == 200 and page["total"] == 3 and page["key"] == "GroupId"
    assert [r["GroupId"] for r in page["rows"]] == gids[1:2]
    assert page["rows"][0]["MemberNum"] == 2 and page["rows"][0]["Owner_Account"] == "leckie"
    await tim(client, "forbid_send_msg", {"GroupId": gids[0], "Members_Account": ["bob"], "MuteTime": 600})
    _, members = await get(client, "members", provider="tencent", tenant=SDK, group=gids[0])
    rows = {r["Member_Account"]: r for r in members["rows"]}
    assert rows["leckie"]["Role"] == "Owner" and rows["bob"]["Role"] == "Member"
    assert rows["bob"]["MutedUntil"] > time.time() and rows["leckie"]["MutedUntil"] == 0
    # OpenIM: roles by roleLevel, the owner column
    gid = await openim_create_group(client, openim_admin_token)
    _, og = await get(client, "groups", provider="openim", tenant="default")
    assert og["rows"][0]["groupID"] == gid and og["rows"][0]["ownerUserID"] == "leckie"
    assert og["rows"][0]["memberCount"] == 3
    _, om = await get(client, "members", provider="openim", tenant="default", group=gid)
    assert {r["userID"]: r["roleLevel"] for r in om["rows"]} == {"leckie": 100, "bob": 20, "tommy": 60}


@pytest.mark.parametrize("query, status", [
    ({"provider": "nope", "tenant": "x"}, 400),
    ({"provider": "tencent", "tenant": "999"}, 404),
    ({"provider": "tencent"}, 400),
    ({"provider": "tencent", "tenant": SDK, "limit": "0"}, 400),
    ({"provider": "tencent", "tenant": SDK, "limit": "501"}, 400),
    ({"provider": "tencent", "tenant": SDK, "offset": "-1"}, 400),
])
async def test_bad_page_queries(client, query, status):
    assert (await get(client, "groups", **query))[0] == status


async def test_members_need_an_existing_group(client):
    assert (await get(client, "members", provider="tencent", tenant=SDK))[0] == 400
    assert (await get(client, "members", provider="tencent", tenant=SDK, group="@TGS#nope"))[0] == 404


async def test_six_thousand_member_group_is_paged(client):
    rt = client.app[RUNTIME]
    gid = (await tim(client, "create_group", {"Owner_Account": "leckie", "Type": "ChatRoom", "Name": "big"}))["GroupId"]
    dump = (await (await client.get("/_emulator/state", params={"provider": "tencent"})).json())
    app = dump["tencent"][SDK]
    names = [f"u{i:04d}" for i in range(5999)]
    app["accounts"] += [{"UserID": n, "Nick": "", "FaceUrl": ""} for n in names]
    group = app["groups"][0]
    template = dict(group["MemberList"][0], Role="Member")
    group["MemberList"] += [dict(template, Member_Account=n) for n in names]
    assert (await client.put("/_emulator/state", params={"provider": "tencent"}, json=dump)).status == 200
    assert len(rt.providers["tencent"].backend.tenants[SDK].groups[gid].members) == 6000
    t0 = time.perf_counter()
    status, page = await get(client, "members", provider="tencent", tenant=SDK, group=gid, offset=5950, limit=100)
    took = time.perf_counter() - t0
    assert status == 200 and page["total"] == 6000 and len(page["rows"]) == 50
    assert page["rows"][-1]["Member_Account"] == "u5998"
    assert took < 1.0, took
    _, groups = await get(client, "groups", provider="tencent", tenant=SDK)
    assert groups["rows"][0]["MemberNum"] == 6000


async def test_journal_rows_since_error_and_detail(client):
    ok = await tim(client, "create_group", {"Owner_Account": "leckie", "Type": "Public", "Name": "a"})
    bad = await tim(client, "create_group", {"Owner_Account": "ghost", "Type": "Public", "Name": "b"})
    assert ok["ErrorCode"] == 0 and bad["ErrorCode"] == 10004
    await client.post("/no/such/module", json={})                     # claimed by nobody: JSON 404
    nf_reply = await (await client.post("/v4/group_open_http_svc/not_a_command", params=tencent_query(), json={})).json()
    assert nf_reply["ErrorCode"] != 0
    _, all_rows = await get(client, "journal/rows")
    rows = all_rows["rows"]
    assert [r["api"] for r in rows] == ["group_open_http_svc/create_group"] * 2 + ["not_found"]
    assert [r["error"] for r in rows] == [False, True, True]
    assert rows[1]["code"] == 10004 and rows[2]["code"] == nf_reply["ErrorCode"]
    assert all_rows["last_seq"] == rows[-1]["seq"]
    # since: only what came after
    _, later = await get(client, "journal/rows", since=str(rows[0]["seq"]))
    assert [r["seq"] for r in later["rows"]] == [r["seq"] for r in rows[1:]]
    _, none = await get(client, "journal/rows", since=str(all_rows["last_seq"]))
    assert none["rows"] == []
    # error filters: any error, one code; the unknown path by its api name
    _, errs = await get(client, "journal/rows", error="any")
    assert [r["seq"] for r in errs["rows"]] == [r["seq"] for r in rows[1:]]
    _, one = await get(client, "journal/rows", error="10004", provider="tencent")
    assert [r["seq"] for r in one["rows"]] == [rows[1]["seq"]]
    _, nf = await get(client, "journal/rows", api="not_found")
    assert [r["path"] for r in nf["rows"]] == ["/v4/group_open_http_svc/not_a_command"]
    assert (await get(client, "journal/rows", error="some"))[0] == 400
    # the same filters on the journal itself
    _, full = await get(client, "journal", error="10004")
    assert [e["seq"] for e in full["entries"]] == [rows[1]["seq"]]
    _, full = await get(client, "journal", since=str(rows[1]["seq"]))
    assert [e["seq"] for e in full["entries"]] == [rows[2]["seq"]]
    # one entry in full, masked as the journal masks it
    status, entry = await get(client, f"journal/{rows[1]['seq']}")
    assert status == 200 and entry["code"] == 10004 and entry["error"] is True
    assert entry["request"]["body"]["Owner_Account"] == "ghost"
    assert entry["query"]["usersig"] == "***"
    assert (await get(client, "journal/999999"))[0] == 404
    assert (await get(client, "journal/abc"))[0] == 400


async def test_ten_thousand_journal_entries(aiohttp_client):
    client = await aiohttp_client(create_app(Settings(port=0, journal_size=10_000)))
    rt = client.app[RUNTIME]
    await tim(client, "create_group", {"Owner_Account": "ghost", "Type": "Public", "Name": "b"})
    entry = rt.journal.entries()[-1]
    for _ in range(9_999):      # the recorded exchange, repeated: what 10,000 requests leave
        rt.journal.record(entry.time, entry.provider, entry.tenant, entry.api, entry.method, entry.path,
                          entry.query, entry.headers, entry.request_body, entry.status,
                          entry.response_body, entry.duration_ms)
    assert len(rt.journal) == 10_000
    t0 = time.perf_counter()
    _, page = await get(client, "journal/rows")
    _, errs = await get(client, "journal/rows", error="10004", limit="50")
    _, since = await get(client, "journal/rows", since=str(rt.journal.last_seq - 3))
    took = time.perf_counter() - t0
    assert len(page["rows"]) == 200 and page["rows"][-1]["seq"] == rt.journal.last_seq
    assert len(errs["rows"]) == 50 and len(since["rows"]) == 3
    assert took < 2.0, took


async def test_shipped_scenarios_listed_and_read(client):
    _, body = await get(client, "scenarios")
    assert "default" in body["scenarios"] and "empty" in body["scenarios"]
    resp = await client.get("/_emulator/scenarios/empty")
    text = await resp.text()
    assert resp.status == 200 and text == (fixtures_dir() / "empty.yaml").read_text()
    load = await client.post("/_emulator/scenario", data=text)
    assert load.status == 200
    _, tenants = await get(client, "tenants")
    assert tenants["providers"] == {"tencent": [], "openim": [], "rongcloud": []}
    for bad in ("nope", "..%2Fpyproject", ".hidden"):
        assert (await client.get(f"/_emulator/scenarios/{bad}")).status == 404


async def test_static_files(client):
    for path, ctype in (("/_emulator/ui", "text/html"), ("/_emulator/ui/app.js", "text/javascript"),
                        ("/_emulator/ui/style.css", "text/css")):
        resp = await client.get(path)
        assert resp.status == 200 and resp.content_type == ctype, path
    assert "<main" in await (await client.get("/_emulator/ui")).text()
    for bad in ("/_emulator/ui/nope.js", "/_emulator/ui/..%2Finspector.py", "/_emulator/ui/inspector.py"):
        assert (await client.get(bad)).status == 404, bad


async def test_admin_token_guards_the_data_not_the_page(aiohttp_client):
    client = await aiohttp_client(create_app(Settings(port=0, admin_token="tok")))
    assert (await client.get("/_emulator/ui")).status == 200           # the page asks for the token
    for path in ("tenants", "groups?provider=tencent&tenant=" + SDK, "journal/rows", "journal/1", "scenarios"):
        assert (await client.get(f"/_emulator/{path}")).status == 401, path
    resp = await client.get("/_emulator/tenants", headers={"X-Emulator-Token": "tok"})
    assert resp.status == 200


async def test_tokens_and_online_rows(client, openim_user_token):
    token = await openim_user_token("bob", 1)
    status, page = await get(client, "tokens", provider="openim", tenant="default")
    assert status == 200 and page["total"] == 2          # the admin's token (the fixture's) and bob's
    row = page["rows"][-1]
    assert (row["userID"], row["platformID"], row["check"]) == ("bob", 1, "ok")
    assert token not in await (await client.get("/_emulator/tokens", params={"provider": "openim",
                                                                             "tenant": "default"})).text()
    # a second login on the platform kicks the first token: its check says so
    await openim_user_token("bob", 1)
    _, page = await get(client, "tokens", provider="openim", tenant="default")
    assert [r["check"] for r in page["rows"] if r["userID"] == "bob"] == ["revoked: kicked", "ok"]
    # who is online, and users' online column, from the core's presence
    resp = await client.post("/_emulator/presence", json={"provider": "rongcloud", "tenant": "uwd1c0sxdlx2",
                                                         "user": "u1", "platform": "PC", "online": True})
    assert resp.status == 200
    _, online = await get(client, "online", provider="rongcloud", tenant="uwd1c0sxdlx2")
    assert [(r["user"], r["platform"]) for r in online["rows"]] == [("u1", "PC")]


async def test_static_files_are_read_when_first_asked_for(aiohttp_client, tmp_path, monkeypatch):
    """Start-up reads none of the page: a file changed after create_app is served as changed."""
    from emulator.control import inspector
    monkeypatch.setattr(inspector, "UI_DIR", tmp_path)
    (tmp_path / "index.html").write_text("before")
    client = await aiohttp_client(create_app(Settings(port=0)))
    (tmp_path / "index.html").write_text("<p>after start</p>")
    assert await (await client.get("/_emulator/ui/")).text() == "<p>after start</p>"


async def test_conversation_rows(client):
    gid = (await tim(client, "create_group", {"Owner_Account": "leckie", "Type": "Public", "Name": "c",
                                              "MemberList": [{"Member_Account": "bob"}]}))["GroupId"]
    _, groups = await get(client, "groups", provider="tencent", tenant=SDK)
    assert groups["rows"][0]["conversation"] == ""              # no message yet
    for i in (1, 2):
        sent = await tim(client, "send_group_msg", {"GroupId": gid, "From_Account": "leckie", "Random": i,
                                                    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]})
        assert sent["ErrorCode"] == 0, sent
    status, convs = await get(client, "conversations", provider="tencent", tenant=SDK)
    assert status == 200 and convs["key"] == "conversation"
    row = next(r for r in convs["rows"] if r["conversation"] == f"group:{gid}")
    assert (row["messages"], row["last_seq"]) == (2, 2)
    _, groups = await get(client, "groups", provider="tencent", tenant=SDK)
    assert groups["rows"][0]["conversation"] == f"group:{gid}"
    _, tenants = await get(client, "tenants")
    assert tenants["providers"]["tencent"][0]["counts"]["conversations"] == convs["total"]


async def test_openim_group_links_its_conversation(client, openim_admin_token):
    from tests.openim_support import openim_call
    gid = await openim_create_group(client, openim_admin_token)
    _, sent = await openim_call(client, "/msg/send_msg", {"sendID": "bob", "groupID": gid, "sessionType": 3,
                                                          "contentType": 101, "content": {"content": "hi"}},
                                token=openim_admin_token)
    assert sent["errCode"] == 0, sent
    _, groups = await get(client, "groups", provider="openim", tenant="default")
    assert groups["rows"][0]["conversation"] == f"sg_{gid}"
    _, msgs = await get(client, "messages", provider="openim", tenant="default", conversation=f"sg_{gid}")
    assert msgs["total"] >= 1 and msgs["messages"][-1]["from"] == "bob"


async def test_a_reply_the_journal_cut_still_shows_its_code(aiohttp_client):
    # bodies over journal_body_bytes are kept as a prefix, which is not JSON: the code is read
    # from the reply's leading top-level fields (a nested ErrorCode never counts)
    client = await aiohttp_client(create_app(Settings(port=0, journal_body_bytes=80)))
    ok = await tim(client, "create_group", {"Owner_Account": "leckie", "Type": "Public", "Name": "a" * 20,
                                            "MemberList": [{"Member_Account": "bob"}]})
    gid = ok["GroupId"]
    bad = await tim(client, "get_group_info", {"GroupIdList": [gid, "@TGS#nope"]})
    assert bad["ErrorCode"] == 0 and bad["GroupInfo"][1]["ErrorCode"] != 0
    refused = await tim(client, "modify_group_base_info", {"GroupId": gid, "Name": "x" * 200})
    assert refused["ErrorCode"] != 0
    _, rows = await get(client, "journal/rows")
    info, mod = rows["rows"][-2:]
    assert info["api"] == "group_open_http_svc/get_group_info" and info["code"] == 0 and info["error"] is False
    status, detail = await get(client, f"journal/{info['seq']}")
    assert status == 200 and detail["response"]["body"]["truncated"] is True and detail["code"] == 0
    assert mod["code"] == refused["ErrorCode"] and mod["error"] is True
