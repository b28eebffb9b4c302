"""The official Python SDKs, unmodified except for their host, against a listening emulator.

* PyPI ``rongcloud`` 2.0.1 (installed in the test environment; lowercase rc-* headers, requests)
  runs in a worker thread while the app serves on the event loop.
* PyPI ``rc-server-sdk`` 3.2.0 installs the same top-level module ``rongcloud``, so it gets its
  own virtualenv (plus jinja2, which it imports without declaring), built once and cached by
  version; a driver script runs in a subprocess and prints every result as JSON.
Every group call each SDK offers is driven through the SDK.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from emulator.app import RUNTIME, create_app
from tests.rongcloud_support import RC_APP_KEY, RC_APP_SECRET

RC_SERVER_SDK = "rc-server-sdk==3.2.0"


@pytest.fixture
async def rc_server(aiohttp_server, rc_settings):
    app = create_app(rc_settings)
    server = await aiohttp_server(app)
    return server


def state(server) -> dict:
    rt = server.app[RUNTIME]
    return rt.providers["rongcloud"].backend.tenants[RC_APP_KEY]


# --- rongcloud 2.0.1 -----------------------------------------------------------------------------

def drive_rongcloud_201(host: str) -> dict:
    from rongcloud import RongCloud
    from rongcloud.base import RongCloudBase
    saved = RongCloudBase.api_host
    RongCloudBase.api_host = host
    try:
        g = RongCloud(RC_APP_KEY, RC_APP_SECRET).Group
        out = {}
        out["create"] = g.create(userId={"userId1", "userid2", "userId3"}, groupId="groupId1",
                                 groupName="groupName1").result
        out["sync"] = g.sync(userId="userId1", groupInfo=[("groupId1", "groupName1"), ("groupId2", "groupName2"),
                                                          ("groupId3", "groupName3")]).result
        out["refresh"] = g.refresh(groupId="groupId1", groupName="newGroupName").result
        out["join"] = g.join(userId={"userId2", "userid3", "userId4"}, groupId="groupId1",
                             groupName="TestGroup").result
        out["queryUser"] = g.queryUser(groupId="groupId1").result
        out["quit_unknown"] = g.quit(userId={"userId2", "userid3", "userId4"}, groupId="TestGroup").result
        out["quit"] = g.quit(userId={"userId4"}, groupId="groupId1").result
        out["addGagUser"] = g.addGagUser(userId="userId1", groupId="groupId1", minute="1").result
        out["lisGagUser"] = g.lisGagUser(groupId="groupId1").result
        out["rollBackGagUser"] = g.rollBackGagUser(userId={"userId1", "userid3"}, groupId="groupId1").result
        out["lisGagUser_after"] = g.lisGagUser(groupId="groupId1").result
        out["dismiss"] = g.dismiss(userId="userId1", groupId="groupId2").result
        return out
    finally:
        RongCloudBase.api_host = saved


async def test_pypi_rongcloud_201_group_calls(rc_server):
    host = str(rc_server.make_url("")).rstrip("/")
    out = await asyncio.to_thread(drive_rongcloud_201, host)
    assert all(r["code"] == 200 for r in out.values()), out
    assert {u["id"] for u in out["queryUser"]["users"]} == {"userId1", "userid2", "userId3", "userId2",
                                                             "userid3", "userId4"}
    assert [u["userId"] for u in out["lisGagUser"]["users"]] == ["userId1"]
    assert out["lisGagUser_after"]["users"] == []
    t = state(rc_server)
    assert t.groups["groupId1"].name == "TestGroup"  # refresh, then join renamed it
    assert "userId4" not in t.groups["groupId1"].members
    assert "groupId2" not in t.groups and "groupId3" in t.groups
    assert list(t.user_groups["userId1"]) == ["groupId1", "groupId3"]


# --- rc-server-sdk 3.2.0 in its own virtualenv --------------------------------------------------

@pytest.fixture(scope="session")
def rc_server_sdk_python(request) -> str:
    """A virtualenv with rc-server-sdk 3.2.0 and jinja2, built once and cached by version."""
    root = Path(request.config.cache.mkdir("rc-server-sdk-3.2.0-venv"))
    python = root / "bin" / "python"
    marker = root / ".ready"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               RC_SERVER_SDK, "jinja2"], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot install {RC_SERVER_SDK}: {proc.stderr[-500:]}")
        marker.write_text("ok")
    return str(python)


DRIVER = textwrap.dedent('''
    import json, sys
    from rongcloud.rongcloud import RongCloud
    rc = RongCloud(sys.argv[2], sys.argv[3], host_url=sys.argv[1])
    group = rc.get_group()
    user, gag, ban = group.get_user(), group.get_user().get_gag(), group.get_user().get_ban()
    white = ban.get_whitelist()
    out = []
    def step(name, rep):
        out.append([name, rep])
    step("sync", group.sync("AAA", [("10001", "TestGroup1"), ("10002", "测试 群2"), ("10003", "TestGroup3")]))
    step("create_one", group.create("user_1", "group_test", "TestGroup"))
    step("create_many", group.create(["user_2", "user_3"], "group_test", "TestGroup"))
    step("join_one", group.join("1", "123", "Test Group"))
    step("join_many", group.join(["1", "2"], "123", "Test Group"))
    step("query", group.query("123"))
    step("user_query", user.query("group_test"))
    step("query_user_group", group.query_user_group("AAA"))
    step("update", group.update("123", "new"))
    step("quit_one", group.quit("1", "123"))
    step("quit_many", group.quit(["1", "2"], "123"))
    step("dismiss", group.dismiss("1", "123"))
    step("create_16", group.create(["2582", "2583"], "16", "TestGroup"))
    step("gag_add_one", gag.add("2582", "16", 10))
    step("gag_add_many", gag.add(["2582", "2583"], "16", 10))
    step("gag_query", gag.query("16"))
    step("gag_query_all", gag.query(None))
    step("gag_remove_one", gag.remove("2582", "16"))
    step("gag_remove_many", gag.remove(["2582", "2583"], "16"))
    step("gag_query_after", gag.query("16"))
    step("ban_add_one", ban.add("16"))
    step("ban_add_many", ban.add(["16", "17"]))
    step("ban_query_one", ban.query("16"))
    step("ban_query_many", ban.query(["16", "17", "18"]))
    step("white_add_one", white.add("2582", "16"))
    step("white_add_many", white.add(["2582", "2583"], "16"))
    step("white_query", white.query("16"))
    step("white_remove_one", white.remove("2582", "16"))
    step("white_query_after", white.query("16"))
    step("white_remove_many", white.remove(["2582", "2583"], "16"))
    step("ban_remove_one", ban.remove("16"))
    step("ban_remove_many", ban.remove(["16", "17"]))
    step("ban_query_after", ban.query(["16", "17"]))
    print(json.dumps(out, ensure_ascii=False))
''')


async def test_rc_server_sdk_320_group_calls(rc_server, rc_server_sdk_python, tmp_path):
    script = tmp_path / "drive.py"
    script.write_text(DRIVER, encoding="utf-8")
    host = str(rc_server.make_url("")).rstrip("/")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = await asyncio.create_subprocess_exec(rc_server_sdk_python, str(script), host, RC_APP_KEY,
                                                RC_APP_SECRET, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, cwd=str(tmp_path), env=env)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()
    out = dict(json.loads(stdout))
    assert all(r["code"] == 200 for r in out.values()), {k: v for k, v in out.items() if v["code"] != 200}
    assert out["query"]["users"] == [{"id": "1"}, {"id": "2"}]
    assert out["user_query"]["users"] == [{"id": "user_1"}, {"id": "user_2"}, {"id": "user_3"}]
    assert out["query_user_group"]["groups"] == [{"id": "10001", "name": "TestGroup1"},
                                                 {"id": "10002", "name": "测试 群2"},
                                                 {"id": "10003", "name": "TestGroup3"}]
    assert sorted(u["userId"] for u in out["gag_query"]["users"]) == ["2582", "2583"]
    assert sorted(u["userId"] for u in out["gag_query_all"]["users"]) == ["2582", "2583"]
    assert out["gag_query_after"]["users"] == []
    assert out["ban_query_one"]["groupinfo"] == [{"groupId": "16", "stat": 1}]
    assert out["ban_query_many"]["groupinfo"] == [{"groupId": "16", "stat": 1}, {"groupId": "17", "stat": 1},
                                                  {"groupId": "18", "stat": 0}]
    assert out["white_query"]["userIds"] == ["2582", "2583"]
    assert out["white_query_after"]["userIds"] == ["2583"]
    assert out["ban_query_after"]["groupinfo"] == [{"groupId": "16", "stat": 0}, {"groupId": "17", "stat": 0}]
    t = state(rc_server)
    assert "123" not in t.groups
    assert list(t.groups["group_test"].members) == ["user_1", "user_2", "user_3"]
    assert t.whitelists == {} and t.bans == {}
