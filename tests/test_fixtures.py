"""Each fixture under fixtures/ is a whole small project; the installed CLI's concise output on it
must be exactly its expected.txt. FLYLINT_UPDATE_FIXTURES=1 rewrites them (review the diff!)."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from conftest import FIXTURES, run_cli

FIXTURE_DIRS = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.exists() else []


@pytest.mark.parametrize("fixture", FIXTURE_DIRS, ids=[p.name for p in FIXTURE_DIRS])
def test_fixture_output_matches_expected(fixture, tmp_path):
    # A copy outside this repository, so the fixture is its own project root.
    copy = tmp_path / fixture.name
    shutil.copytree(fixture, copy, symlinks=True)
    result = run_cli("check", "--output-format", "concise", "--fail-on", "never", cwd=copy)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    expected_path = fixture / "expected.txt"
    if os.environ.get("FLYLINT_UPDATE_FIXTURES"):
        expected_path.write_text(result.stdout, encoding="utf-8")
    assert expected_path.exists(), f"{fixture.name} has no expected.txt"
    assert result.stdout == expected_path.read_text(encoding="utf-8")


def test_there_are_fixtures():
    names = {p.name for p in FIXTURE_DIRS}
    assert {"generated-app", "hardened", "insecure", "legacy-v1", "broken-toml"} <= names


def test_every_rule_fires_in_some_fixture():
    from conftest import RULES_DIR

    fired = set()
    for fixture in FIXTURE_DIRS:
        expected = fixture / "expected.txt"
        if expected.exists():
            fired |= set(re.findall(r": (FLY\d{3}) ", expected.read_text(encoding="utf-8")))
    rules = {p.stem for p in RULES_DIR.glob("FLY*.yaml")}
    assert rules - fired == set(), "rules that fire in no whole-project fixture"


def test_hardened_fixture_is_clean():
    assert (FIXTURES / "hardened" / "expected.txt").read_text().startswith("No findings")
