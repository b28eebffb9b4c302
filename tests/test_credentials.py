"""Credential minting for non-Python clients: GET /_emulator/credentials (on the emulator clock)
and the offline CLI (`im-emulator sign tencent|gateway|rongcloud`, `im-emulator token openim`),
each output used verbatim to make a successful call, through HTTP and through subprocesses."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import parse_qsl

import orjson
import pytest

from emulator.app import RUNTIME
from emulator.providers.tencent.auth import decode_usersig, mint_usersig, verify_usersig
from tests.test_cli import servers  # noqa: F401  (fixture: real server processes)
from tests.tencent_support import KEY, SDKAPPID, tencent_sig


async def creds(client, **params):
    resp = await client.get("/_emulator/credentials", params=params)
    return resp.status, await resp.json()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emulator", *args], capture_output=True, text=True, timeout=60)


# --- the minting itself -------------------------------------------------------------------------------
def test_mint_usersig_matches_tls_sig_api_v2():
    """Same document, same bytes as Tencent's own generator at the same second."""
    import TLSSigAPIv2
    for _ in range(3):
        now = int(time.time())
        theirs = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, KEY).gen_sig("administrator", expire=86400)
        ours = mint_usersig(SDKAPPID, KEY, "administrator", 86400, now)
        if int(time.time()) == now:
            assert ours == theirs
            break
    doc = decode_usersig(ours)
    assert doc["TLS.ver"] == "2.0" and doc["TLS.expire"] == 86400
    assert verify_usersig(ours, "administrator", str(SDKAPPID), KEY, now)["TLS.time"] == now


# --- /_emulator/credentials, output used verbatim ---------------------------------------------------------
async def test_tencent_credentials_make_a_call(client):
    status, body = await creds(client, provider="tencent", tenant=str(SDKAPPID), identifier="administrator")
    assert status == 200 and body["identifier"] == "administrator" and body["expire"] == 180 * 86400
    resp = await client.post(f"/v4/im_open_login_svc/account_check?{body['query_string']}",
                             data=b'{"CheckItem":[{"UserID":"bob"}]}')
    reply = await resp.json(content_type=None)
    assert reply["ErrorCode"] == 0 and reply["ResultItem"][0]["AccountStatus"] == "Imported"


async def test_tencent_credentials_follow_the_emulator_clock(client):
    frozen = 2_000_000_000
    assert (await client.post("/_emulator/clock", json={"freeze_at": frozen})).status == 200
    _, body = await creds(client, provider="tencent", expire=60)
    assert decode_usersig(body["usersig"])["TLS.time"] == frozen and body["expires_at"] == frozen + 60
    resp = await client.post("/v4/im_open_login_svc/account_check", params=body["query"],
                             data=b'{"CheckItem":[{"UserID":"bob"}]}')
    assert (await resp.json(content_type=None))["ErrorCode"] == 0
    assert (await client.post("/_emulator/clock", json={"advance_s": 61})).status == 200
    resp = await client.post("/v4/im_open_login_svc/account_check", params=body["query"], data=b"{}")
    assert (await resp.json(content_type=None))["ErrorCode"] == 70001


async def test_tencent_non_admin_identifier_is_noted(client):
    _, body = await creds(client, provider="tencent", identifier="bob")
    assert "60010" in body["note"]
    resp = await client.post("/v4/im_open_login_svc/account_check", params=body["query"], data=b"{}")
    assert (await resp.json(content_type=None))["ErrorCode"] == 60010


async def test_openim_credentials_make_a_call(client):
    status, body = await creds(client, provider="openim", tenant="default")
    assert status == 200 and body["userID"] == "imAdmin" and body["platformID"] == 10
    resp = await client.post("/user/get_users_info", headers=body["headers"], data=b'{"userIDs":["bob"]}')
    reply = await resp.json()
    assert reply["errCode"] == 0 and reply["data"]["usersInfo"][0]["userID"] == "bob"
    # issued through the store: /auth/parse_token knows it
    resp = await client.post("/auth/parse_token", headers={"operationID": "1"}, json={"token": body["token"]})
    assert (await resp.json())["data"]["userID"] == "imAdmin"


async def test_rongcloud_credentials_make_a_call(client):
    status, body = await creds(client, provider="rongcloud", tenant="uwd1c0sxdlx2")
    assert status == 200 and set(body["headers"]) == {"App-Key", "Nonce", "Timestamp", "Signature"}
    resp = await client.post("/entrust/group/create.json", data="groupId=g1&owner=bob&userIds=bob&name=g",
                             headers={**body["headers"], "Content-Type": "application/x-www-form-urlencoded"})
    assert (await resp.json())["code"] == 200
    _, fixed = await creds(client, provider="rongcloud", nonce="14314", timestamp="1408710653000")
    import hashlib
    assert fixed["headers"]["Signature"] == hashlib.sha1(b"Y1W2MeFwwwRxa0" b"14314" b"1408710653000").hexdigest()


async def test_gateway_credentials_make_a_call(client):
    status, body = await creds(client, **{"provider": "tencent-gateway"})
    assert status == 200 and body["claims"]["username"] == "admin" and body["claims"]["userIdentity"] == 2
    resp = await client.post("/im/group/createGroup", headers={**body["headers"], "Content-Type": "application/json"},
                             data=orjson.dumps({"name": "g", "type": "Public", "ownerAccount": "leckie"}))
    reply = await resp.json()
    assert reply["code"] == 0 and reply["success"] is True, reply


@pytest.mark.parametrize("params, status", [
    ({}, 400), ({"provider": "nope"}, 400), ({"provider": "tencent", "tenant": "1"}, 404),
    ({"provider": "tencent", "expire": "0"}, 400), ({"provider": "tencent", "identifier": "x" * 33}, 400),
    ({"provider": "openim", "user": "bob"}, 400), ({"provider": "rongcloud", "timestamp": "abc"}, 400),
])
async def test_credentials_errors(client, params, status):
    got, body = await creds(client, **params)
    assert got == status and body["error"]


async def test_credentials_need_the_admin_token_when_set(aiohttp_client):
    from emulator.app import create_app
    from emulator.settings import Settings
    client = await aiohttp_client(create_app(Settings(port=0, admin_token="s3cret")))
    assert (await client.get("/_emulator/credentials", params={"provider": "tencent"})).status == 401
    resp = await client.get("/_emulator/credentials", params={"provider": "tencent"},
                            headers={"X-Emulator-Token": "s3cret"})
    assert resp.status == 200


# --- OpenIM: a token minted offline is accepted until the server issues a newer one ------------------------
async def test_offline_openim_admin_token_rule(client):
    from emulator.credentials import openim_offline
    from emulator.providers.openim.auth import unverified
    now = time.time()
    offline = openim_offline("openIM123", "imAdmin", now - 60, 90)["token"]

    async def users_info(token):
        resp = await client.post("/user/get_users_info", headers={"operationID": "9", "token": token},
                                 json={"userIDs": ["bob"]})
        return (await resp.json())["errCode"]
    # the store-backed profile this rule is for (the openim-versions profiles may make admin
    # tokens stateless, where any signed admin token passes)
    runtime = client.app[RUNTIME]
    runtime.providers["openim"].backend.tenants["default"].settings["admin_tokens_stateless"] = False
    assert await users_info(offline) == 0
    assert unverified(offline)[1]["PlatformID"] == 10
    # the server issues a newer admin token: the offline one is superseded
    resp = await client.post("/auth/get_admin_token", headers={"operationID": "1"},
                             json={"secret": "openIM123", "userID": "imAdmin"})
    assert (await resp.json())["errCode"] == 0
    assert await users_info(offline) == 1507
    # switched off per tenant
    runtime.providers["openim"].backend.tenants["default"].settings["accept_minted_admin_tokens"] = False
    fresh = openim_offline("openIM123", "imAdmin", time.time() + 5, 90)["token"]
    assert await users_info(fresh) == 1507


# --- the CLI, offline, in subprocesses ------------------------------------------------------------------------
def test_cli_sign_tencent_outputs():
    out = cli("sign", "tencent", "--identifier", "bob", "--expire", "120")
    assert out.returncode == 0, out.stderr
    query = dict(parse_qsl(out.stdout.strip()))
    assert query["sdkappid"] == str(SDKAPPID) and query["identifier"] == "bob" and query["contenttype"] == "json"
    verify_usersig(query["usersig"], "bob", str(SDKAPPID), KEY, time.time())
    sig = cli("sign", "tencent", "--sig-only", "--sdkappid", "1400000009", "--key", "k" * 10).stdout.strip()
    verify_usersig(sig, "administrator", "1400000009", "k" * 10, time.time())
    js = orjson.loads(cli("sign", "tencent", "--json").stdout)
    assert js["identifier"] == "administrator" and js["expire"] == 180 * 86400


@pytest.mark.parametrize("args", [
    ("sign",), ("sign", "tencent", "--expire", "0"), ("token", "openim", "--expire-days", "0"),
    ("sign", "tencent", "--scenario", "/nonexistent.yaml"), ("sign", "wechat"),
])
def test_cli_errors_exit_2(args):
    out = cli(*args)
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    assert out.stderr.strip()


def test_cli_defaults_from_another_scenario(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("tencent:\n  apps:\n    - {sdkappid: 1400000123, key: abc, admins: [root]}\n"
                 "rongcloud:\n  apps:\n    - {app_key: kkk, app_secret: sss}\n"
                 "openim:\n  tenants:\n    - {secret: s3, admins: [boss], settings: {token_expire_days: 2}}\n")
    q = dict(parse_qsl(cli("sign", "tencent", "--scenario", str(f)).stdout.strip()))
    assert (q["sdkappid"], q["identifier"]) == ("1400000123", "root")
    verify_usersig(q["usersig"], "root", "1400000123", "abc", time.time())
    lines = cli("sign", "rongcloud", "--scenario", str(f), "--nonce", "1", "--timestamp", "2").stdout.splitlines()
    import hashlib
    assert lines == ["App-Key: kkk", "Nonce: 1", "Timestamp: 2", f"Signature: {hashlib.sha1(b'sss12').hexdigest()}"]
    js = orjson.loads(cli("token", "openim", "--scenario", str(f), "--json").stdout)
    assert js["userID"] == "boss" and js["expireTimeSeconds"] == 2 * 86400


def test_cli_credentials_accepted_by_a_running_server(servers):  # noqa: F811
    s = servers()
    s.wait_listening()
    # Tencent: the printed query string, verbatim
    query = cli("sign", "tencent").stdout.strip()
    status, reply = s.request("POST", f"/v4/im_open_login_svc/account_check?{query}", b'{"CheckItem":[{"UserID":"bob"}]}')
    assert status == 200 and reply["ErrorCode"] == 0, reply
    # OpenIM: the offline admin token
    token = cli("token", "openim").stdout.strip()
    status, reply = s.request("POST", "/user/get_users_info", b'{"userIDs":["bob"]}',
                              {"operationID": "42", "token": token})
    assert reply["errCode"] == 0, reply
    # RongCloud: the header lines
    headers = dict(line.split(": ", 1) for line in cli("sign", "rongcloud").stdout.splitlines())
    status, reply = s.request("POST", "/entrust/group/create.json", b"groupId=g9&owner=bob&userIds=bob&name=g",
                              {**headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert reply["code"] == 200, reply
    # the seed-000 wrapper: its x-access-token
    jwt_token = cli("sign", "gateway").stdout.strip()
    status, reply = s.request("POST", "/im/group/createGroup", b'{"name":"g","type":"Public","ownerAccount":"leckie"}',
                              {"x-access-token": jwt_token, "Content-Type": "application/json"})
    assert reply["code"] == 0, reply
    # and the same sig checks as valid on /_emulator/tokens/check
    sig = dict(parse_qsl(query))["usersig"]
    status, reply = s.request("POST", "/_emulator/tokens/check",
                              orjson.dumps({"provider": "tencent", "tenant": str(SDKAPPID), "token": sig}),
                              {"Content-Type": "application/json"})
    assert reply["valid"] is True, reply


def test_no_subcommand_still_starts_the_server(servers):  # noqa: F811
    s = servers()
    assert s.wait_listening()


def test_help_mentions_the_credential_commands():
    out = cli("--help")
    assert "im-emulator sign" in out.stdout and "token openim" in out.stdout
    assert tencent_sig()   # the reference generator is installed for the comparisons above


# --- README "Calling it": every recipe, as pasted, against a real server ---------------------------------
def _recipes() -> list[str]:
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Calling it\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_readme_recipes_cover_every_provider_with_minted_credentials():
    recipes = _recipes()
    assert len(recipes) >= 7
    joined = "\n".join(recipes)
    for needle in ("/_emulator/credentials?provider=tencent&", "/_emulator/credentials?provider=openim&",
                   "/_emulator/credentials?provider=rongcloud&", "provider=tencent-gateway",
                   "im-emulator sign tencent", "im-emulator sign rongcloud", "im-emulator token openim",
                   "operationID", "sha1sum"):
        assert needle in joined, needle


@pytest.mark.skipif(not all(__import__("shutil").which(t) for t in ("bash", "curl", "jq", "sha1sum")),
                    reason="the recipes need bash, curl, jq and sha1sum")
def test_readme_recipes_run_as_pasted(servers):  # noqa: F811
    import os
    s = servers()
    s.wait_listening()
    env = dict(os.environ, E=s.url, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    for recipe in _recipes():
        out = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], capture_output=True, text=True,
                             env=env, timeout=60)
        assert out.returncode == 0, f"recipe failed:\n{recipe}\nstdout:\n{out.stdout}\nstderr:\n{out.stderr}"


async def test_openapi_lists_the_credentials_route(client):
    doc = await (await client.get("/_emulator/openapi.json")).json()
    assert "get" in doc["paths"]["/_emulator/credentials"]


@pytest.mark.skipif(not all(__import__("shutil").which(t) for t in ("bash", "curl")), reason="needs bash and curl")
def test_curl_command_of_every_provider_runs(servers):  # noqa: F811
    import json
    import urllib.parse
    s = servers()
    s.wait_listening()
    cases = [
        ({"provider": "tencent", "path": "/v4/im_open_login_svc/account_check",
          "body": '{"CheckItem":[{"UserID":"bob"}]}'}, lambda r: r["ErrorCode"] == 0),
        ({"provider": "tencent-gateway", "path": "/im/group/createGroup",
          "body": '{"name":"g","type":"Public","ownerAccount":"leckie"}'}, lambda r: r["code"] == 0),
        ({"provider": "openim", "path": "/user/get_users_info", "body": '{"userIDs":["bob"]}'},
         lambda r: r["errCode"] == 0 and r["data"]["usersInfo"][0]["userID"] == "bob"),
        ({"provider": "rongcloud", "path": "/entrust/group/create.json",
          "body": "groupId=q1&owner=bob&userIds=bob&name=it's"}, lambda r: r["code"] == 200),
    ]
    for params, ok in cases:
        status, body = s.get("/_emulator/credentials?" + urllib.parse.urlencode(params))
        assert status == 200, body
        out = subprocess.run(["bash", "-c", body["curl"]], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and ok(json.loads(out.stdout)), (body["curl"], out.stdout, out.stderr)
    assert s.get("/_emulator/credentials?provider=tencent&path=no-slash")[0] == 400


def test_plugin_credentials(im_emulator):
    sig = im_emulator.credentials("tencent", identifier="administrator")
    status, body = im_emulator.request("POST", "/v4/im_open_login_svc/account_check", query=sig["query"],
                                       json_body={"CheckItem": [{"UserID": "bob"}]})
    assert status == 200 and body["ErrorCode"] == 0
    oim = im_emulator.credentials("openim", "default")
    status, body = im_emulator.request("POST", "/user/get_users_info", headers=oim["headers"],
                                       json_body={"userIDs": ["bob"]})
    assert body["errCode"] == 0
    rc = im_emulator.credentials("rongcloud")
    status, body = im_emulator.request("POST", "/entrust/group/create.json", data="groupId=p1&owner=bob&userIds=bob&name=g",
                                       headers={**rc["headers"], "Content-Type": "application/x-www-form-urlencoded"})
    assert body["code"] == 200
