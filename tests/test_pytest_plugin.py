"""The pytest plugin: the `im_emulator` fixture used directly here, and from a downstream project's
own test files run by pytester in a subprocess (the plugin loads through its pytest11 entry point)."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request

import pytest

from emulator.pytest_plugin import EmulatorControlError, ImEmulator


RC_KEY, RC_SECRET = "uwd1c0sxdlx2", "Y1W2MeFwwwRxa0"


def rc_post(url: str, path: str, form: dict) -> tuple[int, dict]:
    """A RongCloud call signed as the SDKs sign it, with urllib only."""
    nonce, ts = "4711", str(int(time.time()))
    headers = {"App-Key": RC_KEY, "Nonce": nonce, "Timestamp": ts,
               "Signature": hashlib.sha1(f"{RC_SECRET}{nonce}{ts}".encode()).hexdigest(),
               "Content-Type": "application/x-www-form-urlencoded"}
    data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    req = urllib.request.Request(url + path, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


# --- the fixture used directly -----------------------------------------------------------------

def test_default_scenario_serves_every_provider(im_emulator):
    assert isinstance(im_emulator, ImEmulator)
    assert im_emulator.url == f"http://127.0.0.1:{im_emulator.port}" and im_emulator.port > 0
    health = im_emulator.health()
    assert health["status"] == "ok"
    assert health["providers"] == ["tencent", "openim", "rongcloud"]
    assert "1400000000" in im_emulator.state(provider="tencent")["tencent"]
    assert im_emulator.check()["ok"] is True


_seen_urls: dict[str, str] = {}


def test_provider_call_is_journalled_then_reset_1(im_emulator):
    status, body = rc_post(im_emulator.url, "/entrust/group/create.json",
                           {"groupId": "plugin1", "name": "n", "owner": "leckie"})
    assert (status, body["code"]) == (200, 200)
    status, body = rc_post(im_emulator.url, "/entrust/group/profile/query.json", {"groupIds": "plugin1"})
    assert body["code"] == 200 and body["profiles"][0]["groupId"] == "plugin1"
    entries = im_emulator.journal(provider="rongcloud")
    assert [e["path"] for e in entries] == ["/entrust/group/create.json", "/entrust/group/profile/query.json"]
    assert entries[0]["response"]["status"] == 200
    assert entries[0]["tenant"] == RC_KEY
    assert entries[0]["request"]["headers"]["Signature"] == "***"   # masked
    assert "Y1W2MeFwwwRxa0" not in json.dumps(entries)
    assert im_emulator.journal(provider="rongcloud", limit=1) == entries[-1:]
    assert "plugin1" in json.dumps(im_emulator.state(provider="rongcloud"))
    _seen_urls["default"] = im_emulator.url


def test_provider_call_is_journalled_then_reset_2(im_emulator):
    # same server for the whole session, but the group, the journal are gone
    if "default" in _seen_urls:
        assert im_emulator.url == _seen_urls["default"]
    assert im_emulator.journal() == []
    assert "plugin1" not in json.dumps(im_emulator.state(provider="rongcloud"))
    status, body = rc_post(im_emulator.url, "/entrust/group/profile/query.json", {"groupIds": "plugin1"})
    assert "plugin1" not in json.dumps(body)


@pytest.mark.im_emulator_scenario("empty.yaml")
def test_marker_picks_a_shipped_scenario_on_its_own_server(im_emulator):
    assert im_emulator.scenario is not None and im_emulator.scenario.name == "empty.yaml"
    if "default" in _seen_urls:
        assert im_emulator.url != _seen_urls["default"]
    state = im_emulator.state()
    assert all(tenants == {} for tenants in state.values())


@pytest.mark.im_emulator_scenario("empty.yaml")
def test_control_helpers(im_emulator):
    # clock
    assert im_emulator.freeze_clock(1_700_000_000)["now"] == 1_700_000_000
    assert im_emulator.advance_clock(60)["now"] == 1_700_000_060
    assert im_emulator.clock()["mode"] == "frozen"
    assert im_emulator.real_clock()["mode"] == "real"
    # faults
    f = im_emulator.add_fault(provider="rongcloud", api="entrust/group/create", error=1000, times=0)
    assert f["id"] >= 1 and f["active"] is True
    assert [x["id"] for x in im_emulator.faults()] == [f["id"]]
    assert im_emulator.clear_faults(f["id"])["status"] == "deleted"
    assert im_emulator.faults() == []
    with pytest.raises(EmulatorControlError) as err:
        im_emulator.add_fault(provider="nowhere", api="x", error=1)
    assert err.value.status == 400 and "provider" in json.dumps(err.value.body)
    # state round trip and invariants
    dump = im_emulator.state()
    assert im_emulator.set_state(dump)["status"] == "loaded"
    assert im_emulator.state() == dump
    assert im_emulator.check() == {"ok": True, "problems": {p: [] for p in dump}}
    assert im_emulator.reset()["status"] == "reset"
    with pytest.raises(EmulatorControlError) as err:
        im_emulator.reset(provider="nowhere")
    assert err.value.status == 400
    # scenario: a bad one is refused with its path, a good one is taken
    with pytest.raises(EmulatorControlError) as err:
        im_emulator.load_scenario({"faults": [{"provider": "rongcloud", "api": "x"}]})
    assert err.value.status == 400 and err.value.body["details"][0]["path"] == "faults[0]"
    loaded = im_emulator.load_scenario({"faults": [{"provider": "rongcloud", "api": "group/create", "error": 1, "times": 0}]},
                                       merge=True)
    assert loaded["mode"] == "merge"
    assert [x["api"] for x in im_emulator.faults()] == ["group/create"]
    # the generic request helper reaches any path
    status, body = im_emulator.request("GET", "/no/such/path")
    assert status == 404 and body["error"] == "not found"


@pytest.mark.im_emulator_scenario("empty.yaml")
def test_the_next_test_gets_the_scenario_back(im_emulator):
    # test_control_helpers merged a scenario with a fault and left it; this test must not see it
    assert im_emulator.faults() == []
    assert im_emulator.clock()["mode"] == "real"
    assert im_emulator.journal() == []


def test_load_scenario_from_a_file_merges(im_emulator, tmp_path):
    path = tmp_path / "extra.yaml"
    path.write_text("description: extra\nfaults:\n  - {provider: openim, api: user/user_register, error: 500, times: 0}\n")
    im_emulator.load_scenario(path, merge=True)
    assert [f["api"] for f in im_emulator.faults()] == ["user/user_register"]
    # default.yaml's tenants are still there after a merge
    assert "uwd1c0sxdlx2" in im_emulator.state(provider="rongcloud")["rongcloud"]


# --- the plugin as a downstream project sees it ----------------------------------------------

DOWNSTREAM_TESTS = '''
import json
import pytest

URLS = {}

def test_fixture_is_there(im_emulator):
    assert im_emulator.url.startswith("http://127.0.0.1:")
    assert im_emulator.health()["status"] == "ok"
    URLS["default"] = im_emulator.url

def test_dirty(im_emulator):
    im_emulator.freeze_clock(1000)
    im_emulator.add_fault(provider="rongcloud", api="entrust/group/create", error=1000, times=0)
    im_emulator.load_scenario({"description": "x"}, merge=True)

def test_clean_again(im_emulator):
    assert im_emulator.url == URLS["default"]      # one server per scenario per session
    assert im_emulator.clock()["mode"] == "real"
    assert im_emulator.faults() == []
    assert im_emulator.journal() == []

@pytest.mark.im_emulator_scenario("scenarios/mine.yaml")
def test_own_scenario(im_emulator):
    assert im_emulator.url != URLS["default"]
    # the scenario's own fault is there, and again after a test removed it
    assert [f["api"] for f in im_emulator.faults()] == ["entrust/group/create"]
    im_emulator.clear_faults()

@pytest.mark.im_emulator_scenario("scenarios/mine.yaml")
def test_own_scenario_again(im_emulator):
    assert [f["api"] for f in im_emulator.faults()] == ["entrust/group/create"]
    assert im_emulator.check()["ok"]
'''

MINE_YAML = "description: mine\nfaults:\n  - {provider: rongcloud, api: entrust/group/create, error: 1000, times: 0}\n"


def _clean_env(monkeypatch):
    # the downstream run must load the plugin through its entry point, as an installed package does
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


def test_downstream_project_uses_the_fixture(pytester, monkeypatch):
    _clean_env(monkeypatch)
    pytester.makepyfile(test_downstream=DOWNSTREAM_TESTS)
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "mine.yaml").write_text(MINE_YAML)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider", "-W", "error::pytest.PytestUnknownMarkWarning")
    result.assert_outcomes(passed=5)
    assert result.ret == 0


def test_downstream_marker_is_registered(pytester, monkeypatch):
    _clean_env(monkeypatch)
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["*im_emulator_scenario(path)*"])


def test_downstream_bad_scenario_fails_its_tests_with_the_reason(pytester, monkeypatch):
    _clean_env(monkeypatch)
    (pytester.path / "broken.yaml").write_text("faults:\n  - {provider: nowhere, api: x, error: 1}\n")
    pytester.makepyfile(test_broken='''
import pytest
pytestmark = pytest.mark.im_emulator_scenario("broken.yaml")

def test_one(im_emulator):
    pass

def test_two(im_emulator):
    pass

def test_missing(im_emulator):
    pass
test_missing = pytest.mark.im_emulator_scenario("nope.yaml")(test_missing)

def test_without_fixture():
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=3)
    out = result.stdout.str()
    assert "broken.yaml: faults[0].provider:" in out
    assert "scenario 'nope.yaml' not found" in out
    assert "Traceback" not in out
