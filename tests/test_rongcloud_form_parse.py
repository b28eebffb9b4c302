"""RongCloud's form parser (provider._parse_qsl, a faster path for bodies with %-escapes) must
read every body exactly as urllib's parse_qsl(keep_blank_values=True) does."""

import random
from urllib.parse import parse_qsl

from emulator.providers.rongcloud.provider import _parse_qsl

PIECES = ["%", "+", "=", "&", "a", "Z", "0", "%E4", "%B8", "%AD", "é", "中", "%2", "%G1", "%ff", "%C3",
          "\u00a9", ";", " ", "%25", "%2B", "%26", "%3D", "😀", "%F0%9F", "%80", "%ED%A0%80", "%00"]


def test_same_pairs_as_parse_qsl_on_random_forms():
    rnd = random.Random(16)
    for _ in range(20_000):
        text = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 16)))
        assert _parse_qsl(text) == parse_qsl(text, keep_blank_values=True), text


def test_message_body():
    text = "fromUserId=bu0&toGroupId=br&objectName=RC%3ATxtMsg&content=%7B%22content%22%3A%22a+b%20%E4%B8%AD%22%7D"
    assert _parse_qsl(text) == [("fromUserId", "bu0"), ("toGroupId", "br"), ("objectName", "RC:TxtMsg"),
                                ("content", '{"content":"a b 中"}')]
