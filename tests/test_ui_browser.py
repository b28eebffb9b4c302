"""The inspector page in a real browser: Debian's chromium, headless, driven by selenium through
Debian's chromium-driver (no browser download). The emulator runs as users run it
(``python -m emulator --port 0``) on loopback; provider calls are signed as real clients sign.

Skips, saying why, only when no chromium + chromedriver pair is installed."""

from __future__ import annotations

import http.server
import json
import os
import threading
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.rongcloud_support import rc_form, rc_sign
from tests.tencent_support import tencent_query

selenium = pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,  # noqa: E402
                                        WebDriverException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LISTEN_RE = re.compile(r"listening on http://([^:]+):(\d+)")
CHROMIUM = next((p for p in (os.environ.get("IMEMU_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium") if p and os.path.exists(p)), None)
DRIVER = next((p for p in (os.environ.get("IMEMU_CHROMEDRIVER"), shutil.which("chromedriver"),
                           "/usr/bin/chromedriver") if p and os.path.exists(p)), None)
WAIT_S = 15

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="no browser: install Debian's chromium and chromium-driver (apt-get install -y chromium "
           f"chromium-driver); found chromium={CHROMIUM}, chromedriver={DRIVER}")


class Emulator:
    def __init__(self, *extra: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0",
                                      "--log-level", "WARNING", *extra], cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            m = LISTEN_RE.search(line or "")
            if m:
                self.url = f"http://{m.group(1)}:{m.group(2)}"
                return
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the emulator did not start")

    def call(self, method: str, path: str, body=None, headers: dict | None = None, query: dict | None = None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        url = self.url + path + ("?" + urlencode(query) if query else "")
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def shots():
    path = Path(tempfile.mkdtemp(prefix="im-emulator-ui-"))
    print(f"\ninspector screenshots: {path}")
    return path


@pytest.fixture
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--force-prefers-reduced-motion"):
        opts.add_argument(arg)
    try:
        drv = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=opts)
    except WebDriverException as exc:
        pytest.skip(f"chromium could not be started: {exc.msg}")
    yield drv
    drv.quit()


@pytest.fixture
def emu():
    e = Emulator()
    yield e
    e.stop()


def wait(drv, cond, what: str):
    """Poll ``cond``; live refreshes re-render rows and buttons, so an element that went stale
    between finding and reading it means "try again", not a failure."""
    return WebDriverWait(drv, WAIT_S, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                         ).until(lambda d: cond(d), message=what)


def click(drv, css: str) -> None:
    """Click the element ``css`` names, finding it again if a live refresh replaced it."""
    def attempt(d):
        d.find_element(By.CSS_SELECTOR, css).click()
        return True
    wait(drv, attempt, f"click {css}")


def text(drv, css: str) -> str:
    return drv.find_element(By.CSS_SELECTOR, css).text


def click_kind(drv, kind: str) -> None:
    """Click a tenant's row-kind button; live refreshes re-render the buttons, so retry a stale one."""
    def attempt(d):
        try:
            d.find_element(By.XPATH, f'//*[@id="kind-buttons"]/button[starts-with(., "{kind}")]').click()
            return True
        except StaleElementReferenceException:
            return False
    wait(drv, attempt, f"{kind} button")


def open_page(drv, emu) -> None:
    drv.get(emu.url + "/_emulator/ui")
    wait(drv, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1", "page ready")


def tencent(emu, command: str, body: dict, service: str = "group_open_http_svc"):
    return emu.call("POST", f"/v4/{service}/{command}", body, query=tencent_query(),
                    headers={"Content-Type": "application/json"})


def test_tenants_live_group_members_journal_reset(browser, emu, shots):
    drv = browser
    open_page(drv, emu)
    # the default scenario's tenants, one table per provider
    wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-tenant="tencent/1400000000"]'), "tencent tenant")
    assert drv.find_elements(By.CSS_SELECTOR, '[data-tenant="openim/default"]')
    assert drv.find_elements(By.CSS_SELECTOR, '[data-tenant="rongcloud/uwd1c0sxdlx2"]')
    click(drv, '[aria-label="Open tencent tenant 1400000000"]')
    wait(drv, lambda d: "1400000000" in text(d, "#tenant-h"), "tenant detail")
    assert "No rows." in text(drv, "#rows-view")       # no groups yet

    # a group created through the provider API (a real UserSig) appears without a reload
    status, body = tencent(emu, "create_group", {"Owner_Account": "leckie", "Type": "Public", "Name": "ui-live",
                                                 "MemberList": [{"Member_Account": "bob"}, {"Member_Account": "tommy"}]})
    assert status == 200 and body["ErrorCode"] == 0, body
    gid = body["GroupId"]
    wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, f'#rows-view tr[data-key="{gid}"]'), "new group row")
    row = text(drv, f'#rows-view tr[data-key="{gid}"]')
    assert "ui-live" in row and "leckie" in row and "Public" in row
    # and its members, with their roles (opened from the keyboard)
    btn = drv.find_element(By.CSS_SELECTOR, f'[aria-label="Members of {gid}"]')
    btn.send_keys(Keys.ENTER)
    wait(drv, lambda d: f"Members of {gid} (3)" in text(d, "#members-h"), "members heading")
    members = text(drv, "#members-table")
    assert "leckie" in members and "Owner" in members and "bob" in members and "Member" in members

    # an error and an unknown path in the journal, filtered, and the request read back masked
    status, body = tencent(emu, "create_group", {"Owner_Account": "nobody-here", "Type": "Public", "Name": "x"})
    assert body["ErrorCode"] != 0
    code = body["ErrorCode"]
    emu.call("POST", "/v4/group_open_http_svc/no_such_command", {}, query=tencent_query())
    wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, '#journal-table tr[data-api="not_found"]'), "unknown path row")
    form = drv.find_element(By.ID, "journal-filters")
    form.find_element(By.NAME, "error").send_keys(str(code))
    Select(form.find_element(By.NAME, "provider")).select_by_value("tencent")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(drv, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#journal-table tbody tr")) == 1, "one filtered row")
    def open_only(d):   # read the one row and open it in one go (a refresh may replace it)
        only = d.find_element(By.CSS_SELECTOR, "#journal-table tbody tr")
        seen = (only.text, only.get_attribute("data-seq"))
        only.find_element(By.CSS_SELECTOR, "button").click()
        return seen
    only_text, only_seq = wait(drv, open_only, "open the filtered row")
    assert "group_open_http_svc/create_group" in only_text and str(code) in only_text
    wait(drv, lambda d: d.find_element(By.ID, "entry-detail").is_displayed(), "entry detail")
    req = json.loads(text(drv, "#entry-request"))
    assert req["body"]["Owner_Account"] == "nobody-here"
    assert req["query"]["usersig"] == "***"                 # masked as the journal masks it
    assert json.loads(text(drv, "#entry-response"))["body"]["ErrorCode"] == code
    drv.save_screenshot(str(shots / "inspector.png"))
    # Escape closes the detail and puts the focus back on the row's button
    drv.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(drv, lambda d: not d.find_element(By.ID, "entry-detail").is_displayed(), "detail closed")
    assert drv.switch_to.active_element.get_attribute("aria-label") == f"Show request {only_seq}"

    # reset from the page: the group is gone from the state and from the page
    Select(drv.find_element(By.ID, "reset-scope")).select_by_value("tencent/1400000000")
    drv.find_element(By.CSS_SELECTOR, "#reset-form button[type=submit]").click()
    wait(drv, lambda d: "reset tencent/1400000000" in text(d, "#status"), "reset done")
    wait(drv, lambda d: not d.find_elements(By.CSS_SELECTOR, f'#rows-view tr[data-key="{gid}"]'), "group gone")
    _, groups = emu.call("GET", "/_emulator/groups", query={"provider": "tencent", "tenant": "1400000000"})
    assert groups["total"] == 0 and groups["rows"] == []


def test_users_tokens_and_presence(browser, emu):
    drv = browser
    open_page(drv, emu)
    # a RongCloud user and token issued through the signed API (the official SDK's headers)
    status, body = emu.call("POST", "/user/getToken.json", rc_form({"userId": "ui-user", "name": "UI User"}).encode(),
                            headers={**rc_sign(), "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and body["code"] == 200, body
    click(drv, '[aria-label="Open rongcloud tenant uwd1c0sxdlx2"]')
    wait(drv, lambda d: "rongcloud / uwd1c0sxdlx2" in text(d, "#tenant-h"), "tenant detail")
    click_kind(drv, "users")
    wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, '#rows-view tr[data-key="ui-user"]'), "user row")
    assert "UI User" in text(drv, '#rows-view tr[data-key="ui-user"]')
    click_kind(drv, "tokens")
    wait(drv, lambda d: "ui-user" in text(d, "#rows-view") and "ok" in text(d, "#rows-view"), "token row")
    assert body["token"] not in drv.page_source            # whose and whether valid, never the token
    # online from the page, through POST /_emulator/presence
    form = drv.find_element(By.ID, "presence-form")
    form.find_element(By.NAME, "user").send_keys("ui-user")
    form.find_element(By.NAME, "platform").send_keys("iOS")
    form.find_element(By.CSS_SELECTOR, 'button[value="1"]').click()
    wait(drv, lambda d: "ui-user online" in text(d, "#status"), "presence set")
    _, seen = emu.call("GET", "/_emulator/presence", query={"provider": "rongcloud", "tenant": "uwd1c0sxdlx2",
                                                           "user": "ui-user"})
    assert seen["online"] is True and list(seen["platforms"]) == ["iOS"]
    click_kind(drv, "online")
    wait(drv, lambda d: "iOS" in text(d, '#rows-view tr[data-key="ui-user"]'), "presence row")
    form.find_element(By.CSS_SELECTOR, 'button[value="0"]').click()
    wait(drv, lambda d: "ui-user offline" in text(d, "#status"), "presence cleared")
    assert emu.call("GET", "/_emulator/presence", query={"provider": "rongcloud", "tenant": "uwd1c0sxdlx2",
                                                         "user": "ui-user"})[1]["online"] is False


def test_narrow_window_dark_scheme_and_controls(browser, emu, shots):
    drv = browser
    drv.set_window_size(420, 900)
    drv.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    open_page(drv, emu)
    bg = drv.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(15, 20, 25)", bg
    # nothing wider than the window
    assert drv.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    # a fault added from the page, listed by the control plane, then cleared
    form = drv.find_element(By.ID, "fault-form")
    Select(form.find_element(By.NAME, "provider")).select_by_value("openim")
    form.find_element(By.NAME, "api").send_keys("group/create_group")
    form.find_element(By.NAME, "error").send_keys("1001")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(drv, lambda d: "openim group/create_group" in text(d, "#fault-list"), "fault listed")
    _, faults = emu.call("GET", "/_emulator/faults")
    assert [(f["provider"], f["api"], f["error"]) for f in faults["faults"]] == [("openim", "group/create_group", 1001)]
    drv.find_element(By.ID, "faults-clear").click()
    wait(drv, lambda d: "No faults." in text(d, "#fault-list"), "faults cleared")
    assert emu.call("GET", "/_emulator/faults")[1]["faults"] == []
    # the clock frozen, advanced and back to real time
    drv.find_element(By.ID, "clock-freeze").click()
    wait(drv, lambda d: "frozen" in text(d, "#clock-now"), "clock frozen")
    before = emu.call("GET", "/_emulator/clock")[1]["now"]
    drv.find_element(By.CSS_SELECTOR, "#clock-form button[type=submit]").click()
    wait(drv, lambda d: emu.call("GET", "/_emulator/clock")[1]["now"] == before + 60, "advanced 60 s")
    drv.find_element(By.ID, "clock-real").click()
    wait(drv, lambda d: "real time" in text(d, "#clock-now"), "clock real")
    # a shipped scenario loaded from the page replaces the tenants
    Select(drv.find_element(By.ID, "scenario-name")).select_by_visible_text("empty")
    drv.find_element(By.CSS_SELECTOR, "#scenario-form button[type=submit]").click()
    wait(drv, lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-tenant="tencent/1400000000"]'), "tenants gone")
    drv.save_screenshot(str(shots / "inspector-narrow-dark.png"))


def test_admin_token_is_asked_for(browser, shots):
    emu = Emulator("--admin-token", "s3cret-token")
    try:
        drv = browser
        drv.get(emu.url + "/_emulator/ui")
        wait(drv, lambda d: d.find_element(By.ID, "token-form").is_displayed(), "token form")
        assert not drv.find_elements(By.CSS_SELECTOR, "[data-tenant]")
        drv.find_element(By.ID, "token-input").send_keys("s3cret-token", Keys.ENTER)
        wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-tenant="openim/default"]'), "tenants after token")
    finally:
        emu.stop()


def test_group_conversation_newest_last_with_marks(browser, emu):
    drv = browser
    status, body = tencent(emu, "create_group", {"Owner_Account": "leckie", "Type": "Public", "Name": "talk",
                                                 "MemberList": [{"Member_Account": "bob"}]})
    gid = body["GroupId"]
    for i, words in enumerate(("first words", "second words", "third words"), 1):
        _, sent = tencent(emu, "send_group_msg", {"GroupId": gid, "From_Account": "leckie", "Random": i,
                                                  "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": words}}]})
        assert sent["ErrorCode"] == 0, sent
    _, recalled = tencent(emu, "group_msg_recall", {"GroupId": gid, "MsgSeqList": [{"MsgSeq": 1}]})
    assert recalled["ErrorCode"] == 0, recalled
    open_page(drv, emu)
    click(drv, '[aria-label="Open tencent tenant 1400000000"]')
    wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, f'#rows-view tr[data-key="{gid}"]'), "group row")
    drv.find_element(By.CSS_SELECTOR, f'[aria-label="Messages of group:{gid}"]').send_keys(Keys.ENTER)
    wait(drv, lambda d: "(3 messages" in text(d, "#conversation-h"), "conversation heading")
    rows = wait(drv, lambda d: [(tr.text, tr.get_attribute("class"))
                                for tr in d.find_elements(By.CSS_SELECTOR, "#messages-table tbody tr")],
                "message rows")
    assert ["first words" in rows[0][0], "third words" in rows[-1][0]] == [True, True]   # newest last
    assert rows[0][1] == "recalled" and "recalled" in rows[0][0]
    assert rows[-1][1] in ("", None)
    # a message sent now appears live, at the bottom
    tencent(emu, "send_group_msg", {"GroupId": gid, "From_Account": "bob", "Random": 9,
                                    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "live one"}}]})
    wait(drv, lambda d: "live one" in d.find_elements(By.CSS_SELECTOR, "#messages-table tbody tr")[-1].text, "live message")
    # as a user outside the group sees it: nothing
    form = drv.find_element(By.ID, "as-user-form")
    form.find_element(By.NAME, "user").send_keys("jared", Keys.ENTER)
    wait(drv, lambda d: "as jared sees it" in text(d, "#conversation-h"), "as jared")
    assert "(0 messages" in text(drv, "#conversation-h")
    form.find_element(By.NAME, "user").clear()
    form.find_element(By.NAME, "user").send_keys("bob", Keys.ENTER)
    wait(drv, lambda d: "as bob sees it" in text(d, "#conversation-h"), "as bob")
    assert "(4 messages" in text(drv, "#conversation-h")


class Receiver(http.server.BaseHTTPRequestHandler):
    """The app's server for Tencent callbacks: answers every one with success."""
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_callback_delivery_appears_live(browser, emu):
    drv = browser
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/im-callback"
        status, cfg = emu.call("PUT", "/_emulator/callbacks/config",
                               {"provider": "tencent", "tenant": "1400000000", "url": url, "commands": "all",
                                "token": "cb-signing-token"},
                               headers={"Content-Type": "application/json"})
        assert status == 200, cfg
        open_page(drv, emu)
        wait(drv, lambda d: d.find_element(By.ID, "callbacks").is_displayed(), "callbacks section")
        # the tenant's settings show its callback configuration
        click(drv, '[aria-label="Open tencent tenant 1400000000"]')
        wait(drv, lambda d: url in d.find_element(By.ID, "tenant-settings").get_attribute("textContent"), "config")
        assert "cb-signing-token" not in drv.page_source      # masked as the journal masks secrets
        _, body = tencent(emu, "create_group", {"Owner_Account": "leckie", "Type": "Public", "Name": "cb"})
        assert body["ErrorCode"] == 0, body
        after = "Group.CallbackAfterCreateGroup"
        wait(drv, lambda d: any(after in tr.text and "delivered" in tr.text
                                for tr in d.find_elements(By.CSS_SELECTOR, "#callback-table tbody tr")), "delivery")
        def open_delivery(d):
            row = next(tr for tr in d.find_elements(By.CSS_SELECTOR, "#callback-table tbody tr") if after in tr.text)
            row.find_element(By.CSS_SELECTOR, "button").click()
            return True
        wait(drv, open_delivery, "open the delivery")
        wait(drv, lambda d: d.find_element(By.ID, "delivery-detail").is_displayed(), "delivery detail")
        detail = json.loads(text(drv, "#delivery-json"))
        assert detail["body"]["CallbackCommand"] == after and detail["body"]["GroupId"] == body["GroupId"]
        assert detail["outcome"] == "delivered" and detail["url"].startswith(url)
        # filtered to another command: the row goes
        form = drv.find_element(By.ID, "callback-filters")
        form.find_element(By.NAME, "command").send_keys("Group.CallbackAfterGroupDestroyed", Keys.ENTER)
        wait(drv, lambda d: "No rows." in text(d, "#callback-table"), "filtered out")
    finally:
        server.shutdown()
        server.server_close()
