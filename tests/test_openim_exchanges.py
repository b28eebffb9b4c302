"""Runs fixtures/exchanges/openim/*.yaml through tests/openim_support.prepare_exchange_request
with the markers of the common golden-exchange format (the shared runner checks them too)."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
import yaml

from tests.openim_support import openim_settings, prepare_exchange_request

DIR = Path(__file__).resolve().parent.parent / "fixtures" / "exchanges" / "openim"
FILES = sorted(DIR.glob("*.yaml"))


@pytest.fixture
def settings():
    return openim_settings()


def substitute(value, saved):
    if isinstance(value, str):
        m = re.fullmatch(r"\{\{(\w+)\}\}", value)
        if m:
            return saved[m.group(1)]
        return re.sub(r"\{\{(\w+)\}\}", lambda mm: str(saved[mm.group(1)]), value)
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    return value


def match(expected, actual, saved, path="body"):
    if isinstance(expected, str) and expected.startswith("<<") and expected.endswith(">>"):
        marker = expected[2:-2]
        if marker == "int":
            assert isinstance(actual, int), path
        elif marker == "str":
            assert isinstance(actual, str), path
        elif marker.startswith("re:"):
            assert isinstance(actual, str) and re.fullmatch(marker[3:], actual), (path, actual)
        elif marker.startswith("save:"):
            saved[marker[5:]] = actual
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), (path, actual)
        for k, v in expected.items():
            if v == "<<absent>>":
                assert k not in actual, f"{path}.{k}"
            else:
                assert k in actual, f"{path}.{k} missing in {actual}"
                match(v, actual[k], saved, f"{path}.{k}")
        extra = set(actual) - set(expected)
        assert not extra, f"{path}: unexpected keys {extra}"
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (path, actual)
        for i, (e, a) in enumerate(zip(expected, actual)):
            match(e, a, saved, f"{path}[{i}]")
    else:
        assert expected == actual, (path, expected, actual)


@pytest.mark.parametrize("file", FILES, ids=[f.stem for f in FILES])
async def test_exchange(client, file):
    doc = yaml.safe_load(file.read_text())
    ctx: dict = {}
    saved: dict = {}
    for step in doc["steps"]:
        req = substitute(step["request"], saved)
        prepared = await prepare_exchange_request(client, req, ctx)
        resp = await client.request(prepared["method"], prepared["path"], params=prepared["params"],
                                    headers=prepared["headers"], data=prepared["data"])
        body = orjson.loads(await resp.read())
        assert resp.status == step["response"]["status"], body
        match(step["response"]["body"], body, saved)
