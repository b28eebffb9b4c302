"""Durable state (--data-dir, core/persist.py) and the state file, run as users run them: real
processes, kill -9, SIGTERM under load, broken files and disks. Requests are signed as real clients
sign (tls-sig-api-v2 UserSigs, OpenIM tokens from /auth, RongCloud SHA1 headers)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from emulator.app import RUNTIME, create_app
from emulator.settings import Settings
from tests.openim_support import get_admin_token, openim_call
from tests.rongcloud_support import rc_post
from tests.tencent_support import KEY, tencent_call

LINE = re.compile(r"listening on (http://\S+)")
TENCENT_APP, RC_APP, OPENIM_TENANT = "1400000000", "uwd1c0sxdlx2", "openIM123"


class Proc:
    """One `python -m emulator` process; its URL from the printed line."""

    def __init__(self, tmp_path: Path, *args: str, preexec=None) -> None:
        self.err_path = tmp_path / f"stderr-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMEMU_")}
        with self.err_path.open("wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "emulator", "--port", "0", *args],
                                         stdout=subprocess.PIPE, stderr=err, text=True, env=env,
                                         cwd=tmp_path, preexec_fn=preexec)
        line = self.proc.stdout.readline()
        m = LINE.search(line)
        if not m:
            self.proc.wait(timeout=30)
            raise AssertionError(f"no listening line (rc {self.proc.returncode}): {self.stderr()}")
        self.url = m.group(1)

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def term(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def procs(tmp_path):
    started: list[Proc] = []

    def start(*args: str, **kw) -> Proc:
        p = Proc(tmp_path, *args, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        p.close()


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMEMU_")}
    return subprocess.run([sys.executable, "-m", "emulator", "--port", "0", *args], capture_output=True,
                          text=True, timeout=60, env=env, cwd=tmp_path)


# --- one write per provider, signed as its clients sign ----------------------------------------
class Writer:
    """Writes that each leave a visible id in the state dump; ``acked`` lists the answered ones."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.s = session
        self.acked: list[str] = []
        self.token: str | None = None

    async def login(self) -> None:
        self.token = await get_admin_token(self.s)
        await unlimited(self.s)

    async def write(self, i: int) -> bool:
        kind = i % 3
        if kind == 0:
            gid = f"dur-t{i}"
            r = await tencent_call(self.s, "create_group", {"Owner_Account": "administrator", "Type": "Public",
                                                            "Name": f"n{i}", "GroupId": gid})
            ok = r["ErrorCode"] == 0
        elif kind == 1:
            gid = f"dur-o{i}"
            _, r = await openim_call(self.s, "/group/create_group", {
                "groupInfo": {"groupID": gid, "groupName": f"n{i}", "groupType": 2},
                "ownerUserID": "imAdmin"}, token=self.token)
            ok = r["errCode"] == 0
        else:
            gid = f"dur-r{i}"
            _, r = await rc_post(self.s, "/group/create.json", {"userId": ["u1", "u2"], "groupId": gid,
                                                                 "groupName": f"n{i}"})
            ok = r["code"] == 200
        if ok:
            self.acked.append(gid)
        else:
            self.last_error = r
        return ok


async def unlimited(session) -> None:
    """The documented per-API rate limits (RongCloud 100/s, Tencent's) would refuse these bursts: lift it (a
    scenario merge, itself a logged control-plane change)."""
    async with session.post("/_emulator/scenario?mode=merge", json={
            "rongcloud": {"apps": [{"app_key": RC_APP, "app_secret": "Y1W2MeFwwwRxa0", "rate_limit": 0}]},
            "tencent": {"apps": [{"sdkappid": int(TENCENT_APP), "key": KEY, "admins": ["administrator"],
                                  "rate_limit": 0}]}}) as r:
        assert r.status == 200, await r.text()


async def state_of(session) -> dict:
    async with session.get("/_emulator/state") as r:
        assert r.status == 200
        return await r.json()


async def check_clean(session) -> None:
    async with session.get("/_emulator/state/check") as r:
        body = await r.json()
    assert r.status == 200 and body["ok"], body


# --- kill -9 ---------------------------------------------------------------------------------------
async def test_kill9_keeps_1000_acknowledged_writes_and_control_changes(procs, tmp_path):
    data = tmp_path / "data"
    # small snapshot interval: the restart reads snapshots and replays a tail
    p = procs("--data-dir", str(data), "--snapshot-every", "150")
    async with aiohttp.ClientSession(base_url=p.url) as s:
        w = Writer(s)
        await w.login()
        queue = list(range(1000))

        async def worker():
            while queue:
                assert await w.write(queue.pop()), w.last_error

        async def reader():   # reads are not logged: they must not disturb the replay
            for _ in range(30):
                await tencent_call(s, "get_group_info", {"GroupIdList": ["dur-t0"]})
                await asyncio.sleep(0.01)

        await asyncio.gather(*(worker() for _ in range(20)), reader())
        # failed writes are logged too (they reached the handler) and change nothing at replay
        assert not await w.write(0)      # the same GroupId again: refused
        # control-plane changes: a fault, a tenant reset, the clock (UserSigs signed at the wall
        # clock are expired at the advanced clock: replay must not authenticate)
        async with s.post("/_emulator/faults", json={"provider": "tencent", "api": "group_open_http_svc/destroy_group",
                                                     "error": 10010, "times": 0}) as r:
            assert r.status == 201
        async with s.post("/_emulator/reset?provider=rongcloud&tenant=" + RC_APP) as r:
            assert r.status == 200
        assert await w.write(2002)       # a rongcloud write after its reset
        async with s.post("/_emulator/clock", json={"advance_s": 5 * 86400}) as r:
            assert r.status == 200
        before = await state_of(s)
        faults = await (await s.get("/_emulator/faults")).json()
        clock = await (await s.get("/_emulator/clock")).json()
    p.kill9()

    p = procs("--data-dir", str(data), "--snapshot-every", "150")
    async with aiohttp.ClientSession(base_url=p.url) as s:
        after = await state_of(s)
        await check_clean(s)
        assert after == before
        text = json.dumps(after)
        rc_after_reset = [g for g in w.acked if g.startswith("dur-r") and int(g[5:]) < 1000]
        kept = [g for g in w.acked if g not in rc_after_reset]
        assert len(w.acked) == 1001 and all(f'"{g}"' in text for g in kept)
        assert not any(f'"{g}"' in text for g in rc_after_reset)   # the reset is durable too
        assert (await (await s.get("/_emulator/faults")).json()) == faults
        now = (await (await s.get("/_emulator/clock")).json())
        assert now["mode"] == clock["mode"] and now["offset_s"] == clock["offset_s"] == 5 * 86400


async def test_sync_full_and_restart_after_a_clean_stop(procs, tmp_path):
    data = tmp_path / "data"
    p = procs("--data-dir", str(data), "--sync", "full")
    async with aiohttp.ClientSession(base_url=p.url) as s:
        w = Writer(s)
        await w.login()
        for i in range(30):
            assert await w.write(i)
        before = await state_of(s)
    assert p.term() == 0
    db = sqlite3.connect(data / "state.db")
    assert db.execute("SELECT count(*) FROM log").fetchone()[0] == 0   # the exit wrote a snapshot
    db.close()
    p = procs("--data-dir", str(data))
    async with aiohttp.ClientSession(base_url=p.url) as s:
        assert await state_of(s) == before


# --- a database that cannot be trusted is refused -----------------------------------------------
@pytest.fixture
def saved_db(procs, tmp_path) -> Path:
    data = tmp_path / "data"
    p = procs("--data-dir", str(data))
    async def fill():
        async with aiohttp.ClientSession(base_url=p.url) as s:
            w = Writer(s)
            await w.login()
            for i in range(300):
                await w.write(i)
    asyncio.run(fill())
    assert p.term() == 0
    return data


def _truncate(db: Path) -> None:
    raw = db.read_bytes()
    db.write_bytes(raw[: len(raw) // 2])


def _scribble(db: Path) -> None:
    raw = bytearray(db.read_bytes())
    for off in range(4096, len(raw), 4096):    # every page after the first
        raw[off + 8: off + 64] = b"\xff" * 56
    db.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", ["truncate", "scribble", "empty", "text"])
def test_damaged_database_is_refused_and_left_alone(saved_db, tmp_path, damage):
    db = saved_db / "state.db"
    {"truncate": _truncate, "scribble": _scribble, "empty": lambda f: f.write_bytes(b""),
     "text": lambda f: f.write_text("not a database at all " * 20)}[damage](db)
    raw = db.read_bytes()
    r = run_cli(tmp_path, "--data-dir", str(saved_db))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert str(db) in lines[0] and "refusing to start" in lines[0]
    assert db.read_bytes() == raw   # never emptied, never rewritten


def test_a_second_emulator_on_the_same_directory_is_refused(procs, tmp_path):
    procs("--data-dir", str(tmp_path / "data"))
    r = run_cli(tmp_path, "--data-dir", str(tmp_path / "data"))
    assert r.returncode == 2 and "in use by another process" in r.stderr and "Traceback" not in r.stderr


def test_unwritable_data_dir_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_cli(tmp_path, "--data-dir", str(blocker / "data"))
    assert r.returncode == 2 and "cannot create data directory" in r.stderr and "Traceback" not in r.stderr


# --- a disk that refuses writes: the provider's internal error, nothing applied -----------------
@pytest.fixture
def durable_settings(tmp_path) -> Settings:
    return Settings(port=0, data_dir=tmp_path / "data")


async def test_read_only_database_answers_internal_error_and_applies_nothing(aiohttp_client, durable_settings):
    client = await aiohttp_client(create_app(durable_settings))
    rt = client.app[RUNTIME]
    w = Writer(client)
    await w.login()
    assert await w.write(0) and await w.write(1) and await w.write(2)
    before = rt.dump_state()
    rt.store.conn.execute("PRAGMA query_only = ON")     # SQLite now refuses every write

    r = await tencent_call(client, "create_group", {"Owner_Account": "administrator", "Type": "Public",
                                                    "Name": "x", "GroupId": "ro-t"})
    assert (r["ActionStatus"], r["ErrorCode"]) == ("FAIL", 10002)
    r = await tencent_call(client, "im_open_login_svc/account_import", {"UserID": "ro-user"})
    assert r["ErrorCode"] == 70500
    _, r = await openim_call(client, "/group/create_group", {
        "groupInfo": {"groupID": "ro-o", "groupName": "x", "groupType": 2}, "ownerUserID": "imAdmin"},
        token=w.token)
    assert r["errCode"] == 500
    status, r = await rc_post(client, "/group/create.json", {"userId": "u1", "groupId": "ro-r", "groupName": "x"})
    assert r["code"] == 1000
    resp = await client.post(f"/_emulator/reset?provider=tencent&tenant={TENCENT_APP}")
    assert resp.status == 500 and "cannot write" in (await resp.json())["error"]
    # reads are not logged and still work
    r = await tencent_call(client, "get_group_info", {"GroupIdList": ["dur-t0"]})
    assert r["GroupInfo"][0]["ErrorCode"] == 0
    assert rt.dump_state() == before

    rt.store.conn.execute("PRAGMA query_only = OFF")    # the disk is back: writes work again
    assert await w.write(3)


def _file_size_limit(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))   # Python ignores SIGXFSZ: EFBIG
    return apply


def test_full_disk_answers_internal_error_and_a_restart_keeps_what_was_answered(procs, tmp_path):
    data = tmp_path / "data"
    p = procs("--data-dir", str(data), preexec=_file_size_limit(400_000))
    failed_at = None

    async def fill() -> list[str]:
        nonlocal failed_at
        async with aiohttp.ClientSession(base_url=p.url) as s:
            w = Writer(s)
            await w.login()
            for i in range(3, 6000, 3):    # rongcloud writes
                _, r = await rc_post(s, "/group/create.json", {"userId": "u1", "groupId": f"full{i}",
                                                                "groupName": "x"})
                if r["code"] != 200:
                    assert r == {"code": 1000, "errorMessage": r["errorMessage"]}
                    failed_at = i
                    break
                w.acked.append(f"full{i}")
            r = await tencent_call(s, "get_group_info", {"GroupIdList": ["x"]})   # reads still work
            assert r["ActionStatus"] == "OK"
            return w.acked

    acked = asyncio.run(fill())
    assert failed_at is not None, "the file size limit was never reached"
    assert "cannot write to" in p.stderr()
    p.kill9()
    p = procs("--data-dir", str(data))

    async def check():
        async with aiohttp.ClientSession(base_url=p.url) as s:
            text = json.dumps(await state_of(s))
            await check_clean(s)
            assert all(f'"{g}"' in text for g in acked)
            assert f'"full{failed_at}"' not in text

    asyncio.run(check())


# --- SIGTERM under load -------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["state-file", "data-dir"])
def test_sigterm_under_load_loses_no_answered_write(procs, tmp_path, mode):
    store = ["--state-file", str(tmp_path / "state.json")] if mode == "state-file" else \
        ["--data-dir", str(tmp_path / "data")]
    p = procs(*store)
    acked: list[str] = []

    async def load():
        async with aiohttp.ClientSession(base_url=p.url) as s:
            await unlimited(s)
            # a delay fault keeps requests in flight when the signal arrives
            async with s.post("/_emulator/faults", json={"provider": "rongcloud", "api": "group/join",
                                                         "delay_ms": 300, "times": 0}) as r:
                assert r.status == 201
            stop = time.monotonic() + 1.5
            counter = iter(range(1 << 30))

            async def writer(n: int):
                while True:
                    i = next(counter)
                    path = "/group/join.json" if n % 4 == 0 else "/group/create.json"
                    try:
                        _, r = await rc_post(s, path, {"userId": "u1", "groupId": f"st{i}", "groupName": "x"})
                    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                        return
                    if r.get("code") == 200:
                        acked.append(f"st{i}")
                    if time.monotonic() > stop + 10:
                        return

            async def killer():
                await asyncio.sleep(1.5)
                p.proc.send_signal(signal.SIGTERM)

            await asyncio.gather(killer(), *(writer(n) for n in range(40)))

    asyncio.run(load())
    assert p.proc.wait(timeout=30) == 0, p.stderr()
    assert len(acked) > 100
    p = procs(*store)

    async def check():
        async with aiohttp.ClientSession(base_url=p.url) as s:
            groups = (await state_of(s))["rongcloud"][RC_APP]["groups"]
            ids = {g["groupId"] for g in groups}
            missing = [g for g in acked if g not in ids]
            assert not missing, f"{len(missing)} of {len(acked)} answered writes lost: {missing[:5]}"
            await check_clean(s)

    asyncio.run(check())


# --- state files ----------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["[]", "null", "{}", '"text"', '{"state": []}', '{"state": {"nope": {}}}',
                                     '{"state": {"tencent": []}}', '{"state": {"tencent": {"1": 5}}}',
                                     '{"state": {"tencent": {"1": {}}}}', "", "{"])
def test_bad_state_file_is_refused_in_one_line(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_text(content)
    r = run_cli(tmp_path, "--state-file", str(path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("im-emulator: ") and str(path) in lines[0]
    assert path.read_text() == content    # left as it was


def test_state_file_that_cannot_be_written_at_exit_says_so_and_saves_elsewhere(procs, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    target = blocker / "state.json"
    p = procs("--state-file", str(target))
    async def write():
        async with aiohttp.ClientSession(base_url=p.url) as s:
            _, r = await rc_post(s, "/group/create.json", {"userId": "u1", "groupId": "kept", "groupName": "x"})
            assert r["code"] == 200
    asyncio.run(write())
    assert p.term() == 1
    err = p.stderr()
    assert f"cannot write state file {target}" in err and "cannot listen" not in err
    fallback = Path(re.search(r"state saved to (\S+) instead", err).group(1))
    try:
        saved = json.loads(fallback.read_text())
        assert any(g["groupId"] == "kept" for g in saved["state"]["rongcloud"][RC_APP]["groups"])
    finally:
        fallback.unlink()


def test_state_file_is_streamed_and_loads_back(aiohttp_client, tmp_path):
    path = tmp_path / "s.json"
    rt = create_app(Settings(port=0)).__getitem__(RUNTIME)
    rt.save_state_file(path)
    assert json.loads(path.read_text())["state"] == rt.dump_state()
    rt2 = create_app(Settings(port=0, state_file=path))[RUNTIME]
    assert rt2.dump_state() == rt.dump_state()


async def test_control_plane_changes_survive_without_a_clean_stop(aiohttp_client, durable_settings):
    """A second app on the same directory, the first closed without a last snapshot: what a kill -9
    leaves."""
    client = await aiohttp_client(create_app(durable_settings))
    rt = client.app[RUNTIME]
    w = Writer(client)
    await w.login()
    assert await w.write(0) and await w.write(2)
    dump = rt.dump_state()
    assert (await client.post("/_emulator/scenario", data=b"description: nothing\n")).status == 200
    assert rt.dump_state() == {"tencent": {}, "openim": {}, "rongcloud": {}}
    assert (await client.put("/_emulator/state", json=dump)).status == 200       # back, by PUT
    bad = await client.put("/_emulator/state", json={"tencent": {"1": {"nope": 1}}})
    assert bad.status == 400                                                     # refused: not logged
    assert (await client.post("/_emulator/faults", json=[
        {"provider": "openim", "api": "group/create_group", "error": 1001, "times": 0},
        {"provider": "tencent", "api": "group_open_http_svc/create_group", "delay_ms": 5}])).status == 201
    assert (await client.delete("/_emulator/faults/1")).status == 200
    assert (await client.post("/_emulator/clock", json={"freeze_at": 1_800_000_000})).status == 200
    assert (await client.post(f"/_emulator/reset?provider=tencent&tenant={TENCENT_APP}")).status == 200
    expected = rt.dump_state()
    faults = [f.as_json() for f in rt.faults.list()]
    assert expected["openim"] == dump["openim"] and expected["tencent"] != dump["tencent"]

    rt.store.close_quietly()    # no last snapshot: only what the log holds
    again = create_app(durable_settings)[RUNTIME]
    assert again.store.diverged == 0
    assert again.dump_state() == expected
    assert [f.as_json() for f in again.faults.list()] == faults
    assert again.clock.describe()["now"] == 1_800_000_000
    # reset rebuilds from the scenario the database recorded (the replace above: nothing)
    again.reset()
    assert again.dump_state() == {"tencent": {}, "openim": {}, "rongcloud": {}}


async def test_tencent_dumps_round_trip_its_app_schema(client):
    """Snapshots load Tencent tenants without AppSpec validation (tenant_from_snapshot): sound only
    while AppSpec().load(dump) == dump for every kind of state a client can make."""
    from emulator.providers.tencent.schemas_scenario import AppSpec

    async def ok(path, body):
        r = await tencent_call(client, path, body)
        assert r["ErrorCode"] == 0, r

    await ok("create_group", {
        "Owner_Account": "administrator", "Type": "Public", "Name": "n", "GroupId": "g1",
        "Introduction": "i", "Notification": "x", "FaceUrl": "http://f", "MaxMemberCount": 50,
        "ApplyJoinOption": "NeedPermission", "MemberList": [{"Member_Account": "bob", "Role": "Admin"},
                                                            {"Member_Account": "leckie"}],
        "AppDefinedData": [{"Key": "k", "Value": "v"}]})
    await ok("create_group", {"Owner_Account": "tommy", "Type": "AVChatRoom", "Name": "av"})
    await ok("import_group", {"Owner_Account": "jared", "Type": "Work", "Name": "w",
                                                "GroupId": "g2", "CreateTime": 1_700_000_000})
    await ok("import_group_member", {"GroupId": "g2", "MemberList": [
        {"Member_Account": "bob", "JoinTime": 1_700_000_100, "UnreadMsgNum": 3}]})
    await ok("forbid_send_msg", {"GroupId": "g1", "Members_Account": ["bob"], "MuteTime": 100})
    await ok("modify_group_member_info", {"GroupId": "g1", "Member_Account": "leckie",
                                                            "NameCard": "L", "MsgFlag": "AcceptNotNotify"})
    await ok("modify_group_attr", {"GroupId": "g1", "GroupAttr": [{"key": "a", "value": "b"}]})
    await ok("im_open_login_svc/account_import", {"UserID": "zed", "Nick": "Z", "FaceUrl": "u"})
    await ok("profile/portrait_set", {"From_Account": "zed", "ProfileItem": [
        {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"}]})
    await ok("im_open_login_svc/kick", {"UserID": "zed"})
    backend = client.app[RUNTIME].providers["tencent"].backend
    for tenant in [backend.tenants["1400000000"]]:   # the app the calls above changed
        dump = backend.tenant_to_json(tenant)
        assert len(dump["groups"]) >= 3
        assert AppSpec().load(json.loads(json.dumps(dump))) == json.loads(json.dumps(dump))
        assert backend.tenant_to_json(backend.tenant_from_snapshot(json.loads(json.dumps(dump)))) == dump


class CommitFails:
    """The store's connection, except that COMMIT fails as on a full disk (INSERTs succeed: SQLite
    only writes the WAL at commit)."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def execute(self, sql, *args):
        # an explicit COMMIT, or the implicit one of a write outside a transaction
        if sql == "COMMIT" or (sql.startswith("INSERT") and not self.conn.in_transaction):
            raise sqlite3.OperationalError("database or disk is full")
        return self.conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.conn, name)


async def test_a_failed_group_commit_undoes_the_whole_group(aiohttp_client, durable_settings):
    """Writes answered in one loop iteration share a commit; if it fails, every one of them is
    answered with the internal error and the state is rebuilt from the database without them."""
    client = await aiohttp_client(create_app(durable_settings))
    rt = client.app[RUNTIME]
    w = Writer(client)
    await w.login()
    assert await w.write(0)
    before = rt.dump_state()
    real = rt.store.conn
    rt.store.conn = CommitFails(real)
    results = await asyncio.gather(*(rc_post(client, "/group/create.json", {
        "userId": "u1", "groupId": f"lost{i}", "groupName": "x"}) for i in range(12)))
    assert [r["code"] for _, r in results] == [1000] * 12
    assert rt.dump_state() == before
    assert rt.store.degraded
    rt.store.conn = real                       # the disk has room again
    assert await w.write(2) and await w.write(5)
    assert not rt.store.degraded
    after = rt.dump_state()
    rt.store.close_quietly()
    again = create_app(durable_settings)[RUNTIME]
    assert again.dump_state() == after
    assert not any(f"lost{i}" in json.dumps(after) for i in range(12))


@pytest.mark.parametrize("env", [{"IMEMU_SYNC": "sometimes"}, {"IMEMU_SNAPSHOT_EVERY": "often"},
                                 {"IMEMU_SNAPSHOT_EVERY": "0"}])
def test_bad_durability_settings_exit_2(tmp_path, env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("IMEMU_")}
    r = subprocess.run([sys.executable, "-m", "emulator", "--port", "0", "--data-dir", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=60, env={**full, **env}, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.strip(), r.stderr
    assert not (tmp_path / "d").exists()


async def test_reads_are_not_logged_and_writes_are(aiohttp_client, durable_settings):
    client = await aiohttp_client(create_app(durable_settings))
    store = client.app[RUNTIME].store
    w = Writer(client)
    await w.login()

    def logged() -> int:
        return store.conn.execute("SELECT count(*) FROM log").fetchone()[0]

    n = logged()
    assert (await tencent_call(client, "get_group_info", {"GroupIdList": ["none"]}))["ActionStatus"] == "OK"
    _, r = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["none"]}, token=w.token)
    assert r["errCode"] == 0
    assert (await client.options("/group/create_group")).status == 200
    _, r = await rc_post(client, "/entrust/group/profile/query.json", {"groupIds": "none"})
    assert r["code"] == 200
    assert logged() == n
    # OpenIM's sync reads create a version document on first use: logged, and replayed
    _, r = await openim_call(client, "/group/get_full_join_group_ids", {"userID": "imAdmin", "idHash": 0},
                             token=w.token)
    assert r["errCode"] == 0
    assert await w.write(0)
    assert logged() == n + 2
