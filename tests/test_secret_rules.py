"""FLY601–FLY609 on the fixtures, on a generated project with a secret in every place, and on
small projects for the edges (placeholders, cookies, references, dev/test files, masking)."""

from __future__ import annotations

import base64
import random
import re

import pytest
from conftest import FIXTURES, write_project
from test_no_secret_leaks import build_secret_project, leaks, readme_planted

from flylint.discover import discover
from flylint.engine import Selection, lint
from flylint.secrets.mask import mask

SECRET_RULES = tuple(f"FLY60{i}" for i in range(1, 10))
CLEAN_FIXTURES = (
    "hardened",
    "generated-app",
    "umbrella",
    "multi-env",
    "sqlite-volume",
    "legacy-v1",
    "binary-dockerfile",
    "broken-dockerfile",
    "broken-elixir",
    "broken-toml",
)


def run(root, select=("FLY6",)):
    out = []
    for project in discover([str(root)]):
        out.extend(lint(project, Selection(select=tuple(select))))
    return out


def where(findings, rule=None):
    """`RULE path:line` of each finding, sorted by rule, path and line number."""
    chosen = [f for f in findings if rule in (None, f.rule)]
    chosen.sort(key=lambda f: (f.rule, f.path, f.location.line))
    return [f"{f.rule} {f.path}:{f.location.line}" for f in chosen]


def readme_expected(fixture, prefix="FLY6"):
    text = (FIXTURES / fixture / "README.md").read_text(encoding="utf-8")
    section = text.split("## Intended findings", 1)[1].split("\n## ", 1)[0]
    found = [
        (m.group(1), m.group(2), int(m.group(3)))
        for m in re.finditer(r"^- (FLY\d{3}) ([\w./-]+):(\d+)", section, re.M)
        if m.group(1).startswith(prefix)
    ]
    return [f"{rule} {path}:{line}" for rule, path, line in sorted(found)]


# -- fixtures ---------------------------------------------------------------------------------


def test_insecure_fixture_matches_its_readme():
    found = run(FIXTURES / "insecure")
    assert where(found) == readme_expected("insecure")


def test_insecure_fixture_every_planted_secret_is_found():
    found = run(FIXTURES / "insecure")
    for path, line, value in readme_planted(FIXTURES / "insecure"):
        assert any(
            f.path == path and f.location.line <= line <= f.location.end_line for f in found
        ), f"{path}:{line} not reported"
        assert not any(leaks(f.message + (f.fix or ""), [value]) for f in found)


def test_insecure_fixture_severities_and_keys():
    found = run(FIXTURES / "insecure")
    by = {f"{f.rule} {f.path}:{f.location.line}": f for f in found}
    assert by["FLY602 Dockerfile:46"].severity == "info"  # `nokey` in the runner
    assert by["FLY602 Dockerfile:14"].severity == "error"
    assert by["FLY605 rel/env.sh.eex:5"].severity == "warning"
    assert by["FLY601 fly.toml:29"].key == "env.SECRET_KEY_BASE"
    assert by["FLY607 fly.toml:75"].key == "services[0].http_checks[0].headers.Authorization"
    assert all(f.key for f in found)


@pytest.mark.parametrize("fixture", CLEAN_FIXTURES)
def test_clean_fixtures_have_no_secret_findings(fixture):
    assert where(run(FIXTURES / fixture)) == []


# -- a generated project with a secret in every place -----------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    files, planted = build_secret_project(random.Random(20250611))
    root = write_project(tmp_path_factory.mktemp("gen") / "app", files)
    return files, planted, run(root)


def _line_of(files, value):
    for path, text in files.items():
        idx = text.find(value)
        if idx >= 0:
            return path, text.count("\n", 0, idx) + 1
    raise AssertionError("value not in any file")


def test_generated_project_every_place_is_reported(generated):
    files, planted, found = generated
    for label, value in planted.items():
        if ":" not in label:
            continue
        rule = label.split(":")[0]
        if label == "FLY607:raw_value":  # decoded content: reported at the base64 string
            value = planted["FLY607:raw_value base64"]
        path, line = _line_of(files, value)
        assert any(
            f.rule == rule and f.path == path and f.location.line <= line <= f.location.end_line
            for f in found
        ), f"{label}: no {rule} at {path}:{line}"


def test_generated_project_dev_and_test_literals_are_exempt(generated):
    _, _, found = generated
    assert not [f for f in found if f.path in ("config/dev.exs", "config/test.exs")]


def test_generated_project_specific_rules_win_over_fly606(generated):
    _, _, found = generated
    lines = {(f.path, f.location.line) for f in found if f.rule != "FLY606"}
    for f in found:
        if f.rule == "FLY606":
            assert (f.path, f.location.line) not in lines, f
    # The token in a fly.toml comment and the one in release_command have no other rule.
    assert {f.path for f in found if f.rule == "FLY606"} == {"fly.toml"}


def test_generated_project_messages_show_values_masked(generated):
    _, planted, found = generated
    values = list(planted.values())
    for f in found:
        assert not leaks(f.message, values), f.message
        assert not leaks(f.fix or "", values), f.fix
        assert f.key and not leaks(f.key, values), f.key
    skb = planted["FLY601:env.SECRET_KEY_BASE"]
    assert any(mask(skb) in f.message for f in found)
    url = next(f for f in found if f.key == "env.DATABASE_URL")
    assert "postgres://leaky:****@leaky-db.flycast:5432/leaky" in url.message


def test_generated_project_fly_macaroon_pair_is_one_finding(generated):
    files, planted, found = generated
    path, line = _line_of(files, planted["FLY604:env a"])
    hits = [f for f in found if f.path == path and f.location.line == line]
    assert [f.rule for f in hits] == ["FLY604"]
    text = files[path].split("\n")[line - 1]
    span = text[hits[0].location.column - 1 : hits[0].location.end_column - 1]
    assert span == f"{planted['FLY604:env a']},{planted['FLY604:env b']}"


# -- edges, on small projects -----------------------------------------------------------------

MIX = """defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [app: :demo, version: "0.1.0", deps: []]
  end
end
"""
FAKE = random.Random(605)


def fake(n=40, alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"):
    return "".join(FAKE.choice(alphabet) for _ in range(n))


def test_fly_env_decoys_are_silent(project):
    root = project(
        {
            "fly.toml": """app = "demo"
[env]
  PHX_HOST = "demo-app.fly.dev"
  POOL_SIZE = "10"
  ECTO_IPV6 = "true"
  API_KEY_HEADER = "x-api-key"
  JWT_TTL_SECONDS = "3600"
  SMTP_PASSWORD_FILE = "/run/secrets/smtp"
  SECRET_NAME = "demo-prod"
  ADMIN_PASSWORD = "changeme"
  SENTRY_DSN = "${SENTRY_DSN}"
  STRIPE_PUBLISHABLE_KEY = "pk_live_0123456789abcdefghij"
  TURNSTILE_SITE_KEY = "0x0000000000000000"
  RELEASE_COOKIE = "${RELEASE_COOKIE}"
"""
        }
    )
    assert where(run(root)) == []


def test_weak_password_in_fly_env_counts(project):
    root = project({"fly.toml": 'app = "demo"\n[env]\n  DB_PASSWORD = "postgres"\n'})
    assert where(run(root)) == ["FLY601 fly.toml:3"]


def test_cookie_literals_are_reported_even_when_they_look_weak(project):
    root = project(
        {
            "fly.toml": 'app = "demo"\n[env]\n  RELEASE_COOKIE = "my_app_cookie"\n',
            "mix.exs": MIX,
            "rel/vm.args.eex": "-name demo\n-setcookie <%= @release.options[:cookie] %>\n",
            "rel/remote.vm.args.eex": "-setcookie plaincookie\n",
        }
    )
    assert where(run(root)) == ["FLY605 fly.toml:3", "FLY605 rel/remote.vm.args.eex:1"]


def test_dockerfile_placeholders_and_secret_mounts(project):
    token = fake(40)
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            "Dockerfile": f"""FROM elixir:1.17 AS build
ENV SECRET_KEY_BASE=nokey
ARG HEX_API_KEY
RUN --mount=type=secret,id=HEX_API_KEY HEX_API_KEY=$(cat /run/secrets/HEX_API_KEY) mix deps.get
RUN SECRET_KEY_BASE=placeholder mix assets.deploy
RUN vendor-cli login --api-key {token}

FROM build AS release
ENV SECRET_KEY_BASE=changeme

FROM debian:bookworm-slim
ENV RELEASE_DISTRIBUTION=name
""",
        }
    )
    # The final stage is built from debian, not from `release`: no runner placeholder.
    assert where(run(root)) == ["FLY602 Dockerfile:6"]


def test_runner_built_from_a_stage_with_a_placeholder(project):
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            "Dockerfile": "FROM elixir:1.17 AS base\nENV API_TOKEN=changeme\nFROM base\nCMD x\n",
        }
    )
    found = run(root)
    assert where(found) == ["FLY602 Dockerfile:2"]
    assert found[0].severity == "info"


def test_legacy_env_form_and_multiple_pairs(project):
    key = fake(48)
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            "Dockerfile": f"FROM alpine:3.20\nENV MIX_ENV=prod \\\n    SIGNING_KEY={key}\nENV API_TOKEN {fake(40)}\n",
        }
    )
    found = run(root)
    assert where(found) == ["FLY602 Dockerfile:3", "FLY602 Dockerfile:4"]
    first = found[0].location
    assert (first.column, first.end_column) == (17, 17 + len(key))


def test_elixir_references_and_salts_are_silent(project):
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            "mix.exs": MIX,
            "config/config.exs": """import Config
config :demo, DemoWeb.Endpoint,
  live_view: [signing_salt: "aB3dE5fG"],
  session: [key: "_demo_key", signing_salt: "x9Y8z7W6"]
config :demo, :token_length, 32
import_config "#{config_env()}.exs"
""",
            "config/prod.exs": "import Config\n",
            "config/runtime.exs": """import Config
if config_env() == :prod do
  config :demo, Demo.Mailer,
    api_key: System.fetch_env!("MAILGUN_API_KEY"),
    client_secret: {:system, "GH_SECRET"},
    secret_key: {Demo.Keys, :fetch, []},
    password: System.get_env("SMTP_PASS", ""),
    token: "<token>",
    other_key: "your_api_key_here",
    admin: System.get_env("ADMIN_PASS") || raise "ADMIN_PASS missing"
  config :demo, Demo.Sentry, dsn: "https://0123456789abcdef0123456789abcdef@o0.ingest.sentry.io/0"
end
""",
        }
    )
    assert where(run(root)) == []


def test_config_overridden_for_dev_only_is_not_prod(project):
    secret = fake(64)
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            "mix.exs": MIX,
            "config/config.exs": f"""import Config
if config_env() == :dev do
  config :demo, Demo.Guardian, secret_key: "{secret}"
end
""",
        }
    )
    assert where(run(root)) == []


def test_compile_time_reads_only_in_compile_time_files(project):
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            "mix.exs": MIX,
            "config/config.exs": 'import Config\nconfig :demo, Demo.Repo, url: System.get_env("DATABASE_URL")\n'
            'config :demo, :host, System.get_env("PHX_HOST")\nimport_config "#{config_env()}.exs"\n',
            "config/prod.exs": 'import Config\nconfig :demo, Demo.Stripe, key: System.fetch_env!("STRIPE_SECRET")\n',
            "config/runtime.exs": 'import Config\nconfig :demo, Demo.Mailer, api_key: System.fetch_env!("MAILGUN_API_KEY")\n',
        }
    )
    assert where(run(root), "FLY608") == ["FLY608 config/config.exs:2", "FLY608 config/prod.exs:2"]


def test_echo_rules(project):
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            "mix.exs": MIX,
            "rel/env.sh.eex": """#!/bin/sh
echo "node ${RELEASE_NODE}"
echo "$SECRET_KEY_BASE" > /tmp/skb
echo "$DATABASE_URL" | sha256sum
[ -n "$RELEASE_COOKIE" ] && echo "cookie is set"
printf '%s\\n' "$RELEASE_COOKIE"
# echo $DATABASE_URL
""",
            "rel/overlays/bin/server.bat": "echo %SECRET_KEY_BASE%\r\ncall demo start\r\n",
        }
    )
    assert where(run(root)) == ["FLY609 rel/env.sh.eex:6", "FLY609 rel/overlays/bin/server.bat:1"]


def test_files_raw_value_plain_and_base64_and_top_level_check_headers(project):
    plain_token = "ghp_" + fake(36)
    encoded = base64.b64encode(f"password: {fake(20)}\n".encode()).decode()
    root = project(
        {
            "fly.toml": f"""app = "demo"

[[files]]
  guest_path = "/app/token"
  raw_value = "{plain_token}"

[[files]]
  guest_path = "/app/config.yml"
  raw_value = "{encoded}"

[checks.status]
  type = "http"
  port = 8080
  path = "/status"
  headers = {{ X-Api-Key = "{fake(32)}" }}
"""
        }
    )
    assert where(run(root)) == ["FLY607 fly.toml:5", "FLY607 fly.toml:9", "FLY607 fly.toml:15"]


def test_workflow_service_containers_are_exempt_but_job_env_is_not(project):
    pw = fake(24)
    root = project(
        {
            "fly.toml": 'app = "demo"\n',
            ".github/workflows/ci.yml": f"""on: push
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      db:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: {pw}
    env:
      DATABASE_URL: ecto://postgres:postgres@localhost/demo_test
      MIX_ENV: test
    steps:
      - run: mix test
        env:
          STRIPE_SECRET_KEY: sk_test_{fake(24)}
""",
        }
    )
    found = run(root)
    assert where(found) == ["FLY604 .github/workflows/ci.yml:16"]
    assert found[0].severity == "warning"  # a test-mode Stripe key


def test_checks_never_raise_on_odd_models(project):
    root = project(
        {
            "fly.toml": 'app = "demo"\nenv = "oops"\n[build]\nargs = 3\n[[files]]\nraw_value = 7\n',
            "Dockerfile": "ENV\nARG =x\nFROM\nENV A\n",
            "mix.exs": "defmodule X do\n",
            "rel/env.sh.eex": "export =\necho ${\n",
            ".github/workflows/a.yml": "jobs: [1, 2]\n",
            ".github/workflows/b.yml": "jobs:\n  x:\n    steps: 3\n    env: [1]\n",
        }
    )
    run(root, select=("FLY6", "FLY8"))
