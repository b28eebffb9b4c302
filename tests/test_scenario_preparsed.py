"""The shipped scenarios' pre-parsed copies (core/scenario.py: preparsed) hold exactly what PyYAML
parses from their YAML, and a stale or user-supplied copy is never used."""

from __future__ import annotations

import hashlib
import shutil

import orjson
import pytest
import yaml

from emulator.core import scenario
from emulator.core.errors import ScenarioError
from emulator.settings import fixtures_dir

SHIPPED = sorted(fixtures_dir().glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_each_shipped_scenario_has_a_current_preparsed_copy(path):
    text = path.read_text(encoding="utf-8")
    entry = orjson.loads(scenario.preparsed_path(path).read_bytes())
    assert entry["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest(), \
        "stale: run python -m emulator.core.scenario"
    assert entry["doc"] == yaml.safe_load(text)
    assert repr(entry["doc"]) == repr(yaml.safe_load(text))   # types too: 1, 1.0 and True are ==
    assert scenario.read_file(path)[0] == yaml.safe_load(text)


def test_a_stale_copy_is_not_used(tmp_path, monkeypatch):
    shipped = fixtures_dir() / "default.yaml"
    copy = tmp_path / "default.yaml"
    shutil.copy(shipped, copy)
    entry = orjson.loads(scenario.preparsed_path(shipped).read_bytes())
    entry["doc"]["description"] = "from the copy"
    scenario.preparsed_path(copy).write_bytes(orjson.dumps(entry))
    monkeypatch.setattr("emulator.settings.fixtures_dir", lambda: tmp_path)
    assert scenario.read_file(copy)[0]["description"] == "from the copy"      # digest matches: used
    copy.write_text(shipped.read_text(encoding="utf-8").replace("description: ", "description: edited "),
                    encoding="utf-8")
    assert scenario.read_file(copy)[0]["description"].startswith("edited ")   # digest differs: parsed


def test_a_copy_beside_a_user_scenario_is_ignored(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("description: mine\n", encoding="utf-8")
    text = mine.read_text(encoding="utf-8")
    scenario.preparsed_path(mine).write_bytes(orjson.dumps(
        {"sha256": hashlib.sha256(text.encode()).hexdigest(), "doc": {"description": "not mine"}}))
    assert scenario.read_file(mine)[0] == {"description": "mine"}


def test_a_bad_user_scenario_still_names_file_path_and_reason(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tencent:\n  apps:\n    - sdkappid: not-a-number\n", encoding="utf-8")
    from emulator.app import create_app
    from emulator.settings import Settings
    with pytest.raises(ScenarioError) as info:
        create_app(Settings(scenario=bad))
    assert str(bad) in str(info.value) and "tencent.apps[0].sdkappid" in str(info.value)
