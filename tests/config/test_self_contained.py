"""A clone is all a newcomer has: no file of Parley's may reach outside the repository, as the
tests once did for their provider fixtures (a workplace folder beside the checkout), which
stopped `make test` at collection for everyone who cloned Parley from its public home."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The workplace's shared folder, a reach above the checkout, or this checkout's own absolute path.
# Spelled in pieces, so this file does not name the folder it forbids.
SHARED = "sha" + "red"
OUTSIDE = re.compile(rf"\.\./{SHARED}\b|/work/{SHARED}\b|parents\[3\]|{re.escape(str(ROOT))}/")
NOT_OURS = {
    ".git",
    ".venv",
    "var",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "smoke",
    "test-artifacts",
    ".hypothesis",  # Hypothesis's example database, made by the fuzz tests
}
TEXT = {".py", ".md", ".html", ".js", ".css", ".toml", ".yml", ".yaml", ".txt", ".json", ".cfg", ".lock", ""}


def test_no_file_names_a_path_outside_the_repository():
    offenders = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if NOT_OURS & set(relative.parts) or not path.is_file() or path.suffix not in TEXT:
            continue
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
