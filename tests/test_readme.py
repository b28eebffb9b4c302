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


def test_readme_plugin_example_passes(pytester):
    """The README's downstream test file, run as a downstream project would run it."""
    import re

    text = README.read_text(encoding="utf-8")
    code = re.search(r"A complete test file of a downstream project:\n\n```python\n(.*?)```", text, re.S).group(1)
    pytester.makepyfile(test_downstream=code)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
