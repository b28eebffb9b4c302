"""The repository holds no leftover merge-conflict markers (several branches merge into main)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(rb"^(<<<<<<< |>>>>>>> |=======$)", re.M)


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if out.returncode != 0:   # not a git checkout (an sdist): walk the tree instead
        return [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    return [ROOT / name for name in out.stdout.decode().split("\0") if name]


def test_no_conflict_markers():
    found = []
    for path in tracked_files():
        if not path.is_file() or path.suffix in (".png", ".ico", ".db"):
            continue
        data = path.read_bytes()
        for m in MARKER.finditer(data):
            line = data.count(b"\n", 0, m.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert not found, "merge-conflict markers left in: " + ", ".join(found)
