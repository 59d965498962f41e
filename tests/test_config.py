"""`.flylint.toml`: discovery, validation messages, precedence, and how it filters findings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flylint.catalogue import RuleMeta
from flylint.config import (
    Config,
    ConfigError,
    find_config_file,
    glob_matches,
    key_matches,
    load_config,
    parse_config,
    render_starter_config,
)
from flylint.findings import Finding, Location

RULES = {
    "FLY001": "parse-error",
    "FLY006": "unused-suppression",
    "FLY101": "force-https-disabled",
    "FLY102": "force-ssl-missing",
    "FLY301": "health-check-missing",
    "FLY305": "health-check-path",
    "FLY319": "port-mismatch",
    "FLY701": "runs-as-root",
    "FLY707": "dockerignore-missing",
}
INDEX = {
    rid: RuleMeta(rid, slug, "warning", "inputs", rid, "", "", ()) for rid, slug in RULES.items()
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(start: Path, **kw) -> Config:
    return load_config(start, index=INDEX, **kw)


def error_of(tmp_path: Path, text: str, name: str = ".flylint.toml") -> str:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as info:
        parse_config(path, text, INDEX)
    return str(info.value)


def finding(rule: str, path: str, line: int = 1, key: str | None = None) -> Finding:
    return Finding(rule, f"{rule} fired", Location(path, line, 1), key=key)


# -- discovery ---------------------------------------------------------------------------------


def test_discovery_walks_up_to_the_git_root(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / ".flylint.toml", 'fail-on = "error"\n')
    start = repo / "apps" / "web"
    start.mkdir(parents=True)
    config = load(start)
    assert config.path == (repo / ".flylint.toml").resolve()
    assert config.effective_fail_on == "error"
    # a file as the start works too
    assert load(write(start / "fly.toml", 'app = "x"\n')).path == config.path


def test_discovery_stops_at_the_git_root(tmp_path):
    write(tmp_path / ".flylint.toml", 'fail-on = "error"\n')  # outside the repository
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert find_config_file(repo / "sub") is None
    config = load(repo / "sub")
    assert config.path is None
    assert config.effective_fail_on == "warning"


def test_nearest_file_wins_and_names_are_ranked(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / ".flylint.toml", 'fail-on = "error"\n')
    sub = repo / "sub"
    write(sub / "flylint.toml", 'fail-on = "info"\n')
    write(sub / "pyproject.toml", '[tool.flylint]\nfail-on = "never"\n')
    assert load(sub).effective_fail_on == "info"
    (sub / "flylint.toml").unlink()
    assert load(sub).effective_fail_on == "never"
    write(sub / ".flylint.toml", 'fail-on = "warning"\n')
    assert load(sub).path.name == ".flylint.toml"


def test_pyproject_without_tool_table_is_skipped(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / ".flylint.toml", 'fail-on = "error"\n')
    write(repo / "sub" / "pyproject.toml", '[project]\nname = "x"\n# [tool.flylint]\n')
    assert load(repo / "sub").path.name == ".flylint.toml"


def test_pyproject_errors_point_into_pyproject(tmp_path):
    text = '[project]\nname = "x"\n\n[tool.flylint]\nselect = ["ALL"]\nfail_on = "error"\n'
    message = error_of(tmp_path, text, "pyproject.toml")
    assert re.search(r"pyproject\.toml:6:1: unknown key 'fail_on'", message)
    assert "did you mean 'fail-on'?" in message


def test_explicit_config_and_isolated(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / ".flylint.toml", 'fail-on = "error"\n')
    other = write(tmp_path / "elsewhere.toml", 'fail-on = "info"\n')
    assert load(repo, explicit=other).effective_fail_on == "info"
    assert load(repo, isolated=True) == Config()
    assert load(repo, explicit=other, isolated=True) == Config()
    with pytest.raises(ConfigError, match=r"--config .*missing\.toml: no such file"):
        load(repo, explicit=tmp_path / "missing.toml")


# -- validation messages -----------------------------------------------------------------------


def test_unknown_key_names_file_line_and_suggestion(tmp_path):
    message = error_of(tmp_path, 'select = ["ALL"]\n\nexlude = ["examples/**"]\n')
    assert message.endswith(
        ".flylint.toml:3:1: unknown key 'exlude' in the flylint configuration "
        "(did you mean 'exclude'?)"
    )


def test_bad_values_name_their_line(tmp_path):
    message = error_of(tmp_path, 'select = ["ALL"]\nfail-on = "warn"\n')
    assert ":2:1: fail-on must be one of error, warning, info, never, not 'warn'" in message
    assert "(did you mean 'warning'?)" in message
    message = error_of(tmp_path, 'select = [\n  "FLY301",\n  "FLY3O5",\n]\n')
    assert ":3:3: select: unknown rule 'FLY3O5' (did you mean 'FLY305'?)" in message
    message = error_of(tmp_path, "exclude = 3\n")
    assert ":1:1: exclude must be a list of strings, not an integer" in message
    message = error_of(tmp_path, '[severity]\nFLY301 = "high"\n')
    assert ":2:1: [severity] FLY301 must be one of error, warning, info, not 'high'" in message
    message = error_of(tmp_path, '[severity]\nhealth-check-mising = "info"\n')
    assert "unknown rule 'health-check-mising' (did you mean 'health-check-missing'?)" in message
    message = error_of(tmp_path, '[per-file-ignores]\n"fly.*.toml" = "FLY301"\n')
    assert ":2:1: [per-file-ignores] 'fly.*.toml' must be a non-empty list of rules" in message
    message = error_of(tmp_path, 'output-format = "sarif2"\n')
    assert ":1:1: output-format must be one of full" in message


def test_suppress_entries_are_validated(tmp_path):
    ok = '[[suppress]]\nrule = "FLY101"\npath = "fly.toml"\nkey = "http_service"\nreason = "x"\n'
    config = parse_config(write(tmp_path / ".flylint.toml", ok), ok, INDEX)
    assert [(e.rule, e.path, e.key, e.line) for e in config.ignores] == [
        ("FLY101", "fly.toml", "http_service", 1)
    ]
    no_reason = ok + '\n[[suppress]]\nrule = "FLY101"\npath = "fly.toml"\n'
    assert ":7:1: [[suppress]] entry needs `reason`" in error_of(tmp_path, no_reason)
    wrong_key = '[[suppress]]\nrule = "FLY101"\nfile = "fly.toml"\nreason = "x"\n'
    assert ":3:1: unknown key 'file' in [[suppress]] (did you mean 'path'?)" in error_of(
        tmp_path, wrong_key
    )
    empty_reason = '[[ignore]]\nrule = "FLY101"\npath = "fly.toml"\nreason = ""\n'
    assert ":4:1: [[ignore]] reason must be a non-empty string" in error_of(tmp_path, empty_reason)


def test_ignore_list_and_ignore_tables_conflict_explained(tmp_path):
    text = 'ignore = ["FLY102"]\n[[ignore]]\nrule = "FLY101"\npath = "x"\nreason = "y"\n'
    message = error_of(tmp_path, text)
    assert ":2:" in message and "invalid TOML" in message and "[[suppress]]" in message


def test_ignore_tables_as_synonym(tmp_path):
    text = '[[ignore]]\nrule = "FLY101"\npath = "fly.toml"\nreason = "CDN"\n'
    config = parse_config(write(tmp_path / ".flylint.toml", text), text, INDEX)
    assert config.ignore == () and len(config.ignores) == 1


def test_toml_syntax_error_names_line(tmp_path):
    message = error_of(tmp_path, 'select = ["ALL"]\nfail-on = \n')
    assert re.search(r"\.flylint\.toml:2:\d+: invalid TOML: ", message)


def test_starter_config_loads_as_written_and_uncommented(tmp_path):
    text = render_starter_config()
    config = parse_config(write(tmp_path / ".flylint.toml", text), text, INDEX)
    assert config.select == ("ALL",) and config.effective_fail_on == "warning"
    # Every commented example line is itself valid configuration.
    example = re.compile(r'^# ((?:[\w"*.-]+) = .+|\[\[?[\w-]+\]\]?)$')
    uncommented = "\n".join(
        m.group(1) if (m := example.match(line)) else line for line in text.splitlines()
    )
    assert uncommented != text
    config = parse_config(write(tmp_path / "u.toml", uncommented), uncommented, INDEX)
    assert config.extend_select == ("FLY7",)
    assert config.severity == (("FLY707", "warning"),)
    assert [e.key for e in config.ignores] == ["build"]


# -- precedence and selection ------------------------------------------------------------------


def test_rule_selection_layers_cli_over_config(tmp_path):
    text = 'select = ["FLY3"]\nignore = ["FLY305"]\nextend-select = ["FLY707"]\n'
    config = parse_config(write(tmp_path / ".flylint.toml", text), text, INDEX)
    assert config.rule_ids(INDEX) == {"FLY301", "FLY319", "FLY707"}
    # CLI --ignore / --extend-select adjust the config's selection
    assert config.with_cli(ignore=["FLY319"], extend_select=["FLY101"]).rule_ids(INDEX) == {
        "FLY301",
        "FLY707",
        "FLY101",
    }
    # a CLI --extend-select re-enables a rule the config ignores
    assert "FLY305" in config.with_cli(extend_select=["FLY305"]).rule_ids(INDEX)
    # CLI --select starts afresh: the config's ignore no longer applies
    assert config.with_cli(select=["FLY305"]).rule_ids(INDEX) == {"FLY305"}
    assert config.with_cli(select=["FLY305"]).selection(INDEX).select == ("FLY305",)
    assert Config().rule_ids(INDEX) == set(INDEX)


def test_cli_values_beat_config_values(tmp_path):
    text = 'fail-on = "error"\noutput-format = "concise"\n[severity]\nFLY301 = "info"\n'
    config = parse_config(write(tmp_path / ".flylint.toml", text), text, INDEX)
    assert (config.effective_fail_on, config.effective_output_format) == ("error", "concise")
    merged = config.with_cli(fail_on="never", output_format="json", severity=["FLY301=error"])
    assert (merged.effective_fail_on, merged.effective_output_format) == ("never", "json")
    assert dict(merged.severity) == {"FLY301": "error"}
    assert config.with_cli().effective_fail_on == "error"
    with pytest.raises(ConfigError, match="CODE=LEVEL"):
        config.with_cli(severity=["FLY301:error"])
    with pytest.raises(ConfigError, match="GLOB:CODES"):
        config.with_cli(per_file_ignores=["fly.toml"])


# -- filtering findings ------------------------------------------------------------------------


def test_apply_exclude_per_file_ignores_suppress_and_severity(tmp_path):
    text = """\
exclude = ["examples"]
[severity]
FLY3 = "info"
FLY301 = "error"
[per-file-ignores]
"fly.*.toml" = ["FLY1"]
[[suppress]]
rule = "FLY101"
path = "fly.toml"
key = "http_service"
reason = "TLS ends at the CDN"
[[suppress]]
rule = "dockerignore-missing"
path = "never/matches"
reason = "kept to show unused entries"
"""
    config = parse_config(write(tmp_path / ".flylint.toml", text), text, INDEX)
    findings = [
        finding("FLY101", "fly.toml", 3, key="http_service.force_https"),
        finding("FLY101", "fly.toml", 9, key="http_servicex"),
        finding("FLY101", "fly.staging.toml", 3, key="http_service.force_https"),
        finding("FLY101", "deploy/fly.prod.toml", 3),
        finding("FLY301", "fly.toml", 5),
        finding("FLY305", "fly.toml", 6),
        finding("FLY707", "examples/demo/Dockerfile"),
        finding("FLY707", "Dockerfile"),
    ]
    kept, unused = config.apply(findings, tmp_path, INDEX)
    assert [(f.rule, f.path, f.location.line, f.severity) for f in kept] == [
        ("FLY101", "fly.toml", 9, None),
        ("FLY301", "fly.toml", 5, "error"),  # the exact ID beats the FLY3 prefix
        ("FLY305", "fly.toml", 6, "info"),
        ("FLY707", "Dockerfile", 1, None),
    ]
    assert [e.path for e in unused] == ["never/matches"]
    assert config.is_excluded(tmp_path, "examples/demo/fly.toml")
    assert not config.is_excluded(tmp_path, "fly.toml")


def test_globs_are_relative_to_the_config_file(tmp_path):
    text = '[per-file-ignores]\n"apps/web/fly.toml" = ["FLY301"]\n'
    config = parse_config(write(tmp_path / ".flylint.toml", text), text, INDEX)
    project_root = tmp_path / "apps" / "web"  # linting a subdirectory of the repository
    project_root.mkdir(parents=True)
    kept, _ = config.apply([finding("FLY301", "fly.toml")], project_root, INDEX)
    assert kept == []
    kept, _ = config.apply([finding("FLY301", "fly.toml")], tmp_path, INDEX)
    assert len(kept) == 1


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("fly.toml", "fly.toml", True),
        ("fly.toml", "apps/web/fly.toml", True),  # no slash: any depth
        ("/fly.toml", "apps/web/fly.toml", False),  # leading slash: anchored
        ("fly.*.toml", "fly.staging.toml", True),
        ("fly.*.toml", "fly.toml", False),
        ("apps/*/fly.toml", "apps/web/fly.toml", True),
        ("apps/*/fly.toml", "apps/web/x/fly.toml", False),
        ("apps/**/fly.toml", "apps/web/x/fly.toml", True),
        ("apps/**/fly.toml", "apps/fly.toml", True),
        ("examples/**", "examples/a/b/Dockerfile", True),
        ("examples/", "examples/a/Dockerfile", True),  # a directory covers what is below it
        ("./config/*.exs", "config/prod.exs", True),
        ("config/[pr]*.exs", "config/runtime.exs", True),
        ("config/[!pr]*.exs", "config/runtime.exs", False),
        ("[", "[", True),
    ],
)
def test_glob_matches(pattern, path, expected):
    assert glob_matches(pattern, path) is expected


def test_key_matches_subtrees_only():
    assert key_matches(None, None)
    assert key_matches("http_service", "http_service.checks[0].path")
    assert key_matches("http_service.checks", "http_service.checks[1]")
    assert not key_matches("http_service", "http_services.x")
    assert not key_matches("env", None)
    assert key_matches("Dockerfile:stage runner", "Dockerfile:stage runner:USER")
    assert key_matches("config :app, Web.Endpoint", "config  :app,  Web.Endpoint, force_ssl")
