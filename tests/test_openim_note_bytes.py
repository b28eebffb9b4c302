"""A stored OpenIM group notification (models_messages.notify, issue 16) goes into the store as
the bytes the store would write for its content text (``_stored_text``, an orjson Fragment).
Those bytes must be exactly what serialising the text gives, for every body: random bodies
here, and one stored notification with quotes, backslashes and non-ASCII read back over HTTP."""

from __future__ import annotations

import base64
import json
import random

import orjson

from emulator.core.messages import _compact
from emulator.providers.openim.models_messages import _note_text, _stored_text
from tests.test_openim_messages import pull
from tests.test_openim_versions import im, settings, version  # noqa: F401 (fixtures)

PIECES = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "中", "\u2028", "\u2029", "😀", "/",
          "<", ">", "&", "'", "a", "Z", "0", " ", "\\u0041", "{", "}", ":", ",", "\ud7ff", "\ufffd"]


# what needs no escape inside a JSON string: bodies made of these only take the one-replace path
SAFE = [p for p in PIECES if p not in ('"', "\\", "\n", "\t", "\x00", "\x1f", "\\u0041")]


def _text(rnd: random.Random, pieces: list) -> str:
    return "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8)))


def _body(rnd: random.Random) -> dict:
    pieces = SAFE if rnd.random() < 0.5 else PIECES

    def text() -> str:
        return _text(rnd, pieces)
    return {"group": {"groupID": text(), "groupName": text(), "memberCount": rnd.randint(0, 10**6)},
            "opUser": {"userID": text(), "nickname": text(), "roleLevel": rnd.choice((0, 20, 60, 100))},
            "operationTime": rnd.randint(0, 2**62),
            "invitedUserList": [{"userID": text(), "faceURL": text()} for _ in range(rnd.randint(0, 3))]}


def test_stored_text_is_the_serialised_text_for_random_bodies():
    rnd = random.Random(16)
    plain = 0
    for _ in range(20_000):
        body = orjson.dumps(_body(rnd))
        plain += b"\\" not in body
        data = {"sendID": "imAdmin", "content": _note_text(body), "ex": ""}
        assert _compact({**data, "content": _stored_text(body)}) == _compact(data), body
    assert plain > 5000      # the one-replace path is exercised, not only the fallback


async def test_invite_notification_read_back_with_quotes_and_non_ascii(im):
    name = 'a "quoted" \\ name, 中文 😀'
    data = await im.ok("/group/create_group", {"ownerUserID": "leckie", "memberUserIDs": ["bob"],
                                               "groupInfo": {"groupType": 2, "groupName": name}})
    gid = data["groupInfo"]["groupID"]
    await im.ok("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]})
    msgs = await pull(im, "leckie", f"sg_{gid}")
    assert [m["contentType"] for m in msgs] == [1501, 1509]
    text = base64.b64decode(msgs[1]["content"]).decode()
    tips = json.loads(json.loads(text)["detail"])
    assert tips["group"]["groupName"] == name and tips["invitedUserList"][0]["userID"] == "jared"
    # the text is the server's: compact JSON of the tips, wrapped as {"detail": <that text>}
    assert text == _note_text(orjson.dumps(tips))
