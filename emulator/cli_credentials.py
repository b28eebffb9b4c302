"""``im-emulator sign tencent|gateway|rongcloud`` and ``im-emulator token openim``: credentials
minted offline (no server needed), with defaults from a scenario file (the shipped default.yaml
unless --scenario names another), for curl and other non-Python clients. See README "Calling it".

Output is what a shell needs (a query string, header lines, a token); --json prints everything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from emulator import credentials as mint
from emulator.providers.tencent.auth import MAX_EXPIRE_S
from emulator.settings import default_scenario_path


def _tenant(scenario: Path | None, provider: str, key: str) -> dict:
    """The first tenant of ``provider`` in the scenario ({} when it declares none)."""
    from emulator.core.scenario import read_file
    doc, _ = read_file(Path(scenario) if scenario else default_scenario_path())
    items = ((doc or {}).get(provider) or {}).get(key) or []
    return items[0] if items and isinstance(items[0], dict) else {}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="im-emulator", description=(
        "Mint credentials offline. Defaults come from the scenario's first tenant of the provider."))
    sub = p.add_subparsers(dest="command", required=True)
    sign = sub.add_parser("sign", help="sign a request: tencent (UserSig), gateway (seed-000 JWT), rongcloud (headers)")
    kinds = sign.add_subparsers(dest="provider", required=True)
    t = kinds.add_parser("tencent", help="a UserSig and the signed query string")
    t.add_argument("--identifier", help="the UserID to sign for [the app's first admin]")
    t.add_argument("--sdkappid", type=int, help="[the scenario's first app]")
    t.add_argument("--key", help="the app's secret key [from the scenario]")
    t.add_argument("--expire", type=int, default=mint.DEFAULT_EXPIRE_S, help="seconds [180 days]")
    t.add_argument("--sig-only", action="store_true", help="print only the UserSig")
    g = kinds.add_parser("gateway", help="the seed-000 wrapper's x-access-token")
    g.add_argument("--username", help="[the gateway's first user]")
    g.add_argument("--secret", help="[the scenario's gateway secret]")
    g.add_argument("--expire", type=int, default=mint.GATEWAY_EXPIRE_S, help="seconds [3600]")
    r = kinds.add_parser("rongcloud", help="App-Key, Nonce, Timestamp, Signature headers")
    r.add_argument("--app-key", help="[the scenario's first app]")
    r.add_argument("--app-secret", help="[from the scenario]")
    r.add_argument("--nonce")
    r.add_argument("--timestamp", help="milliseconds or seconds [now, ms]")
    r.add_argument("--curl", action="store_true", help="print curl arguments (-H Name:value ...)")
    token = sub.add_parser("token", help="a token: openim (admin token)")
    tk = token.add_subparsers(dest="provider", required=True)
    o = tk.add_parser("openim", help="an admin token signed with the tenant secret, which the emulator accepts")
    o.add_argument("--secret", help="the tenant secret [the scenario's first tenant]")
    o.add_argument("--user", help="the admin userID [the tenant's first admin]")
    o.add_argument("--expire-days", type=int, help="[the tenant's token_expire_days, 90]")
    for leaf in (t, g, r, o):
        leaf.add_argument("--scenario", type=Path, help="scenario YAML for the defaults [the shipped default.yaml]")
        leaf.add_argument("--json", action="store_true", help="print every field as JSON")
    return p


def run(argv: list[str]) -> int:
    from emulator.core.errors import ScenarioError
    p = _parser()
    a = p.parse_args(argv)
    try:
        out, text = _mint(p, a, time.time())
    except ScenarioError as exc:
        print(f"im-emulator: invalid scenario\n{exc}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(out, indent=2, ensure_ascii=False) if a.json else text, flush=True)
    except BrokenPipeError:   # `| head`: the reader has what it wanted
        pass
    return 0


def _mint(p: argparse.ArgumentParser, a, now: float) -> tuple[dict, str]:
    if a.command == "sign" and a.provider == "tencent":
        app = _tenant(a.scenario, "tencent", "apps") if not (a.sdkappid and a.key) else {}
        sdkappid = a.sdkappid or app.get("sdkappid")
        key = a.key or app.get("key")
        if not sdkappid or not key:
            p.error("no Tencent app in the scenario: give --sdkappid and --key")
        if not 1 <= a.expire <= MAX_EXPIRE_S:
            p.error("--expire must be 1 s .. 50 years")
        identifier = a.identifier or (app.get("admins") or ["administrator"])[0]
        out = mint.tencent(sdkappid, key, identifier, now, a.expire)
        return out, out["usersig"] if a.sig_only else out["query_string"]
    if a.command == "sign" and a.provider == "gateway":
        gw = {} if a.secret else (_scenario_section(a.scenario, "tencent").get("gateway") or {})
        secret = a.secret or gw.get("secret")
        if not secret:
            p.error("no gateway in the scenario: give --secret")
        out = mint.tencent_gateway(secret, a.username or (gw.get("users") or ["admin"])[0], now, a.expire)
        return out, out["token"]
    if a.command == "sign" and a.provider == "rongcloud":
        app = _tenant(a.scenario, "rongcloud", "apps") if not (a.app_key and a.app_secret) else {}
        app_key, secret = a.app_key or app.get("app_key"), a.app_secret or app.get("app_secret")
        if not app_key or not secret:
            p.error("no RongCloud app in the scenario: give --app-key and --app-secret")
        out = mint.rongcloud(app_key, secret, now, a.nonce, a.timestamp)
        text = out["curl_args"] if a.curl else "\n".join(f"{k}: {v}" for k, v in out["headers"].items())
        return out, text
    tenant = _tenant(a.scenario, "openim", "tenants") if not a.secret else {}
    secret = a.secret or tenant.get("secret")
    if not secret:
        p.error("no OpenIM tenant in the scenario: give --secret")
    user = a.user or (tenant.get("admins") or ["imAdmin"])[0]
    days = a.expire_days
    if days is None:
        days = (tenant.get("settings") or {}).get("token_expire_days") or 90
    if days < 1:
        p.error("--expire-days must be at least 1")
    from emulator.providers.openim.models import tenant_key
    out = mint.openim_offline(secret, user, now, days, tenant_key({**tenant, "secret": secret}))
    return out, out["token"]


def _scenario_section(scenario: Path | None, provider: str) -> dict:
    from emulator.core.scenario import read_file
    doc, _ = read_file(Path(scenario) if scenario else default_scenario_path())
    section = (doc or {}).get(provider)
    return section if isinstance(section, dict) else {}
