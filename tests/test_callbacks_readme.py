"""The README's Callbacks example (scenario + the app's tiny receiver + two tests), run as a
downstream project runs it: the plugin through its entry point, in a subprocess."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_callbacks_example_passes(pytester):
    text = README.read_text(encoding="utf-8").split("## Callbacks", 1)[1].split("\n## ", 1)[0]
    scenario = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    pytester.makefile(".yaml", callbacks=scenario)
    pytester.makepyfile(test_downstream_callbacks=code)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
