"""Shared test helpers: the repo layout, the installed CLI, and small project builders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "rules"
FIXTURES = REPO / "fixtures"


def flylint_executable() -> str:
    """The console script installed next to the running interpreter (the real entry point)."""
    candidate = Path(sys.executable).parent / "flylint"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("flylint")
    if found is None:
        pytest.fail("the flylint console script is not installed; run the README's test command")
    return found


def run_cli(
    *args: str, cwd: Path | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("FLYLINT_OUTPUT_FORMAT", None)
    return subprocess.run(
        [flylint_executable(), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_project(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path):
    """Build a project in a temp dir: project({"fly.toml": "..."}) -> Path."""

    def make(files: dict[str, str | bytes]) -> Path:
        return write_project(tmp_path / "app", files)

    return make


def fake_secret(seed: int, length: int = 64, prefix: str = "", alphabet: str = "") -> str:
    """A random-looking test secret, generated at test time from a fixed seed: no credential
    literal lives in the repository, and the value is the same on every run."""
    import random
    import string

    chars = alphabet or string.ascii_letters + string.digits
    rng = random.Random(seed)
    return prefix + "".join(rng.choice(chars) for _ in range(length))
