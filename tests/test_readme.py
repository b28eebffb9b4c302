"""The README's promises: coverage tables match urls.py; the two set-up commands are there."""

from pathlib import Path

from emulator.coverage import BLOCK, render

README = Path(__file__).resolve().parent.parent / "README.md"


def test_coverage_tables_are_generated_from_urls():
    text = README.read_text(encoding="utf-8")
    blocks = {m.group(2) for m in BLOCK.finditer(text)}
    assert blocks == {"tencent", "openim", "rongcloud"}
    assert render(text) == text, "README coverage is stale: python -m emulator.coverage --write README.md"


def test_quick_start_is_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "pip install . && im-emulator" in text
    assert "pip install -e '.[test]' && pytest" in text
