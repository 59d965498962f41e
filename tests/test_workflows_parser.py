"""The GitHub Actions workflow model: positions, shapes, YAML errors, caching."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from flylint.model import App
from flylint.parsers.workflows import load_workflows, parse_workflow
from flylint.sources import ProjectFS, SourceFile

DEPLOY = """name: Deploy
on:
  push:
    branches: [main]

env:
  MIX_ENV: prod

concurrency: deploys

jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: postgres
        ports:
          - 5432:5432
    steps:
      - uses: actions/checkout@v4
      - name: Test
        run: |
          mix deps.get
          mix test
        env:
          DATABASE_URL: "ecto://postgres:postgres@localhost/demo_test"
  deploy:
    needs: test
    runs-on: ubuntu-latest
    concurrency:
      group: deploy
      cancel-in-progress: false
    container: node:20
    steps:
      - uses: superfly/flyctl-actions/setup-flyctl@v1
        with:
          version: 0.3.10
      - run: flyctl deploy --remote-only  # deploy it
        env:
          FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}
"""


def parse(text: str, path: str = ".github/workflows/deploy.yml"):
    return parse_workflow(SourceFile.from_text(path, text))


def test_structure_and_positions():
    wf, findings = parse(DEPLOY)
    assert findings == [] and wf.parsed
    assert wf.name == "Deploy"
    assert wf.env["MIX_ENV"].value.text == "prod"
    assert wf.concurrency is not None and wf.concurrency.line == 9
    test, deploy = wf.jobs
    assert (test.key, test.location.line, test.location.column) == ("test", 12, 3)
    assert (test.first_line, test.last_line) == (12, 28)
    assert test.concurrency is None and deploy.concurrency.line == 32
    svc = test.services[0]
    assert (svc.name, svc.first_line, svc.last_line) == ("postgres", 15, 20)
    assert svc.env["POSTGRES_PASSWORD"].value.text == "postgres"
    assert wf.in_service(18) and not wf.in_service(21)
    checkout, tests = test.steps
    assert checkout.uses.text == "actions/checkout@v4"
    assert (checkout.uses.line, checkout.uses.column, checkout.uses.end_column) == (22, 15, 34)
    assert tests.name == "Test"
    run = tests.run
    assert run.style == "|" and run.text == "mix deps.get\nmix test\n"
    assert (run.line, run.end_line) == (24, 26)
    url = tests.env["DATABASE_URL"].value
    assert url.style == '"' and (url.line, url.column) == (28, 25)
    assert url.end_column == 25 + len('"ecto://postgres:postgres@localhost/demo_test"')
    assert deploy.container is not None and deploy.container.image.text == "node:20"
    setup, flyctl = deploy.steps
    assert setup.with_["version"].value.text == "0.3.10"
    assert flyctl.run.text == "flyctl deploy --remote-only"
    assert (flyctl.run.line, flyctl.run.end_line) == (40, 40)
    assert flyctl.run.end_column == 14 + len("flyctl deploy --remote-only")
    token = flyctl.env["FLY_API_TOKEN"]
    assert (token.key.line, token.key.column) == (42, 11)
    assert token.value.text == "${{ secrets.FLY_API_TOKEN }}"


def test_find_locates_text_inside_a_block_scalar():
    wf, _ = parse(DEPLOY)
    src = wf.source
    run = wf.jobs[0].steps[1].run
    loc = run.find("mix test", src)
    assert (loc.line, loc.column, loc.end_column) == (26, 11, 19)
    assert run.find("not there", src) is None


def test_scalar_types_are_stringified_like_expressions():
    wf, _ = parse("jobs:\n  a:\n    env:\n      A: true\n      B: 3\n      C:\n      D: 'x'\n")
    env = wf.jobs[0].env
    assert [env[k].value.text for k in "ABCD"] == ["true", "3", "", "x"]


def test_env_expression_and_secrets_inherit():
    wf, _ = parse(
        "jobs:\n  a:\n    env: ${{ fromJSON(inputs.env) }}\n    uses: org/repo/.github/workflows/x.yml@main\n"
        "    secrets: inherit\n    steps:\n      - run: x\n        env: ${{ matrix.env }}\n"
    )
    job = wf.jobs[0]
    assert job.env == {} and job.env_expression.text.startswith("${{")
    assert job.uses.text.endswith("@main")
    assert job.secrets == {}
    assert job.steps[0].env_expression is not None


def test_yaml_syntax_error_is_fly001_at_its_position():
    wf, findings = parse("on: push\njobs:\n  deploy: [a,\n    b: c\n")
    assert not wf.parsed and wf.jobs == []
    (f,) = findings
    assert f.rule == "FLY001" and f.path == ".github/workflows/deploy.yml"
    assert f.message.startswith("invalid YAML:")
    assert f.location.line >= 3


def test_duplicate_key_message_never_quotes_values():
    token = "fo1_" + "aB3" * 14 + "x"
    _, findings = parse(f"env:\n  FLY_API_TOKEN: {token}\n  FLY_API_TOKEN: {token}\n")
    (f,) = findings
    assert f.message == 'invalid YAML: duplicate key "FLY_API_TOKEN"'
    assert (f.location.line, f.location.column) == (3, 3)
    assert token[4:12] not in f.message


def test_tabs_and_non_mappings():
    assert parse("\tjobs: x\n")[1][0].rule == "FLY001"
    wf, findings = parse("- a\n- b\n")
    assert wf.jobs == [] and findings[0].rule == "FLY001"
    assert parse("") == (parse("")[0], [])
    assert parse("# only a comment\n")[1] == []


def test_odd_shapes_are_skipped_not_raised():
    for text in (
        "jobs: [1, 2]\n",
        "jobs:\n  a: 3\n  b:\n    steps: 4\n",
        "jobs:\n  a:\n    steps:\n      - 1\n      - [x]\n      - run: [1]\n        env: [2]\n",
        "jobs:\n  a:\n    services: [1]\n    container:\n      env: 3\n",
        "jobs:\n  ? [a, b]\n  : {steps: []}\n",
        "x: &a {b: *a}\n",
        "jobs:\n  a: &j\n    steps: [{run: deploy}]\n  b: *j\n",
    ):
        _, findings = parse(text)
        assert all(f.rule == "FLY001" for f in findings)


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("jobs:env- \n\t[]{}'\"|>&*!#%@`run${}x1")), max_size=80)
)
def test_never_raises(text):
    wf, findings = parse(text)
    assert all(f.rule == "FLY001" for f in findings)
    for job in wf.jobs:
        for step in job.steps:
            assert step.first_line >= 1


def test_load_workflows_parses_once_and_reports_fly001(tmp_path):
    root = tmp_path / "app"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ok.yml").write_text(DEPLOY)
    (root / ".github/workflows/bad.yaml").write_text("jobs: [\n")
    fs = ProjectFS(Path(root))
    app = App(
        config_path="fly.toml",
        fs=fs,
        workflow_paths=[".github/workflows/bad.yaml", ".github/workflows/ok.yml"],
    )
    first = load_workflows(app)
    assert [w.path for w in first] == [".github/workflows/bad.yaml", ".github/workflows/ok.yml"]
    assert load_workflows(app) is first  # memoized in app.extra
    assert [f.rule for f in app.input_findings] == ["FLY001"]
    assert app.input_findings[0].path == ".github/workflows/bad.yaml"


def test_fixture_workflows_parse():
    for fixture, jobs in (("insecure", ["deploy", "warm-up"]), ("hardened", ["test", "deploy"])):
        path = next((FIXTURES / fixture / ".github/workflows").glob("*.yml"))
        wf, findings = parse_workflow(SourceFile.from_text(path.name, path.read_text()))
        assert findings == [] and [j.key for j in wf.jobs] == jobs


def test_shared_cache_parses_each_workflow_once_per_project(tmp_path):
    root = tmp_path / "app"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ok.yml").write_text(DEPLOY)
    (root / ".github/workflows/bad.yml").write_text("jobs: [\n")
    fs = ProjectFS(Path(root))
    paths = [".github/workflows/bad.yml", ".github/workflows/ok.yml"]
    cache: dict = {}
    one = App(config_path="fly.toml", fs=fs, workflow_paths=paths)
    two = App(config_path="fly.staging.toml", fs=fs, workflow_paths=paths)
    first, second = load_workflows(one, cache), load_workflows(two, cache)
    assert [id(w) for w in first] == [id(w) for w in second]
    assert (
        [f.rule for f in one.input_findings] == [f.rule for f in two.input_findings] == ["FLY001"]
    )
