"""Inline `# flylint: ignore[...]` markers in TOML, Dockerfile, Elixir and YAML files."""

from __future__ import annotations

from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flylint.catalogue import RuleMeta
from flylint.findings import Finding, Location
from flylint.sources import SourceFile
from flylint.suppress import apply_suppressions, comment_columns, file_kind, scan_markers

RULES = {
    "FLY001": "parse-error",
    "FLY006": "unused-suppression",
    "FLY101": "force-https-disabled",
    "FLY301": "health-check-missing",
    "FLY305": "health-check-path",
    "FLY601": "secret-in-env",
    "FLY602": "secret-in-build-arg",
    "FLY701": "runs-as-root",
    "FLY703": "secret-in-image",
    "FLY707": "dockerignore-missing",
    "FLY801": "action-moving-ref",
}
INDEX = {rid: RuleMeta(rid, slug, "warning", "x", rid, "", "", ()) for rid, slug in RULES.items()}


def run(files: dict[str, str], findings: list[Finding], active=None, dockerfiles=()):
    sources = {p: SourceFile.from_text(p, dedent(t)) for p, t in files.items()}
    return apply_suppressions(
        findings, sources.get, paths=list(sources), active=active, index=INDEX,
        dockerfiles=dockerfiles,
    )  # fmt: skip


def at(rule: str, path: str, line: int, end_line: int | None = None) -> Finding:
    return Finding(rule, f"{rule} here", Location(path, line, 3, end_line, 9))


def lines_of(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.rule, f.path, f.location.line) for f in findings]


# -- the four file kinds -----------------------------------------------------------------------

FLY_TOML = """\
app = "demo"

[http_service]
  internal_port = 8080
  force_https = false  # flylint: ignore[FLY101] TLS ends at the CDN
  # flylint: ignore[FLY301, FLY305] checks live in the load balancer
  # (another comment line between marker and code is fine)
  auto_stop_machines = "stop"
  min_machines_running = 0
"""


def test_toml_trailing_and_line_above():
    found = [at("FLY101", "fly.toml", 5), at("FLY301", "fly.toml", 8), at("FLY305", "fly.toml", 8)]
    found += [at("FLY301", "fly.toml", 9), at("FLY101", "fly.toml", 4)]
    kept, used, unused = run({"fly.toml": FLY_TOML}, found)
    assert lines_of(kept) == [("FLY301", "fly.toml", 9), ("FLY101", "fly.toml", 4)]
    assert [(m.line, m.codes, m.reason) for m in used] == [
        (5, ("FLY101",), "TLS ends at the CDN"),
        (6, ("FLY301", "FLY305"), "checks live in the load balancer"),
    ]
    assert unused == []


def test_multi_line_finding_is_covered_when_its_span_overlaps():
    text = "# flylint: ignore[FLY301] fine\n[[http_service.checks]]\n  path = '/'\n"
    kept, _, unused = run({"fly.toml": text}, [at("FLY301", "fly.toml", 2, end_line=3)])
    assert kept == [] and unused == []


DOCKERFILE = """\
FROM hexpm/elixir:1.17 AS build
# flylint: ignore[FLY703] build-stage key, replaced at runtime
RUN mix hex.organization auth acme \\
      --key 0123456789abcdef \\
    && mix deps.get
# flylint: ignore[FLY703] heredoc
RUN <<EOF
echo 0123456789abcdef > /root/.key
EOF
FROM debian:bookworm-slim
USER root  # flylint: ignore[FLY701] the entrypoint drops privileges
RUN echo "not # flylint: ignore[FLY703] in quotes"
"""


def test_dockerfile_marker_above_covers_the_whole_continued_instruction():
    found = [
        at("FLY703", "Dockerfile", 4),  # a continuation line of the RUN below the marker
        at("FLY703", "Dockerfile", 8),  # a heredoc body line
        at("FLY701", "Dockerfile", 11),
        at("FLY703", "Dockerfile", 12),
    ]
    kept, used, unused = run({"Dockerfile": DOCKERFILE}, found)
    assert lines_of(kept) == [("FLY703", "Dockerfile", 12)]
    assert [(m.line, m.first, m.last) for m in used] == [(2, 2, 5), (6, 6, 9), (11, 11, 11)]
    assert unused == []


def test_dockerfile_named_otherwise_is_told_apart():
    text = "# flylint: ignore[FLY703] x\nRUN a \\\n  b\n"
    found = [at("FLY703", "docker/prod.df", 3)]
    assert run({"docker/prod.df": text}, found, dockerfiles={"docker/prod.df"})[0] == []
    assert len(run({"docker/prod.df": text}, found)[0]) == 1  # without the hint: line-based
    assert file_kind("deploy/Dockerfile.prod") == file_kind("web.Dockerfile") == "dockerfile"


RUNTIME_EXS = '''\
import Config

if config_env() == :prod do
  # flylint: ignore[FLY601] rotated, see SEC-12
  config :demo, Demo.Repo, password: "hunter2hunter2"
  config :demo, :api, key: "x#{1}"  # flylint: ignore[FLY602] interpolation before the marker
  config :demo, :doc, text: "# flylint: ignore[FLY601] inside a string"
  config :demo, :sigil, re: ~r/# flylint: ignore[FLY601]/
  @moduledoc """
  # flylint: ignore[FLY601] inside a heredoc
  """
  config :demo, :char, c: ?#  # flylint: ignore[FLY101] after a char literal
end
'''


def test_elixir_markers_and_strings():
    found = [at("FLY601", "config/runtime.exs", n) for n in (5, 7, 8, 11)]
    found += [at("FLY602", "config/runtime.exs", 6), at("FLY101", "config/runtime.exs", 12)]
    kept, used, unused = run({"config/runtime.exs": RUNTIME_EXS}, found)
    assert lines_of(kept) == [("FLY601", "config/runtime.exs", n) for n in (7, 8, 11)]
    assert [m.line for m in used] == [4, 6, 12]
    assert unused == []


WORKFLOW = """\
name: deploy
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: superfly/flyctl-actions/setup-flyctl@master  # flylint: ignore[FLY801] Renovate
      - run: 'echo "# flylint: ignore[FLY801] quoted"'
      # flylint: ignore[action-moving-ref] slug works too
      - uses: actions/checkout@main
      - run: |
          # flylint: ignore[FLY601] a shell comment in the script
          fly secrets set KEY=abc
"""


def test_yaml_markers():
    found = [at("FLY801", ".github/workflows/deploy.yml", n) for n in (7, 8, 10)]
    found.append(at("FLY601", ".github/workflows/deploy.yml", 13))
    kept, used, unused = run({".github/workflows/deploy.yml": WORKFLOW}, found)
    assert lines_of(kept) == [("FLY801", ".github/workflows/deploy.yml", 8)]
    assert [m.line for m in used] == [7, 9, 12]
    assert unused == []


# -- file-level markers ------------------------------------------------------------------------


def test_ignore_file_with_prefix_before_first_code_line():
    text = "# syntax=docker/dockerfile:1\n\n# flylint: ignore-file[FLY7] CI image\nFROM alpine\n"
    found = [at("FLY707", "Dockerfile", 1), at("FLY701", "Dockerfile", 4)]
    found.append(at("FLY601", "Dockerfile", 4))
    kept, used, unused = run({"Dockerfile": text}, found)
    assert lines_of(kept) == [("FLY601", "Dockerfile", 4)]
    assert [(m.scope, m.codes) for m in used] == [("file", ("FLY7",))]
    assert unused == []


def test_ignore_file_below_code_is_reported_and_has_no_effect():
    text = 'app = "demo"\n# flylint: ignore-file[FLY301] too late\n'
    kept, used, unused = run({"fly.toml": text}, [at("FLY301", "fly.toml", 1)])
    assert len(kept) == 1 and used == []
    assert lines_of(unused) == [("FLY006", "fly.toml", 2)]
    assert "after the start of the code has no effect" in unused[0].message


# -- FLY006 ------------------------------------------------------------------------------------


def test_unused_marker_is_reported_at_the_marker():
    text = 'app = "demo"\nprimary_region = "ams"  # flylint: ignore[FLY301, FLY305] old\n'
    kept, used, unused = run({"fly.toml": text}, [at("FLY305", "fly.toml", 2)])
    assert kept == [] and len(used) == 1
    [report] = unused
    assert (report.rule, report.path, report.location.line) == ("FLY006", "fly.toml", 2)
    assert report.location.column == 25 and report.location.end_column == 62
    assert report.message == "unused suppression ignore[FLY301, FLY305]: FLY301 matched no finding"
    assert report.fix == "remove FLY301 from the marker"


def test_marker_in_a_clean_file_is_reported():
    text = "FROM alpine\n# flylint: ignore[FLY701] nothing here\nUSER app\n"
    _, _, unused = run({"Dockerfile": text}, [])
    assert lines_of(unused) == [("FLY006", "Dockerfile", 2)]
    assert unused[0].fix == "remove the marker"


def test_unknown_codes_and_all_are_reported():
    text = 'app = "demo"  # flylint: ignore[FLY3O1, ALL] typo\n'
    _, _, unused = run({"fly.toml": text}, [])
    [report] = unused
    assert "'FLY3O1' is not a rule (did you mean FLY301?)" in report.message
    assert "ALL is not accepted" in report.message


@pytest.mark.parametrize(
    "marker",
    [
        "# flylint: ignore FLY301",
        "# flylint: ignore[]",
        "# flylint:ignore",
        "# flylint: skip[FLY1]",
    ],
)
def test_malformed_markers_are_reported(marker):
    _, used, unused = run({"fly.toml": f'{marker}\napp = "demo"\n'}, [at("FLY301", "fly.toml", 2)])
    assert used == [] and lines_of(unused) == [("FLY006", "fly.toml", 1)]
    assert "malformed suppression" in unused[0].message


def test_blank_line_breaks_a_line_above_marker():
    text = '# flylint: ignore[FLY301] x\n\napp = "demo"\n'
    kept, used, unused = run({"fly.toml": text}, [at("FLY301", "fly.toml", 3)])
    assert len(kept) == 1 and used == [] and lines_of(unused) == [("FLY006", "fly.toml", 1)]
    assert unused[0].message.endswith("FLY301 matched no finding (no code line directly below it)")


def test_codes_of_rules_that_did_not_run_are_not_unused():
    text = 'app = "demo"  # flylint: ignore[FLY301] x\n'
    assert run({"fly.toml": text}, [], active={"FLY006", "FLY707"})[2] == []
    assert len(run({"fly.toml": text}, [], active={"FLY006", "FLY301"})[2]) == 1


def test_fly006_can_silence_itself():
    text = 'app = "demo"  # flylint: ignore[FLY301, FLY006] keep until the migration\n'
    assert run({"fly.toml": text}, []) == ([], [], [])
    text = '# flylint: ignore-file[FLY006] generated file\napp = "x"  # flylint: ignore[FLY3]\n'
    assert run({"fly.toml": text}, [])[2] == []


def test_markers_only_match_their_own_file():
    text = 'app = "demo"  # flylint: ignore-file[FLY301] x\n'
    kept, _, unused = run({"fly.toml": text, "fly.staging.toml": ""}, [at("FLY301", "other", 1)])
    assert len(kept) == 1 and len(unused) == 1  # trailing code: too late for ignore-file


# -- robustness --------------------------------------------------------------------------------


def test_comment_detection_heuristics():
    def comment(kind: str, line: str):
        col, _ = comment_columns([line], kind)[0]
        return None if col is None else line[col:]

    assert comment("toml", 'a = "x # y" # c') == "# c"
    assert comment("toml", "a = 'x # y'") is None
    assert comment("elixir", 'x = "a#{b("#")}c" # c') == "# c"
    assert comment("elixir", "x = ?# # c") == "# c"
    assert comment("elixir", "~r/#/ # c") == "# c"
    assert comment("yaml", "url: http://x#frag") is None
    assert comment("yaml", "a: 'it''s # x' # c") == "# c"
    assert comment("dockerfile", "ENV A=b#c") is None
    assert comment("dockerfile", 'RUN echo "a # b" # c') == "# c"


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["toml", "elixir", "yaml", "dockerfile", "shell"]),
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                ['"""', "'''", "# flylint: ignore[", "flylint:", "#{", "~s(", "?", "\\", "[]"]
            ),
        ),
        max_size=12,
    ),
)
def test_never_crashes_on_free_text(kind, parts):
    text = "".join(parts)
    marks, problems = scan_markers(text, "f", kind)
    assert all(m.line >= 1 for m in marks)
    assert all(p.rule == "FLY006" and "\n" not in p.message for p in problems)


# -- end to end --------------------------------------------------------------------------------


def test_markers_on_real_findings(tmp_path):
    from conftest import write_project
    from test_baseline import lint_project

    from flylint import catalogue

    fly = """\
app = "demo"

# flylint: ignore[FLY301] checks are configured on the load balancer
[http_service]
  internal_port = 8080
  auto_stop_machines = "stop"
  auto_start_machines = false  # flylint: ignore[autostart-autostop-mismatch] cron scales it
  force_https = true  # flylint: ignore[FLY403] nothing fires here
"""
    root = write_project(tmp_path / "app", {"fly.toml": fly, "Dockerfile": "FROM alpine\n"})
    findings, read = lint_project(root, raw=True)
    assert {"FLY301", "FLY315"} <= {f.rule for f in findings}
    index = {
        meta.id: meta
        for meta in (
            catalogue.meta_from_yaml(catalogue.load_yaml(p)) for p in catalogue.rule_files()
        )
    }
    kept, used, unused = apply_suppressions(findings, read, ["fly.toml", "Dockerfile"], index=index)
    assert not {"FLY301", "FLY315"} & {f.rule for f in kept}
    assert [m.line for m in used] == [3, 7]
    assert lines_of(unused) == [("FLY006", "fly.toml", 8)]
