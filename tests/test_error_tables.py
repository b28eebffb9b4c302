"""The README's error-code tables are generated from each provider's errors.py and cannot drift."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.app import PROVIDERS, load_provider_class
from emulator.coverage import ERRORS_BLOCK, error_table, main, render

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks(text: str) -> dict[str, str]:
    return {m.group(2): m.group(0) for m in ERRORS_BLOCK.finditer(text)}


def test_readme_has_one_error_block_per_provider_and_it_is_fresh():
    text = README.read_text(encoding="utf-8")
    assert set(blocks(text)) == set(PROVIDERS)
    assert render(text) == text, "README error tables are stale: python -m emulator.coverage --write README.md"


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_every_code_of_the_table_is_a_row(name):
    table = load_provider_class(name).error_type.table
    block = blocks(README.read_text(encoding="utf-8"))[name]
    rows = {int(m.group(1)): (int(m.group(2)), m.group(3)) for m in
            re.finditer(r"^\| (\d+) \| (\d+) \| (.*) \|$", block, re.M)}
    assert set(rows) == set(table)
    for code, (message, status) in table.items():
        assert rows[code][0] == status
        assert rows[code][1] == (message.replace("|", "\\|") or "(empty)")


def test_check_fails_on_a_stale_table_and_write_repairs_it(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "README.md"
    text = README.read_text(encoding="utf-8")
    stale = text.replace("| 10010 | 200 |", "| 10010 | 500 |", 1)
    assert stale != text
    copy.write_text(stale, encoding="utf-8")
    assert main(["--check", str(copy)]) == 1
    assert "stale" in capsys.readouterr().out
    # a code added to a provider's table makes the README stale too
    from emulator.providers.rongcloud.errors import RongCloudError
    monkeypatch.setitem(RongCloudError.table, 99999, ("added for the test", 200))
    copy.write_text(text, encoding="utf-8")
    assert main(["--check", str(copy)]) == 1
    assert main(["--write", str(copy)]) == 0
    assert "| 99999 | 200 | added for the test |" in copy.read_text(encoding="utf-8")
    assert main(["--check", str(copy)]) == 0


def test_errors_flag_prints_the_tables():
    out = subprocess.run([sys.executable, "-m", "emulator.coverage", "--errors"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    for name in PROVIDERS:
        assert error_table(name) in out
