"""The installed `flylint` command: exit codes, formats, selection, colour, catalogue commands."""

from __future__ import annotations

import json

import jsonschema
from conftest import run_cli

MINIMAL = {
    "fly.toml": 'app = "demo"\nkill_signal = "SIGTERM"\n',
    "Dockerfile": 'FROM alpine:3.20\nUSER nobody\nCMD ["/app/bin/server"]\n',
}

JSON_SCHEMA = {
    "type": "object",
    "required": ["version", "findings", "summary"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "rule",
                    "slug",
                    "severity",
                    "message",
                    "path",
                    "line",
                    "column",
                    "end_line",
                    "end_column",
                    "related",
                    "fix",
                    "docs",
                ],
                "properties": {
                    "rule": {"type": "string", "pattern": "^FLY[0-9]{3}$"},
                    "slug": {"type": "string", "minLength": 1},
                    "severity": {"enum": ["error", "warning", "info"]},
                    "message": {"type": "string", "minLength": 1, "pattern": "^[^\\n]*$"},
                    "path": {"type": "string", "pattern": "^[^/\\\\].*"},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1},
                    "end_column": {"type": "integer", "minimum": 1},
                    "related": {
                        "type": "array",
                        "items": {"type": "object", "required": ["path", "line", "column"]},
                    },
                    "fix": {"type": ["string", "null"]},
                    "docs": {"type": "array", "items": {"type": "string", "pattern": "^https://"}},
                },
            },
        },
        "summary": {
            "type": "object",
            "required": ["error", "warning", "info", "files", "apps"],
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
    },
}


def test_missing_path_is_exit_2_with_one_line(tmp_path):
    result = run_cli("check", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_directory_without_fly_toml_is_exit_2(tmp_path):
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2
    assert "no fly.toml found" in result.stderr


def test_bad_flag_is_exit_2():
    result = run_cli("check", "--no-such-flag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unknown_selector_is_exit_2(project):
    root = project(MINIMAL)
    result = run_cli("check", str(root), "--select", "FLY999")
    assert result.returncode == 2
    assert "FLY999" in result.stderr


def test_findings_and_fail_on_thresholds(project):
    root = project(MINIMAL)  # no .dockerignore: FLY707 (info)
    result = run_cli("check", str(root), "--output-format", "concise", "--select", "FLY707")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Dockerfile:1:1: FLY707 info: " in result.stdout
    assert run_cli("check", str(root), "--select", "FLY707", "--fail-on", "info").returncode == 1
    assert run_cli("check", str(root), "--select", "FLY707", "--fail-on", "never").returncode == 0


def test_select_by_slug_and_prefix_and_ignore(project):
    root = project(MINIMAL)
    by_slug = run_cli(
        "check", str(root), "--output-format", "concise", "--select", "dockerignore-missing"
    )
    assert "FLY707" in by_slug.stdout
    by_prefix = run_cli("check", str(root), "--output-format", "concise", "--select", "FLY7")
    assert "FLY707" in by_prefix.stdout
    ignored = run_cli(
        "check", str(root), "--output-format", "concise", "--select", "FLY7", "--ignore", "FLY707"
    )
    assert "FLY707" not in ignored.stdout


def test_json_output_has_the_documented_shape(project):
    root = project(MINIMAL)
    result = run_cli("check", str(root), "--output-format", "json", "--fail-on", "never")
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, JSON_SCHEMA)
    assert doc["summary"]["apps"] == 1
    assert any(f["rule"] == "FLY707" for f in doc["findings"])


def test_full_output_shows_code_frame_help_and_docs_without_colour(project):
    root = project(MINIMAL)
    result = run_cli("check", str(root), "--select", "FLY707")
    out = result.stdout
    assert "Dockerfile:1:1: FLY707 [info]" in out
    assert "1 | FROM alpine:3.20" in out
    assert "^" in out
    assert "= help:" in out and "= docs: https://" in out
    assert "\x1b[" not in out
    forced = run_cli("check", str(root), "--select", "FLY707", "--color", "always")
    assert "\x1b[" in forced.stdout


def test_no_color_env_beats_force_color(project):
    root = project(MINIMAL)
    result = run_cli(
        "check", str(root), "--select", "FLY707", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert "\x1b[" not in result.stdout


def test_rules_lists_every_rule_from_any_directory(tmp_path):
    from conftest import RULES_DIR

    result = run_cli("rules", cwd=tmp_path)
    assert result.returncode == 0
    ids = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert ids == {p.stem for p in RULES_DIR.glob("FLY*.yaml")}
    as_json = json.loads(run_cli("rules", "--output-format", "json", cwd=tmp_path).stdout)
    assert {r["id"] for r in as_json["rules"]} == ids


def test_rule_renders_each_entry(tmp_path):
    from conftest import RULES_DIR

    for path in sorted(RULES_DIR.glob("FLY*.yaml")):
        result = run_cli("rule", path.stem, cwd=tmp_path)
        assert result.returncode == 0, path.stem
        assert path.stem in result.stdout
        assert "Why" in result.stdout and "Fix" in result.stdout and "https://" in result.stdout
    by_slug = run_cli("rule", "dockerignore-missing", cwd=tmp_path)
    assert "FLY707" in by_slug.stdout
    unknown = run_cli("rule", "FLY999", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown rule" in unknown.stderr
