"""Fault ``api`` names: one scheme across providers, validated against the emulated APIs (taken
from the providers' routes at run time), listed by GET /_emulator/apis."""

from __future__ import annotations

import pytest

from emulator.app import RUNTIME, create_app
from emulator.core.errors import ScenarioError
from emulator.providers.base import Route
from emulator.settings import Settings


def scheme(path: str) -> str:
    """The documented naming rule: the path without its leading slash, Tencent's v4/ prefix and
    RongCloud's .json suffix."""
    return path.lstrip("/").removeprefix("v4/").removesuffix(".json")


async def test_apis_lists_every_route_under_one_naming_scheme(client):
    rt = client.app[RUNTIME]
    resp = await client.get("/_emulator/apis")
    assert resp.status == 200
    listed = await resp.json()
    assert set(listed) == {"tencent", "openim", "rongcloud"}
    for name, provider in rt.providers.items():
        routes = provider.api_routes()
        assert [e["path"] for e in listed[name]] == [r.path for r in routes]
        for entry in listed[name]:
            assert entry["api"] == scheme(entry["path"]), entry
            assert entry["method"] and entry["summary"]
    names = {n: {e["api"] for e in v} for n, v in listed.items()}
    assert "group_open_http_svc/create_group" in names["tencent"]
    assert "im/group/createGroup" in names["tencent"]
    assert "group/create_group" in names["openim"]
    assert "entrust/group/create" in names["rongcloud"]
    only = await (await client.get("/_emulator/apis?provider=openim")).json()
    assert list(only) == ["openim"]
    assert (await client.get("/_emulator/apis?provider=nowhere")).status == 400


async def test_journal_uses_the_same_names(client, tim):
    await tim("create_group", {"Type": "Public", "Name": "g"})
    entries = (await (await client.get("/_emulator/journal?provider=tencent")).json())["entries"]
    assert entries[-1]["api"] == "group_open_http_svc/create_group"


@pytest.mark.parametrize("provider,typo,suggestion", [
    ("tencent", "group_open_http_svc/create_grup", "group_open_http_svc/create_group"),
    ("openim", "group/create_groups", "group/create_group"),
    ("rongcloud", "entrust/group/creat", "entrust/group/create"),
    ("tencent", "create_group", "group_open_http_svc/create_group"),   # the old short name
    ("openim", "group.create_group", "group/create_group"),              # the old dotted name
    ("rongcloud", "zzzz", None),
])
async def test_misspelled_fault_is_refused_naming_close_matches(client, provider, typo, suggestion):
    resp = await client.post("/_emulator/faults", json={"provider": provider, "api": typo, "error": 1})
    assert resp.status == 400
    body = await resp.json()
    detail = body["details"][0]
    assert detail["path"] == "api" and typo in detail["reason"]
    if suggestion:
        assert f"'{suggestion}'" in detail["reason"]
    else:
        assert "/_emulator/apis" in detail["reason"]
    assert (await (await client.get("/_emulator/faults")).json())["faults"] == []


async def test_a_list_with_one_misspelled_fault_adds_nothing(client):
    good = {"provider": "openim", "api": "group/create_group", "error": 1}
    bad = {"provider": "openim", "api": "group/crate_group", "error": 1}
    assert (await client.post("/_emulator/faults", json=[good, bad])).status == 400
    assert (await (await client.get("/_emulator/faults")).json())["faults"] == []
    assert (await client.post("/_emulator/faults", json=[good])).status == 201


async def test_scenario_with_misspelled_fault_is_refused_whole(client):
    doc = b"faults:\n  - {provider: tencent, api: create_group, error: 10002}\n"
    resp = await client.post("/_emulator/scenario", data=doc)
    assert resp.status == 400
    body = await resp.json()
    assert body["details"][0]["path"] == "faults[0].api", body
    assert "group_open_http_svc/create_group" in body["details"][0]["reason"]


def test_scenario_file_with_misspelled_fault_stops_the_start(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("faults:\n  - {provider: openim, api: group.create_group, error: 1}\n")
    with pytest.raises(ScenarioError) as err:
        create_app(Settings(port=0, scenario=path))
    assert "faults[0].api" in str(err.value) and "'group/create_group'" in str(err.value)


async def test_names_come_from_the_routes_at_run_time(aiohttp_client, monkeypatch):
    """A route another family adds to a provider is listed and faultable with no list to edit."""
    from emulator.providers.openim.provider import OpenIMProvider

    original = OpenIMProvider.routes

    def with_extra(self):
        return [*original(self), Route("POST", "/msg/brand_new_api", "msg/brand_new_api",
                                       handler=lambda call: {}, summary="test-only route")]

    monkeypatch.setattr(OpenIMProvider, "routes", with_extra)
    client = await aiohttp_client(create_app(Settings(port=0)))
    listed = await (await client.get("/_emulator/apis?provider=openim")).json()
    assert "msg/brand_new_api" in [e["api"] for e in listed["openim"]]
    resp = await client.post("/_emulator/faults", json={"provider": "openim", "api": "msg/brand_new_api",
                                                         "error": 1})
    assert resp.status == 201
