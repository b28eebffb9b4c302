"""The fixture's message helpers: messages(...) and wait_for_message(..., timeout=), against the
plugin's real server, with a Tencent send signed by tls-sig-api-v2 from another thread."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request

import pytest

from tests.tencent_support import tencent_query


def tencent_post(url: str, command: str, body: dict) -> dict:
    query = urllib.parse.urlencode(tencent_query())
    req = urllib.request.Request(f"{url}/v4/{command}?{query}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def text(t: str) -> list:
    return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}]


def test_messages_lists_the_store_and_pages_through_it(im_emulator):
    assert im_emulator.messages(provider="tencent") == []
    for i in range(3):
        res = tencent_post(im_emulator.url, "openim/sendmsg", {"From_Account": "leckie", "To_Account": "bob",
                                                               "MsgRandom": i, "MsgBody": text(f"m{i}")})
        assert res["ErrorCode"] == 0, res
    msgs = im_emulator.messages(provider="tencent", user="bob")
    assert [m["body"]["MsgBody"][0]["MsgContent"]["Text"] for m in msgs] == ["m0", "m1", "m2"]
    assert im_emulator.messages(provider="tencent", user="tommy") == []
    assert len(im_emulator.messages(conversation="c2c:bob:leckie")) == 3


def test_wait_for_message_sees_a_later_send(im_emulator):
    def later():
        time.sleep(0.3)
        tencent_post(im_emulator.url, "openim/sendmsg", {"To_Account": "tommy", "MsgRandom": 9,
                                                         "MsgBody": text("welcome aboard")})
    threading.Thread(target=later, daemon=True).start()
    msg = im_emulator.wait_for_message(provider="tencent", user="tommy", text="welcome", timeout=5)
    assert msg["from"] == "administrator" and msg["conversation"] == "c2c:administrator:tommy"


def test_wait_for_message_times_out(im_emulator):
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="tommy"):
        im_emulator.wait_for_message(provider="tencent", user="tommy", timeout=0.3)
    assert time.monotonic() - started >= 0.3


def test_store_is_reset_between_tests(im_emulator):
    assert im_emulator.messages() == []
