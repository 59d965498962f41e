"""FLY801–FLY803 on the fixtures and on small workflows."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, fake_secret

from flylint.checks.ci import runs_flyctl_deploy
from flylint.discover import discover
from flylint.engine import Selection, lint


def run(root, select=("FLY8",)):
    out = []
    for project in discover([str(root)]):
        out.extend(lint(project, Selection(select=tuple(select))))
    out.sort(key=lambda f: (f.rule, f.path, f.location.line))
    return out


def where(findings):
    return [f"{f.rule} {f.path}:{f.location.line}" for f in findings]


def workflow(project, text: str):
    return project({"fly.toml": 'app = "demo"\n', ".github/workflows/deploy.yml": text})


@pytest.mark.parametrize(
    ("script", "deploys"),
    [
        ("flyctl deploy --remote-only", True),
        ("fly deploy", True),
        ("flyctl --verbose deploy", True),
        ("/home/runner/.fly/bin/flyctl deploy -a demo", True),
        ("mix test && flyctl deploy --remote-only", True),
        ("FLY_API_TOKEN=${{ secrets.T }} fly deploy", True),
        ("set -e\ncd apps/web\nflyctl deploy --config fly.production.toml\n", True),
        ("flyctl scale count 2 --yes", False),
        ("flyctl deploy-notes", False),
        ("echo fly deploy", False),
        ("# flyctl deploy\nmix test", False),
        ("fly secrets set A=b", False),
        ("", False),
    ],
)
def test_runs_flyctl_deploy(script, deploys):
    assert runs_flyctl_deploy(script) is deploys


def test_insecure_fixture_matches_its_readme():
    assert where(run(FIXTURES / "insecure")) == [
        "FLY801 .github/workflows/deploy.yml:14",
        "FLY802 .github/workflows/deploy.yml:9",
        "FLY803 .github/workflows/deploy.yml:15",
    ]


@pytest.mark.parametrize("fixture", ["hardened", "generated-app", "multi-env"])
def test_clean_fixtures(fixture):
    assert where(run(FIXTURES / fixture)) == []


def test_moving_refs(project):
    root = workflow(
        project,
        """on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    concurrency: deploy
    env:
      FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}
    steps:
      - uses: superfly/flyctl-actions/setup-flyctl@main
      - uses: superfly/flyctl-actions/setup-flyctl
      - uses: superfly/flyctl-actions/setup-flyctl@refs/heads/dev
      - uses: superfly/flyctl-actions/setup-flyctl@v1.5
      - uses: superfly/flyctl-actions/setup-flyctl@1.5.0
      - uses: superfly/flyctl-actions/setup-flyctl@0123456789abcdef0123456789abcdef01234567
      - uses: actions/checkout@master
      - uses: ./local-action
      - uses: docker://superfly/flyctl:latest
      - run: flyctl deploy
""",
    )
    found = run(root)
    assert where(found) == [
        "FLY801 .github/workflows/deploy.yml:9",
        "FLY801 .github/workflows/deploy.yml:10",
        "FLY801 .github/workflows/deploy.yml:11",
    ]
    assert "the branch main" in found[0].message and "no ref" in found[1].message
    assert found[0].key == ".github/workflows/deploy.yml:jobs.deploy.steps[0].uses"
    loc = found[0].location
    assert (loc.column, loc.end_column) == (
        15,
        15 + len("superfly/flyctl-actions/setup-flyctl@main"),
    )


def test_concurrency_on_workflow_counts_and_action_deploys(project):
    root = workflow(
        project,
        """on: push
concurrency: deploys
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: superfly/flyctl-actions@1.5
        with:
          args: "deploy --remote-only"
        env:
          FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}
""",
    )
    assert where(run(root)) == []


def test_action_with_deploy_args_is_a_deploy(project):
    root = workflow(
        project,
        """on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: superfly/flyctl-actions@1.5
        with:
          args: "deploy"
""",
    )
    found = run(root)
    assert where(found) == [
        "FLY802 .github/workflows/deploy.yml:3",
        "FLY803 .github/workflows/deploy.yml:6",
    ]
    assert found[0].related and found[0].related[0].line == 6


@pytest.mark.parametrize(
    ("env_block", "fires"),
    [
        ("    env:\n      FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}\n", False),
        ("    env:\n      FLY_ACCESS_TOKEN: ${{ secrets['FLY_TOKEN'] }}\n", False),
        ("    env: ${{ fromJSON(needs.setup.outputs.env) }}\n", False),
        ("    env:\n      FLY_API_TOKEN: ${{ needs.auth.outputs.token }}\n", False),
        ("    env:\n      FLY_API_TOKEN: ${{ vars.FLY_API_TOKEN }}\n", True),
        ("    env:\n      FLY_TOKEN: ${{ secrets.FLY_TOKEN }}\n", True),
        ("    env:\n      OTHER: x\n", True),
        ("", True),
    ],
)
def test_token_env_variants(project, env_block, fires):
    root = workflow(
        project,
        f"""on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    concurrency: deploy
{env_block}    steps:
      - run: flyctl deploy --remote-only
""",
    )
    assert bool(where(run(root, ("FLY803",)))) is fires


def test_token_passed_inline_or_through_github_env(project):
    root = workflow(
        project,
        """on: push
jobs:
  a:
    runs-on: ubuntu-latest
    concurrency: a
    steps:
      - run: FLY_API_TOKEN="${{ secrets.FLY_API_TOKEN }}" flyctl deploy
  b:
    runs-on: ubuntu-latest
    concurrency: b
    steps:
      - run: echo "FLY_API_TOKEN=${{ secrets.FLY_API_TOKEN }}" >> "$GITHUB_ENV"
      - run: flyctl deploy
  c:
    runs-on: ubuntu-latest
    concurrency: c
    steps:
      - run: flyctl deploy -t ${{ secrets.FLY_API_TOKEN }}
""",
    )
    assert where(run(root)) == []


def test_literal_token_is_fly604_not_fly803(project):
    root = workflow(
        project,
        """on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    concurrency: deploy
    steps:
      - run: flyctl deploy
        env:
          # fake, generated for flylint tests
          FLY_API_TOKEN: @@TOKEN@@
""".replace("@@TOKEN@@", fake_secret(604, 43, "fo1_")),
    )
    assert where(run(root, ("FLY6", "FLY8"))) == ["FLY604 .github/workflows/deploy.yml:10"]


def test_broken_workflow_reports_parse_error_only(project):
    root = workflow(project, "on: push\njobs:\n  deploy: [\n")
    found = run(root, ("FLY001", "FLY8"))
    assert [f.rule for f in found] in ([], ["FLY001"])  # FLY001 once discovery loads workflows
