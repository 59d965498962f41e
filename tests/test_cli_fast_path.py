"""`flylint check` read without click gives exactly click's parameters, or defers to click."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from flylint.cli import CHECK_OPTIONS, fast_check_params

FIXTURE = str(Path(__file__).resolve().parent.parent / "fixtures" / "generated-app")


def click_params(argv: list[str]) -> dict:
    from flylint.cli import check

    ctx = check.make_context("check", list(argv[1:]))
    return dict(ctx.params)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLYLINT_CONFIG", raising=False)
    monkeypatch.delenv("_FLYLINT_COMPLETE", raising=False)
    (tmp_path / "project").mkdir()
    (tmp_path / "baseline.json").write_text("{}")
    (tmp_path / "cfg.toml").write_text("")
    return tmp_path


PARSED = [
    ["check"],
    ["check", "project"],
    ["check", "project", "missing-dir", "project"],
    ["check", "--select", "FLY1,FLY3", "--select", "FLY701", "project"],
    ["check", "project", "--ignore=FLY301", "--extend-select", "ALL"],
    ["check", "--output-format", "json", "--output-format=sarif"],
    ["check", "-o", "out.txt", "--output-file=out2.txt", "-q", "--quiet"],
    ["check", "--report", "sarif:a.sarif", "--report=gitlab:b.json", "--fail-on", "never"],
    ["check", "--config", "cfg.toml", "--isolated", "--severity", "FLY301=info"],
    ["check", "--per-file-ignores", "config/*.exs:FLY6", "--exclude", "apps/legacy/**"],
    ["check", "--no-inline-ignores", "--baseline", "baseline.json", "--statistics"],
    ["check", "--write-baseline", "new.json", "--color", "never", "--debug"],
    ["check", "--app-config", "project/fly.toml", "--color=always", FIXTURE],
]

DEFERRED = [
    ["rules"],
    ["--version"],
    ["check", "--help"],
    ["check", "-h"],
    ["check", "--output-format", "yaml"],  # click rejects the choice
    ["check", "--fail-on", "WARNING"],
    ["check", "--bogus"],
    ["check", "--", "project"],
    ["check", "-"],
    ["check", "-qo", "out.txt"],
    ["check", "-oout.txt"],
    ["check", "--select"],  # value missing
    ["check", "--select", "--ignore"],  # a value that looks like an option
    ["check", "--select="],
    ["check", "--isolated=yes"],
    ["check", "--baseline", "missing.json"],  # exists=True
    ["check", "--output-file", "project"],  # a directory where a file is expected
    ["check", "--config", "project"],
]


@pytest.mark.parametrize("argv", PARSED, ids=lambda a: " ".join(a))
def test_plain_command_lines_match_click(files: Path, argv: list[str]):
    params = fast_check_params(argv)
    assert params is not None, argv
    assert params == click_params(argv)


@pytest.mark.parametrize("argv", DEFERRED, ids=lambda a: " ".join(a))
def test_anything_else_goes_to_click(files: Path, argv: list[str]):
    assert fast_check_params(argv) is None


def test_environment_that_click_reads_defers(files: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FLYLINT_CONFIG", "cfg.toml")
    assert fast_check_params(["check", "project"]) is None
    monkeypatch.delenv("FLYLINT_CONFIG")
    monkeypatch.setenv("_FLYLINT_COMPLETE", "bash_complete")
    assert fast_check_params(["check", "project"]) is None


def test_every_option_is_declared_to_click():
    from flylint.cli import check

    declared = {name for p in check.params if isinstance(p, click.Option) for name in p.opts}
    assert declared == {name for opt in CHECK_OPTIONS for name in opt.names}
    assert [p.name for p in check.params] == ["paths", *(opt.dest for opt in CHECK_OPTIONS)]


def test_check_runs_without_importing_click():
    args = ["check", FIXTURE, "--output-format", "concise", "--fail-on", "never"]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "flylint", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "flylint.run" in imported and "click" not in imported
    assert result.stdout.endswith("\n") and "FLY" in result.stdout  # flushed before the exit


def test_exit_codes_and_output_survive_the_quick_exit(tmp_path: Path):
    out = tmp_path / "report.json"
    command = [sys.executable, "-m", "flylint", "check", FIXTURE, "--output-format", "json"]
    failing = subprocess.run([*command, "--fail-on", "info", "-o", str(out)], timeout=120)
    assert failing.returncode == 1 and out.read_text().startswith("{")
    bad = subprocess.run(
        [*command, "--app-config", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("flylint: error:")
