"""The README's coverage tables, generated from each provider's routes (urls.py) so they cannot
drift: `python -m emulator.coverage` prints them, `--write README.md` updates the marked blocks,
`--check README.md` exits 1 when the README is stale (tests/test_readme.py runs the check)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from emulator.app import PROVIDERS, load_provider_class
from emulator.core.clock import Clock

TITLES = {"tencent": "Tencent Cloud Chat", "openim": "OpenIM", "rongcloud": "RongCloud"}
BLOCK = re.compile(r"(<!-- coverage:(\w+):start -->\n).*?(<!-- coverage:\2:end -->)", re.S)


def provider_table(name: str) -> str:
    provider = load_provider_class(name)(Clock())
    routes = provider.api_routes()
    lines = [f"{len(routes)} endpoints.", "", "| method | path | what it does |", "|---|---|---|"]
    for r in sorted(routes, key=lambda r: r.path):
        summary = (r.summary or "").replace("|", "\\|")
        lines.append(f"| {r.method} | `{r.path}` | {summary} |")
    return "\n".join(lines) + "\n"


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + provider_table(m.group(2)) + m.group(3), text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emulator.coverage")
    ap.add_argument("--write", type=Path, metavar="README")
    ap.add_argument("--check", type=Path, metavar="README")
    a = ap.parse_args(argv)
    if a.write or a.check:
        path = a.write or a.check
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if a.check:
            if new != text:
                print(f"{path}: coverage tables are stale; run python -m emulator.coverage --write {path}")
                return 1
            return 0
        path.write_text(new, encoding="utf-8")
        return 0
    for name in PROVIDERS:
        print(f"### {TITLES[name]}\n\n{provider_table(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
