"""Fixtures and signing helpers for rongcloud tests (loaded by tests/conftest.py).

Golden-exchange ``auth:`` modes understood by ``prepare_exchange_request``:
  app (default)   signed App-Key/Nonce/Timestamp/Signature for the default app (ms timestamp)
  rc              the same with lowercase rc-* header names, as PyPI rongcloud 2.0.1 sends them
  seconds         signed with a timestamp in seconds, as the Java/Go/rc-server-sdk SDKs do
  docs            the documentation's fixed vector (nonce 14314, timestamp 1408710653000)
  none            no signature headers at all
  bad-signature   all headers present, Signature wrong
  unknown-app     correctly signed for an App-Key no scenario declares
"""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from emulator.settings import Settings, default_scenario_path

RC_APP_KEY = "uwd1c0sxdlx2"
RC_APP_SECRET = "Y1W2MeFwwwRxa0"


def rc_signature(secret: str, nonce: str, timestamp: str) -> str:
    return hashlib.sha1((secret + nonce + timestamp).encode()).hexdigest()


def rc_sign(app_key: str = RC_APP_KEY, secret: str = RC_APP_SECRET, *, nonce: str | None = None,
            timestamp: str | None = None, prefix: str = "") -> dict[str, str]:
    """The four signature headers (``prefix="RC-"`` for the RC- forms)."""
    nonce = nonce if nonce is not None else str(random.randint(0, 10 ** 9))
    timestamp = timestamp if timestamp is not None else str(int(time.time() * 1000))
    return {f"{prefix}App-Key": app_key, f"{prefix}Nonce": nonce, f"{prefix}Timestamp": timestamp,
            f"{prefix}Signature": rc_signature(secret, nonce, timestamp)}


def rc_form(form: dict | None) -> str:
    """Form-urlencode; list values become repeated keys."""
    return urlencode(form or {}, doseq=True)


async def rc_post(client, path: str, form: dict | None = None, *, headers: dict | None = None,
                  body: str | bytes | None = None, sign: bool = True, app_key: str = RC_APP_KEY,
                  secret: str = RC_APP_SECRET):
    """POST a form to ``path``; returns (HTTP status, JSON body)."""
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        hdrs.update(rc_sign(app_key, secret))
    hdrs.update(headers or {})
    data = body if body is not None else rc_form(form)
    resp = await client.post(path, data=data, headers=hdrs)
    return resp.status, await resp.json()


async def rc_call(client, path: str, form: dict | None = None, *, expect: int = 200, **kw) -> dict:
    """POST and check the body's ``code`` (``expect``); returns the JSON body."""
    status, body = await rc_post(client, path, form, **kw)
    assert body.get("code") == expect, (status, body)
    if expect == 200:
        assert status == 200, (status, body)
    return body


def rongcloud_only_scenario(tmp_dir: Path, extra: dict | None = None) -> Path:
    """The rongcloud section of fixtures/default.yaml (optionally merged with ``extra`` app keys)
    as a scenario of its own, so these tests depend on no other provider."""
    doc = yaml.safe_load(default_scenario_path().read_text(encoding="utf-8"))
    section = doc["rongcloud"]
    if extra:
        section["apps"][0].update(extra)
    path = tmp_dir / "rongcloud-only.yaml"
    path.write_text(yaml.safe_dump({"rongcloud": section}), encoding="utf-8")
    return path


@pytest.fixture
def rc_settings(tmp_path) -> Settings:
    return Settings(port=0, providers=("rongcloud",), scenario=rongcloud_only_scenario(tmp_path))


@pytest.fixture
async def rc_client(aiohttp_client, rc_settings):
    """A TestClient on a fresh rongcloud-only app (default scenario's rongcloud section)."""
    from emulator.app import create_app
    return await aiohttp_client(create_app(rc_settings))


@pytest.fixture
def rc(rc_client):
    """Bound helper: ``await rc("/entrust/group/create.json", {...}, expect=200)``."""
    async def call(path, form=None, **kw):
        return await rc_call(rc_client, path, form, **kw)
    return call


async def prepare_exchange_request(client, req: dict, ctx: dict) -> dict:
    """Turn a golden exchange request into aiohttp arguments (see the modes above)."""
    mode = req.get("auth", "app")
    headers: dict[str, str] = {}
    if "form" in req or "body" in req or "json" not in req:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if mode == "app":
        headers.update(rc_sign())
    elif mode == "rc":
        headers.update({k.lower(): v for k, v in rc_sign(prefix="RC-").items()})
    elif mode == "seconds":
        headers.update(rc_sign(timestamp=str(int(time.time()))))
    elif mode == "docs":
        headers.update(rc_sign(nonce="14314", timestamp="1408710653000"))
    elif mode == "bad-signature":
        headers.update(rc_sign())
        headers["Signature"] = "0" * 40
    elif mode == "unknown-app":
        headers.update(rc_sign("no-such-app", "whatever"))
    elif mode != "none":
        raise ValueError(f"unknown rongcloud auth mode {mode!r}")
    headers.update(req.get("headers") or {})
    if "form" in req:
        data: str | bytes | None = rc_form(req["form"])
    elif "body" in req:
        data = req["body"]
    elif "json" in req:
        import json
        data = json.dumps(req["json"])
        headers.setdefault("Content-Type", "application/json")
    else:
        data = None
    return {"method": req.get("method", "POST"), "path": req["path"], "params": req.get("query") or {},
            "headers": headers, "data": data}
