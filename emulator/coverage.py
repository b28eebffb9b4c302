"""The README's generated tables, so they cannot drift: coverage from each provider's routes
(urls.py, blocks ``coverage:<provider>``) and error codes from each provider's error table
(errors.py, blocks ``errors:<provider>``). `python -m emulator.coverage` prints them (`--errors`:
the error tables), `--write README.md` updates the marked blocks, `--check README.md` exits 1 when
the README is stale (tests/test_readme.py and tests/test_error_tables.py run the check)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from emulator.app import PROVIDERS, load_provider_class
from emulator.core.clock import Clock

TITLES = {"tencent": "Tencent Cloud Chat", "openim": "OpenIM", "rongcloud": "RongCloud"}
BLOCK = re.compile(r"(<!-- coverage:(\w+):start -->\n).*?(<!-- coverage:\2:end -->)", re.S)
ERRORS_BLOCK = re.compile(r"(<!-- errors:(\w+):start -->\n).*?(<!-- errors:\2:end -->)", re.S)


def provider_table(name: str) -> str:
    provider = load_provider_class(name)(Clock())
    routes = provider.api_routes()
    lines = [f"{len(routes)} endpoints.", "", "| method | path | what it does |", "|---|---|---|"]
    for r in sorted(routes, key=lambda r: r.path):
        summary = (r.summary or "").replace("|", "\\|")
        lines.append(f"| {r.method} | `{r.path}` | {summary} |")
    return "\n".join(lines) + "\n"


def error_table(name: str) -> str:
    """Every code the provider can answer, from its ProviderError subclass's table."""
    table = load_provider_class(name).error_type.table
    lines = [f"{len(table)} codes.", "", "| code | HTTP status | message |", "|---|---|---|"]
    for code in sorted(table):
        message, status = table[code]
        text = message.replace("|", "\\|") if message else "(empty)"
        lines.append(f"| {code} | {status} | {text} |")
    return "\n".join(lines) + "\n"


def render(text: str) -> str:
    text = BLOCK.sub(lambda m: m.group(1) + provider_table(m.group(2)) + m.group(3), text)
    return ERRORS_BLOCK.sub(lambda m: m.group(1) + error_table(m.group(2)) + m.group(3), text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emulator.coverage")
    ap.add_argument("--write", type=Path, metavar="README")
    ap.add_argument("--check", type=Path, metavar="README")
    ap.add_argument("--errors", action="store_true", help="print the error-code tables")
    a = ap.parse_args(argv)
    if a.write or a.check:
        path = a.write or a.check
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if a.check:
            if new != text:
                print(f"{path}: coverage or error-code tables are stale; run python -m emulator.coverage --write {path}")
                return 1
            return 0
        path.write_text(new, encoding="utf-8")
        return 0
    for name in PROVIDERS:
        print(f"### {TITLES[name]}\n\n{error_table(name) if a.errors else provider_table(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
