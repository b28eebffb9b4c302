"""Per provider: the bench tenant (rate limit off), how a real client signs, and the loads.

Names shared by every provider's bench tenant:
- users ``bu0`` .. ``bu{U-1}`` plus the owner ``bowner``;
- write groups ``bg0`` .. ``bg{G-1}`` (owner only at start): write request k adds user
  ``bu{k // G % U}`` to group ``bg{k % G}``, so every request until G*U is a new membership, and
  no group grows past U+1 members (well under every provider's cap);
- the read group ``br`` with ``bowner`` and ``bu0`` .. ``bu{READ_MEMBERS-1}``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

from bench.common import http
from bench.loadgen import Load

READ_MEMBERS = 20
OWNER = "bowner"

TENCENT_APP = 1400123456
TENCENT_KEY = "b3b5e3e3c4d1f0a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5"
TENCENT_ADMIN = "administrator"
OPENIM_SECRET = "benchSecret123"
OPENIM_ADMIN = "imAdmin"
RC_KEY = "benchappkey1"
RC_SECRET = "benchSecret99"


def users(n: int) -> list[str]:
    return [f"bu{i}" for i in range(n)]


# --- Tencent ------------------------------------------------------------------------------------
class Tencent:
    name = "tencent"
    read_api = "get_group_info"
    write_api = "add_group_member"

    @staticmethod
    def section(n_users: int, n_groups: int) -> dict:
        groups = [{"GroupId": f"bg{i}", "Type": "Public", "Name": f"bench {i}", "Owner_Account": OWNER}
                  for i in range(n_groups)]
        groups.append({"GroupId": "br", "Type": "Public", "Name": "bench read", "Owner_Account": OWNER,
                       "MemberList": [{"Member_Account": u} for u in users(READ_MEMBERS)]})
        return {"apps": [{
            "sdkappid": TENCENT_APP, "key": TENCENT_KEY, "admins": [TENCENT_ADMIN],
            "rate_limit": 0,   # 0 = no limit (core/ratelimit.py)
            "accounts": [{"UserID": u} for u in [OWNER, *users(n_users)]],
            "groups": groups,
        }]}

    @staticmethod
    def auth(host: str, port: int) -> dict:
        """UserSig from tls-sig-api-v2, signed once and reused, as server SDKs do."""
        import TLSSigAPIv2

        sig = TLSSigAPIv2.TLSSigAPIv2(TENCENT_APP, TENCENT_KEY).gen_sig(TENCENT_ADMIN, 86400)
        query = (f"sdkappid={TENCENT_APP}&identifier={TENCENT_ADMIN}&usersig={sig}"
                 f"&random={secrets.randbelow(2**32)}&contenttype=json")
        return {"query": query, "headers": {"Content-Type": "application/json"}}

    @staticmethod
    def read_load(a: dict) -> Load:
        return Load("tencent get_group_info", f"/v4/group_open_http_svc/get_group_info?{a['query']}",
                    [a["headers"]], json.dumps({"GroupIdList": ["br"]}, separators=(",", ":")),
                    ['"ActionStatus":"OK"', f'"MemberNum":{READ_MEMBERS + 1}'])

    @staticmethod
    def write_load(a: dict, groups: int, n_users: int) -> Load:
        body = '{"GroupId":"bg%G%","Silence":1,"MemberList":[{"Member_Account":"bu%U%"}]}'
        return Load("tencent add_group_member", f"/v4/group_open_http_svc/add_group_member?{a['query']}",
                    [a["headers"]], body, ['"ActionStatus":"OK"', '"Result":1'], groups, n_users)


# --- OpenIM -------------------------------------------------------------------------------------
class OpenIM:
    name = "openim"
    read_api = "get_groups_info"
    write_api = "invite_user_to_group"

    @staticmethod
    def section(n_users: int, n_groups: int) -> dict:
        groups = [{"groupID": f"bg{i}", "groupName": f"bench {i}", "ownerUserID": OWNER}
                  for i in range(n_groups)]
        groups.append({"groupID": "br", "groupName": "bench read", "ownerUserID": OWNER,
                       "memberUserIDs": users(READ_MEMBERS)})
        return {"tenants": [{
            "secret": OPENIM_SECRET, "admins": [OPENIM_ADMIN],
            "settings": {"rate_limit": 0},   # 0 = no limit
            "users": [{"userID": u} for u in [OWNER, *users(n_users)]],
            "groups": groups,
        }]}

    @staticmethod
    def auth(host: str, port: int) -> dict:
        """An admin token from /auth/get_admin_token, fetched once, as the server SDKs do."""
        status, body = http(host, port, "POST", "/auth/get_admin_token",
                            {"secret": OPENIM_SECRET, "userID": OPENIM_ADMIN},
                            {"operationID": "bench-token", "Content-Type": "application/json"})
        reply = json.loads(body)
        if status != 200 or reply.get("errCode") != 0:
            raise RuntimeError(f"openim get_admin_token failed: {status} {body[:300]!r}")
        return {"headers": {"operationID": "bench-op", "token": reply["data"]["token"],
                            "Content-Type": "application/json"}}

    @staticmethod
    def read_load(a: dict) -> Load:
        return Load("openim get_groups_info", "/group/get_groups_info", [a["headers"]],
                    json.dumps({"groupIDs": ["br"]}, separators=(",", ":")),
                    ['"errCode":0', '"groupID":"br"'])

    @staticmethod
    def write_load(a: dict, groups: int, n_users: int) -> Load:
        body = '{"groupID":"bg%G%","reason":"","invitedUserIDs":["bu%U%"]}'
        return Load("openim invite_user_to_group", "/group/invite_user_to_group", [a["headers"]],
                    body, ['"errCode":0'], groups, n_users)


# --- RongCloud ----------------------------------------------------------------------------------
def rc_headers(nonce: str | None = None, ts: str | None = None) -> dict:
    """App-Key, Nonce, Timestamp (ms) and Signature = hex(SHA1(secret + nonce + timestamp))."""
    nonce = nonce or str(secrets.randbelow(10**9))
    ts = ts or str(int(time.time() * 1000))
    sig = hashlib.sha1((RC_SECRET + nonce + ts).encode()).hexdigest()
    return {"App-Key": RC_KEY, "Nonce": nonce, "Timestamp": ts, "Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded"}


class RongCloud:
    name = "rongcloud"
    read_api = "entrust profile/query"
    write_api = "entrust join"
    POOL = 256   # signatures per run, rotated (each request carries a real, valid signature)

    @staticmethod
    def section(n_users: int, n_groups: int) -> dict:
        groups = [{"groupId": f"bg{i}", "name": f"bench{i}", "owner": OWNER} for i in range(n_groups)]
        groups.append({"groupId": "br", "name": "benchread", "owner": OWNER,
                       "members": users(READ_MEMBERS)})
        # RongCloud users need no registration: a user exists by being a member.
        return {"apps": [{"app_key": RC_KEY, "app_secret": RC_SECRET, "rate_limit": 0,
                          "groups": groups}]}

    @staticmethod
    def auth(host: str, port: int) -> dict:
        return {"pool": [rc_headers() for _ in range(RongCloud.POOL)]}

    @staticmethod
    def read_load(a: dict) -> Load:
        return Load("rongcloud profile/query", "/entrust/group/profile/query.json", a["pool"],
                    "groupIds=br", ['"code":200', '"groupId":"br"'])

    @staticmethod
    def write_load(a: dict, groups: int, n_users: int) -> Load:
        return Load("rongcloud join", "/entrust/group/join.json", a["pool"],
                    "groupId=bg%G%&userIds=bu%U%", ['"code":200'], groups, n_users)


CLIENTS = {"tencent": Tencent, "openim": OpenIM, "rongcloud": RongCloud}


def scenario(providers: list[str], n_users: int, n_groups: int) -> dict:
    doc = {"description": f"bench: {n_users} users, {n_groups} write groups, rate limits off"}
    for p in providers:
        doc[p] = CLIENTS[p].section(n_users, n_groups)
    return doc
