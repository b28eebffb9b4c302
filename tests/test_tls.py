"""--tls: HTTPS with a certificate made at start for 127.0.0.1/localhost, the CA file printed so a
client can trust it; a client that does not trust it is refused by its own TLS check."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.test_cli import START_TIMEOUT_S, Server, _env, servers  # noqa: F401  (servers: fixture)

pytest.importorskip("trustme", reason="trustme is not installed (pip install 'im-emulator[tls]')")

TLS_LINE = re.compile(r"^im-emulator listening on https://(?P<host>[^:/\s]+):(?P<port>\d+) "
                      r"\(CA certificate: (?P<ca>.+)\)$")


def start_tls(servers, *args, **kw) -> tuple[Server, re.Match]:
    s = servers("--tls", *args, **kw)
    line = s.lines.get(timeout=START_TIMEOUT_S)
    assert line is not None, s.stderr()
    m = TLS_LINE.match(line)
    assert m, line
    return s, m


def get(url: str, ctx: ssl.SSLContext):
    with urllib.request.urlopen(url, context=ctx, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def test_https_with_the_printed_ca(servers, tmp_path):
    s, m = start_tls(servers, "--tls-dir", str(tmp_path / "tls"))
    assert m["ca"] == str(tmp_path / "tls" / "ca.pem")
    ctx = ssl.create_default_context(cafile=m["ca"])
    for host in ("127.0.0.1", "localhost"):
        status, body = get(f"https://{host}:{m['port']}/_emulator/health", ctx)
        assert status == 200 and body["status"] == "ok"
    # a provider call over TLS, signed as a RongCloud client signs
    import hashlib
    sig = hashlib.sha1(b"Y1W2MeFwwwRxa0" + b"1" + b"1700000000").hexdigest()
    req = urllib.request.Request(f"https://127.0.0.1:{m['port']}/entrust/group/create.json", method="POST",
                                 data=b"groupId=tls1&name=n&owner=u",
                                 headers={"App-Key": "uwd1c0sxdlx2", "Nonce": "1", "Timestamp": "1700000000",
                                          "Signature": sig,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        assert json.loads(resp.read()) == {"code": 200}


def test_a_client_not_trusting_the_ca_is_refused(servers):
    s, m = start_tls(servers)  # default: a fresh temp dir
    with pytest.raises(urllib.error.URLError) as err:
        get(f"https://127.0.0.1:{m['port']}/_emulator/health", ssl.create_default_context())
    assert isinstance(err.value.reason, ssl.SSLCertVerificationError)
    # and plain HTTP on the TLS port gets no answer as HTTP
    with pytest.raises(Exception):
        urllib.request.urlopen(f"http://127.0.0.1:{m['port']}/_emulator/health", timeout=5).read()


def test_tls_by_environment_variable(servers, tmp_path):
    s = servers(env=_env(IMEMU_TLS="1", IMEMU_TLS_DIR=str(tmp_path / "t")))
    line = s.lines.get(timeout=START_TIMEOUT_S)
    m = TLS_LINE.match(line or "")
    assert m and m["ca"] == str(tmp_path / "t" / "ca.pem"), line


def test_without_tls_the_line_stays_plain_http(servers):
    s = servers()
    assert s.wait_listening()["host"] == "127.0.0.1"
