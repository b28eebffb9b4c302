"""Scenario seeding, dump -> load -> dump identity and invariants of the RongCloud backend."""

from __future__ import annotations

import pytest
import yaml

from emulator.app import RUNTIME, create_app
from emulator.core.errors import ScenarioError
from emulator.settings import Settings
from tests.rongcloud_support import rongcloud_only_scenario

SEED = {"groups": [
    {"groupId": "team", "name": "Team", "owner": "leckie", "members": ["bob", "tommy"], "managers": ["bob"],
     "permissions": {"joinPerm": 1}, "groupProfile": {"introduction": "hi"}},
    {"groupId": "old", "name": "Legacy", "members": ["bob", "jared"]},
]}


@pytest.fixture
def rc_settings(tmp_path):
    return Settings(port=0, providers=("rongcloud",), scenario=rongcloud_only_scenario(tmp_path, SEED))


async def test_seeded_groups_and_roundtrip(rc, rc_client):
    body = await rc("/entrust/group/member/query.json", {"groupId": "team", "order": "0"})
    assert [(m["userId"], m["role"]) for m in body["members"]] == [("leckie", 3), ("bob", 2), ("tommy", 1)]
    await rc("/group/user/gag/add.json", {"userId": "bob", "groupId": "old", "minute": "5"})
    await rc("/group/ban/add.json", {"groupId": "old", "whiteUserId": "jared"})
    await rc("/entrust/group/member/follow.json", {"groupId": "team", "userId": "tommy", "followUserIds": "bob"})
    await rc("/entrust/group/remarkname/set.json", {"groupId": "team", "userId": "bob", "remarkName": "r"})
    state = await (await rc_client.get("/_emulator/state?provider=rongcloud")).json()
    resp = await rc_client.put("/_emulator/state?provider=rongcloud", json=state)
    assert resp.status == 200, await resp.text()
    again = await (await rc_client.get("/_emulator/state?provider=rongcloud")).json()
    assert again == state
    assert rc_client.app[RUNTIME].check_invariants() == {"rongcloud": []}
    body = await rc("/user/group/query.json", {"userId": "bob"})
    assert [g["id"] for g in body["groups"]] == ["team", "old"]
    # reset brings the seed back
    await rc_client.post("/_emulator/reset?provider=rongcloud")
    assert (await rc("/group/user/gag/list.json", {"groupId": "old"}))["users"] == []


async def test_invariant_violation_is_reported(rc, rc_client):
    t = rc_client.app[RUNTIME].providers["rongcloud"].backend.tenants["uwd1c0sxdlx2"]
    t.groups["team"].members.pop("tommy")
    problems = rc_client.app[RUNTIME].check_invariants()["rongcloud"]
    assert problems and any("tommy" in p for p in problems)


@pytest.mark.parametrize("group, path", [
    ({"groupId": "x", "name": "n", "owner": "o", "managers": ["o"]}, "rongcloud.apps[0].groups[0].managers[0]"),
    ({"groupId": "x", "name": "n", "members": ["a"], "managers": ["a"]}, "rongcloud.apps[0].groups[0].managers"),
    ({"groupId": "x", "name": "n", "owner": "o", "permissions": {"joinPerm": 9}},
     "rongcloud.apps[0].groups[0].permissions.joinPerm"),
    ({"groupId": "x", "name": "n", "colour": "red"}, "rongcloud.apps[0].groups[0].colour"),
])
def test_bad_seed_is_refused_with_path(tmp_path, group, path):
    scenario = rongcloud_only_scenario(tmp_path, {"groups": [group]})
    with pytest.raises(ScenarioError) as exc:
        create_app(Settings(port=0, providers=("rongcloud",), scenario=scenario))
    assert path in [p for p, _ in exc.value.errors], exc.value.errors


def test_default_yaml_rongcloud_section_is_valid(tmp_path):
    app = create_app(Settings(port=0, providers=("rongcloud",), scenario=rongcloud_only_scenario(tmp_path)))
    t = app[RUNTIME].providers["rongcloud"].backend.tenants["uwd1c0sxdlx2"]
    assert t.settings.rate_limit == 100 and t.settings.max_members == 3000
    assert yaml.safe_load((tmp_path / "rongcloud-only.yaml").read_text())["rongcloud"]["apps"][0]["app_secret"]
