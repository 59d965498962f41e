"""FLY701-FLY707 on whole small projects (discovered like the CLI does), starting from a faithful
copy of what `mix phx.gen.release --docker` and `fly launch` write."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RULES_DIR, write_project

from flylint import catalogue
from flylint.checks import boot, image
from flylint.discover import discover

# -- the stock project ----------------------------------------------------------------------------

# Phoenix 1.8 (late 2025): docker.io prefixes, `AS`, --no-install-recommends, trixie, libncurses6.
STOCK_DOCKERFILE_18 = """\
# Find eligible builder and runner images on Docker Hub. We use Ubuntu/Debian
# instead of Alpine to avoid DNS resolution issues in production.
#
# https://hub.docker.com/r/hexpm/elixir/tags?name=ubuntu
# https://hub.docker.com/_/ubuntu/tags
#
# This file is based on these images:
#
#   - https://hub.docker.com/r/hexpm/elixir/tags - for the build image
#   - https://hub.docker.com/_/debian/tags?name=trixie-20251117-slim - for the release image
#   - https://pkgs.org/ - resource for finding needed packages
#   - Ex: docker.io/hexpm/elixir:1.18.4-erlang-28.1.1-debian-trixie-20251117-slim
#
ARG ELIXIR_VERSION=1.18.4
ARG OTP_VERSION=28.1.1
ARG DEBIAN_VERSION=trixie-20251117-slim

ARG BUILDER_IMAGE="docker.io/hexpm/elixir:${ELIXIR_VERSION}-erlang-${OTP_VERSION}-debian-${DEBIAN_VERSION}"
ARG RUNNER_IMAGE="docker.io/debian:${DEBIAN_VERSION}"

FROM ${BUILDER_IMAGE} AS builder

# install build dependencies
RUN apt-get update \\
  && apt-get install -y --no-install-recommends build-essential git \\
  && rm -rf /var/lib/apt/lists/*

# prepare build dir
WORKDIR /app

# install hex + rebar
RUN mix local.hex --force \\
  && mix local.rebar --force

# set build ENV
ENV MIX_ENV="prod"

# install mix dependencies
COPY mix.exs mix.lock ./
RUN mix deps.get --only $MIX_ENV
RUN mkdir config

# copy compile-time config files before we compile dependencies
# to ensure any relevant config change will trigger the dependencies
# to be re-compiled.
COPY config/config.exs config/${MIX_ENV}.exs config/
RUN mix deps.compile

RUN mix assets.setup

COPY priv priv

COPY lib lib

# Compile the release
RUN mix compile

COPY assets assets

# compile assets
RUN mix assets.deploy

# Changes to config/runtime.exs don't require recompiling the code
COPY config/runtime.exs config/

COPY rel rel
RUN mix release

# start a new build stage so that the final image will only contain
# the compiled release and other runtime necessities
FROM ${RUNNER_IMAGE} AS final

RUN apt-get update \\
  && apt-get install -y --no-install-recommends libstdc++6 openssl libncurses6 locales ca-certificates \\
  && rm -rf /var/lib/apt/lists/*

# Set the locale
RUN sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen \\
  && locale-gen

ENV LANG=en_US.UTF-8
ENV LANGUAGE=en_US:en
ENV LC_ALL=en_US.UTF-8

WORKDIR "/app"
RUN chown nobody /app

# set runner ENV
ENV MIX_ENV="prod"

# Only copy the final release from the build stage
COPY --from=builder --chown=nobody:root /app/_build/${MIX_ENV}/rel/my_app ./

USER nobody

# If using an environment that doesn't automatically reap zombie processes, it is
# advised to add an init process such as tini via `apt-get install`
# above and adding an entrypoint. See https://github.com/krallin/tini for details
# ENTRYPOINT ["/tini", "--"]

CMD ["/app/bin/server"]
"""

# Phoenix 1.7 (2023): lowercase `as`, legacy `ENV K V`, bullseye, unnamed runner stage.
STOCK_DOCKERFILE_17 = """\
# Find eligible builder and runner images on Docker Hub. We use Ubuntu/Debian
# instead of Alpine to avoid DNS resolution issues in production.
#
ARG ELIXIR_VERSION=1.15.4
ARG OTP_VERSION=26.0.2
ARG DEBIAN_VERSION=bullseye-20230612-slim

ARG BUILDER_IMAGE="hexpm/elixir:${ELIXIR_VERSION}-erlang-${OTP_VERSION}-debian-${DEBIAN_VERSION}"
ARG RUNNER_IMAGE="debian:${DEBIAN_VERSION}"

FROM ${BUILDER_IMAGE} as builder

# install build dependencies
RUN apt-get update -y && apt-get install -y build-essential git \\
    && apt-get clean && rm -f /var/lib/apt/lists/*_*

# prepare build dir
WORKDIR /app

# install hex + rebar
RUN mix local.hex --force && \\
    mix local.rebar --force

# set build ENV
ENV MIX_ENV="prod"

# install mix dependencies
COPY mix.exs mix.lock ./
RUN mix deps.get --only $MIX_ENV
RUN mkdir config

# copy compile-time config files before we compile dependencies
# to ensure any relevant config change will trigger the dependencies
# to be re-compiled.
COPY config/config.exs config/${MIX_ENV}.exs config/
RUN mix deps.compile

COPY priv priv

COPY lib lib

COPY assets assets

# compile assets
RUN mix assets.deploy

# Compile the release
RUN mix compile

# Changes to config/runtime.exs don't require recompiling the code
COPY config/runtime.exs config/

COPY rel rel
RUN mix release

# start a new build stage so that the final image will only contain
# the compiled release and other runtime necessities
FROM ${RUNNER_IMAGE}

RUN apt-get update -y && \\
  apt-get install -y libstdc++6 openssl libncurses5 locales ca-certificates \\
  && apt-get clean && rm -f /var/lib/apt/lists/*_*

# Set the locale
RUN sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen

ENV LANG en_US.UTF-8
ENV LANGUAGE en_US:en
ENV LC_ALL en_US.UTF-8

WORKDIR "/app"
RUN chown nobody /app

# set runner ENV
ENV MIX_ENV="prod"

# Only copy the final release from the build stage
COPY --from=builder --chown=nobody:root /app/_build/${MIX_ENV}/rel/my_app ./

USER nobody

# If using an environment that doesn't automatically reap zombie processes, it is
# advised to add an init process such as tini via `apt-get install`
# above and adding an entrypoint. See https://github.com/krallin/tini for details
# ENTRYPOINT ["/tini", "--"]

CMD ["/app/bin/server"]
"""

STOCK_DOCKERIGNORE = """\
# This file excludes paths from the Docker build context.
.dockerignore

# Ignore git, but keep git HEAD and refs to access current commit hash if needed
.git
!.git/HEAD
!.git/refs

# Common development/test artifacts
/cover/
/doc/
/test/
/tmp/
.elixir_ls

# Mix artifacts
/_build/
/deps/
*.ez

# Generated on crash by the VM
erl_crash.dump

# Static artifacts - These should be fetched and built inside the Docker image
/assets/node_modules/
/priv/static/assets/
/priv/static/cache_manifest.json
"""

FLY_TOML = """\
app = 'my-app'
primary_region = 'ord'
kill_signal = 'SIGTERM'

[build]

[deploy]
  release_command = '/app/bin/migrate'

[env]
  PHX_HOST = 'my-app.fly.dev'
  PORT = '8080'

[http_service]
  internal_port = 8080
  force_https = true
  auto_stop_machines = 'stop'
  auto_start_machines = true
  min_machines_running = 0
  processes = ['app']
"""

SERVER_SCRIPT = """\
#!/bin/sh
set -eu

cd -P -- "$(dirname -- "$0")"
PHX_SERVER=true exec ./my_app start
"""

MIGRATE_SCRIPT = """\
#!/bin/sh
set -eu

cd -P -- "$(dirname -- "$0")"
exec ./my_app eval MyApp.Release.migrate
"""

MIX_EXS = """\
defmodule MyApp.MixProject do
  use Mix.Project

  def project do
    [app: :my_app, version: "0.1.0", elixir: "~> 1.15", deps: deps()]
  end

  defp deps, do: [{:phoenix, "~> 1.8"}, {:ecto_sql, "~> 3.12"}, {:postgrex, ">= 0.0.0"}]
end
"""

STOCK_FILES = {
    "fly.toml": FLY_TOML,
    "Dockerfile": STOCK_DOCKERFILE_18,
    ".dockerignore": STOCK_DOCKERIGNORE,
    "mix.exs": MIX_EXS,
    "rel/overlays/bin/server": SERVER_SCRIPT,
    "rel/overlays/bin/migrate": MIGRATE_SCRIPT,
}

IMAGE_RULES = ("FLY701", "FLY702", "FLY703", "FLY704", "FLY705", "FLY706", "FLY707")
MY_RULES = (*IMAGE_RULES, "FLY308", "FLY312", "FLY313")


def checks_by_id():
    found = {}
    for module in (image, boot):
        for value in vars(module).values():
            rule_id = getattr(value, "rule_id", None)
            if rule_id and callable(value):
                found[rule_id] = value
    return found


CHECKS = checks_by_id()


def project_findings(root: Path, rules=MY_RULES):
    out = []
    for project in discover([str(root)]):
        for app in project.apps:
            for rule_id in rules:
                out.extend(CHECKS[rule_id](app))
    return out


def lint(tmp_path, files, rules=MY_RULES, **changes):
    merged = {**STOCK_FILES, **files}
    for path, value in changes.items():
        merged[path] = value
    return project_findings(write_project(tmp_path / "p", merged), rules)


def swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def brief(findings):
    return sorted(f"{f.rule} {f.path}:{f.location.line}" for f in findings)


# -- the stock template is clean ------------------------------------------------------------------


def test_every_check_is_registered():
    assert set(CHECKS) == set(MY_RULES)


@pytest.mark.parametrize("dockerfile", [STOCK_DOCKERFILE_18, STOCK_DOCKERFILE_17])
def test_stock_phx_gen_release_is_clean(tmp_path, dockerfile):
    findings = lint(tmp_path, {"Dockerfile": dockerfile})
    assert findings == []


def test_stock_project_without_app_overlays_is_clean_for_image_rules(tmp_path):
    files = {k: v for k, v in STOCK_FILES.items() if not k.startswith("rel/")}
    root = write_project(tmp_path / "p", files)
    assert project_findings(root, IMAGE_RULES) == []


# -- FLY701 runs-as-root --------------------------------------------------------------------------


def test_fly701_no_user_points_at_line_one(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, "USER nobody\n", "")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY701",))
    assert (f.path, f.location.line) == ("Dockerfile", 1)
    assert "sets no USER" in f.message and "final" in f.message
    assert (
        f.related[0].line
        == STOCK_DOCKERFILE_18.split("\n").index("FROM ${RUNNER_IMAGE} AS final") + 1
    )


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:root", '"root"'])
def test_fly701_explicit_root(tmp_path, user):
    df = swap(STOCK_DOCKERFILE_18, "USER nobody\n", f"USER nobody\nRUN true\nUSER {user}\n")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY701",))
    assert df.split("\n")[f.location.line - 1] == f"USER {user}"
    assert f.location.column == 6
    assert f.severity is None


def test_fly701_builder_root_and_unresolved_user_are_silent(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, "WORKDIR /app\n", "WORKDIR /app\nUSER root\n")
    assert lint(tmp_path / "a", {"Dockerfile": df}, ("FLY701",)) == []
    df = swap(STOCK_DOCKERFILE_18, "USER nobody", "ARG APP_USER\nUSER ${APP_USER}")
    assert lint(tmp_path / "b", {"Dockerfile": df}, ("FLY701",)) == []


def test_fly701_user_inherited_from_parent_stage(tmp_path):
    df = 'FROM debian:bookworm-slim AS base\nUSER nobody\nFROM base AS runner\nCMD ["x"]\n'
    assert lint(tmp_path, {"Dockerfile": df}, ("FLY701",)) == []


def test_fly701_build_target_picks_the_runner(tmp_path):
    df = "FROM debian:bookworm-slim AS app\nUSER nobody\nFROM debian:bookworm-slim AS debug\n"
    toml = FLY_TOML.replace("[build]\n", "[build]\n  build_target = 'app'\n")
    assert lint(tmp_path / "a", {"Dockerfile": df, "fly.toml": toml}, ("FLY701",)) == []
    assert brief(lint(tmp_path / "b", {"Dockerfile": df}, ("FLY701",))) == ["FLY701 Dockerfile:1"]


# -- FLY702 mix-env-not-prod ----------------------------------------------------------------------


def test_fly702_mix_env_dev_points_at_env(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18, 'ENV MIX_ENV="prod"\n\n# install', 'ENV MIX_ENV="dev"\n\n# install'
    )
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY702",))
    assert df.split("\n")[f.location.line - 1] == 'ENV MIX_ENV="dev"'
    assert "MIX_ENV=dev" in f.message and "builder" in f.message
    assert f.related and "mix release" in df.split("\n")[f.related[0].line - 1]


def test_fly702_unset_points_at_mix_release(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, 'ENV MIX_ENV="prod"\n\n# install', "# install")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY702",))
    assert df.split("\n")[f.location.line - 1] == "RUN mix release"
    assert "without MIX_ENV" in f.message


@pytest.mark.parametrize(
    "setup",
    [
        "ARG MIX_ENV=prod\n",
        "ENV MIX_ENV=prod\n",
        "ARG MIX_ENV=dev\nENV MIX_ENV=prod\n",
    ],
)
def test_fly702_prod_set_by_arg_or_env(tmp_path, setup):
    df = f"FROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240612-slim\n{setup}RUN mix release\n"
    assert lint(tmp_path, {"Dockerfile": df}, ("FLY702",)) == []


def test_fly702_inline_assignment_and_unknown_values(tmp_path):
    base = "FROM hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240612-slim\n"
    ok = base + "RUN mix deps.get && MIX_ENV=prod mix release\n"
    assert lint(tmp_path / "a", {"Dockerfile": ok}, ("FLY702",)) == []
    bad = base + "RUN MIX_ENV=staging mix release\n"
    [f] = lint(tmp_path / "b", {"Dockerfile": bad}, ("FLY702",))
    assert f.location.line == 2 and "MIX_ENV=staging" in f.message
    unknown = base + "ARG MIX_ENV\nRUN mix release\n"
    assert lint(tmp_path / "c", {"Dockerfile": unknown}, ("FLY702",)) == []


def test_fly702_env_after_the_release_does_not_count(tmp_path):
    df = "FROM elixir:1.17.2-slim\nRUN mix do compile, release\nENV MIX_ENV=prod\n"
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY702",))
    assert f.location.line == 2


def test_fly702_heredoc_run(tmp_path):
    df = "FROM elixir:1.17.2-slim\nENV MIX_ENV=test\nRUN <<EOF\nmix deps.get\nmix release\nEOF\n"
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY702",))
    assert f.location.line == 2


# -- FLY703 copies-secret-files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [".env", ".env.prod", "config/prod.secret.exs", "priv/server.key", ".git", ".git/"],
)
def test_fly703_secret_files(tmp_path, source):
    df = swap(STOCK_DOCKERFILE_18, "COPY lib lib\n", f"COPY lib lib\nCOPY {source} ./x\n")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY703",))
    line = df.split("\n")[f.location.line - 1]
    assert line == f"COPY {source} ./x"
    assert line[f.location.column - 1 : f.location.end_column - 1] == source
    assert f.severity is None  # the catalogue's error


def test_fly703_git_head_and_refs_are_not_secrets(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18, "COPY lib lib\n", "COPY lib lib\nCOPY .git/HEAD .git/refs .git/\n"
    )
    assert lint(tmp_path, {"Dockerfile": df}, ("FLY703",)) == []


def test_fly703_templates_and_other_stages(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, "COPY lib lib\n", "COPY lib lib\nCOPY .env.example ./\n")
    assert lint(tmp_path / "a", {"Dockerfile": df}, ("FLY703",)) == []
    # every stage counts, and --from copies do not come from the context
    df = swap(
        STOCK_DOCKERFILE_18,
        "USER nobody\n",
        "COPY .env ./\nCOPY --from=builder /app/.env ./\nUSER nobody\n",
    )
    assert len(lint(tmp_path / "b", {"Dockerfile": df}, ("FLY703",))) == 1


def test_fly703_pem_reads_the_file(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, "COPY lib lib\n", "COPY lib lib\nCOPY certs/site.pem ./\n")
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
    assert lint(tmp_path / "a", {"Dockerfile": df, "certs/site.pem": cert}, ("FLY703",)) == []
    assert len(lint(tmp_path / "b", {"Dockerfile": df, "certs/site.pem": key}, ("FLY703",))) == 1
    # unreadable: a name that says certificate is given the benefit of the doubt
    df = swap(STOCK_DOCKERFILE_18, "COPY lib lib\n", "COPY lib lib\nCOPY rds-ca-bundle.pem ./\n")
    assert lint(tmp_path / "c", {"Dockerfile": df}, ("FLY703",)) == []


def test_fly703_copy_whole_context(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, "COPY lib lib\n", "COPY lib lib\nCOPY . .\n")
    # the stock .dockerignore does not exclude .env*
    [f] = lint(tmp_path / "a", {"Dockerfile": df}, ("FLY703",))
    assert f.severity == "warning" and "does not exclude .env" in f.message
    assert ".git" not in f.message.split("exclude")[1]
    full = STOCK_DOCKERIGNORE + ".env*\n"
    assert lint(tmp_path / "b", {"Dockerfile": df, ".dockerignore": full}, ("FLY703",)) == []
    # no .dockerignore at all
    root = write_project(
        tmp_path / "c",
        {**{k: v for k, v in STOCK_FILES.items() if k != ".dockerignore"}, "Dockerfile": df},
    )
    [f] = project_findings(root, ("FLY703",))
    assert f.severity == "warning" and "no .dockerignore" in f.message


def test_fly703_reincluded_git(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, "COPY lib lib\n", "COPY lib lib\nCOPY . .\n")
    ignore = ".env*\n_build\ndeps\n.git\n!.git\n"
    [f] = lint(tmp_path, {"Dockerfile": df, ".dockerignore": ignore}, ("FLY703",))
    assert "exclude .git" in f.message


# -- FLY704 unpinned-base-image -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dockerfile", "line"),
    [
        ("FROM debian\n", 1),
        ("FROM debian:latest AS runner\n", 1),
        ("ARG IMG=docker.io/library/debian\nFROM ${IMG}\n", 2),
        ("ARG TAG=latest\nFROM debian:bookworm-slim AS b\nFROM alpine:${TAG}\n", 3),
        ("FROM localhost:5000/myimage\n", 1),
    ],
)
def test_fly704_fires(tmp_path, dockerfile, line):
    [f] = lint(tmp_path, {"Dockerfile": dockerfile}, ("FLY704",))
    assert f.location.line == line


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM scratch\n",
        "FROM debian@sha256:" + "a" * 64 + "\n",
        "FROM debian:bookworm-slim AS base\nFROM base\n",
        "ARG TAG\nFROM debian:${TAG}\n",
        "FROM localhost:5000/myimage:1.2\n",
    ],
)
def test_fly704_silent(tmp_path, dockerfile):
    assert lint(tmp_path, {"Dockerfile": dockerfile}, ("FLY704",)) == []


def test_fly704_message_shows_resolution(tmp_path):
    [f] = lint(tmp_path, {"Dockerfile": "ARG IMG=debian:latest\nFROM ${IMG}\n"}, ("FLY704",))
    assert "${IMG} (= debian:latest)" in f.message
    assert (f.location.column, f.location.end_column) == (6, 12)


# -- FLY705 builder-runner-os-mismatch ------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_name", "expected"),
    [
        ("hexpm/elixir:1.17.2-erlang-27.0.1-debian-bookworm-20240612-slim", ("debian", "bookworm")),
        ("docker.io/debian:bookworm-20240612-slim", ("debian", "bookworm")),
        ("debian:12-slim", ("debian", "bookworm")),
        ("debian:12.5", ("debian", "bookworm")),
        ("debian:stable-slim", ("debian", None)),
        ("hexpm/elixir:1.16.3-erlang-26.2.5-alpine-3.19.1", ("alpine", "3.19")),
        ("alpine:3.20.1", ("alpine", "3.20")),
        ("alpine", ("alpine", None)),
        ("ubuntu:22.04", ("ubuntu", "jammy")),
        ("hexpm/elixir:1.17.2-erlang-27.0.1-ubuntu-noble-20240605", ("ubuntu", "noble")),
        ("gcr.io/distroless/cc-debian12", ("debian", "bookworm")),
        ("elixir:1.17-otp-27-alpine", ("alpine", None)),
        ("elixir:1.17-slim", (None, None)),
        ("myregistry:5000/base:latest", (None, None)),
    ],
)
def test_image_os(image_name, expected):
    assert image.image_os(image_name) == expected


def test_fly705_bullseye_vs_bookworm(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_17,
        'ARG RUNNER_IMAGE="debian:${DEBIAN_VERSION}"',
        'ARG RUNNER_IMAGE="debian:bookworm-20240612-slim"',
    )
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY705",))
    assert df.split("\n")[f.location.line - 1] == "FROM ${RUNNER_IMAGE}"
    assert "Debian bullseye" in f.message and "Debian bookworm" in f.message
    assert df.split("\n")[f.related[0].line - 1] == "FROM ${BUILDER_IMAGE} as builder"


def test_fly705_alpine_runner_with_debian_builder(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18,
        'ARG RUNNER_IMAGE="docker.io/debian:${DEBIAN_VERSION}"',
        'ARG RUNNER_IMAGE="alpine:3.20"',
    )
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY705",))
    assert "Alpine 3.20" in f.message and "Debian trixie" in f.message


def test_fly705_silent_when_unknown_or_same(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18,
        'ARG RUNNER_IMAGE="docker.io/debian:${DEBIAN_VERSION}"',
        'ARG RUNNER_IMAGE="debian:13-slim"',
    )
    assert lint(tmp_path / "a", {"Dockerfile": df}, ("FLY705",)) == []
    df = swap(
        STOCK_DOCKERFILE_18,
        'ARG RUNNER_IMAGE="docker.io/debian:${DEBIAN_VERSION}"',
        'ARG RUNNER_IMAGE="debian:stable-slim"',
    )
    assert lint(tmp_path / "b", {"Dockerfile": df}, ("FLY705",)) == []
    df = swap(
        STOCK_DOCKERFILE_18,
        'ARG RUNNER_IMAGE="docker.io/debian:${DEBIAN_VERSION}"',
        "ARG RUNNER_IMAGE",
    )
    assert lint(tmp_path / "c", {"Dockerfile": df}, ("FLY705",)) == []


def test_fly705_follows_stage_chains(tmp_path):
    df = (
        "FROM hexpm/elixir:1.17.2-erlang-27.0.1-alpine-3.20.1 AS deps\n"
        "FROM deps AS builder\nENV MIX_ENV=prod\nRUN mix release\n"
        "FROM alpine:3.19 AS runtime\nFROM runtime\n"
        "COPY --from=builder /app/_build/prod/rel/my_app ./\n"
    )
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY705",))
    assert f.location.line == 5 and "Alpine 3.20" in f.message and "Alpine 3.19" in f.message


# -- FLY706 locale-missing ------------------------------------------------------------------------


def test_fly706_no_locale_points_at_line_one(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18,
        "ENV LANG=en_US.UTF-8\nENV LANGUAGE=en_US:en\nENV LC_ALL=en_US.UTF-8\n",
        "",
    )
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY706",))
    assert f.location.line == 1 and "no UTF-8 LANG" in f.message


def test_fly706_c_utf8_is_enough_and_c_is_not(tmp_path):
    df = "FROM debian:bookworm-slim\nENV LANG=C.UTF-8\nUSER nobody\n"
    assert lint(tmp_path / "a", {"Dockerfile": df}, ("FLY706",)) == []
    df = "FROM debian:bookworm-slim\nENV LANG=C.UTF-8 LC_ALL=C\n"
    [f] = lint(tmp_path / "b", {"Dockerfile": df}, ("FLY706",))
    assert f.location.line == 2 and "LC_ALL=C" in f.message


def test_fly706_locale_never_generated(tmp_path):
    df = "FROM debian:bookworm-slim\nENV LANG=en_US.UTF-8\n"
    [f] = lint(tmp_path / "a", {"Dockerfile": df}, ("FLY706",))
    assert f.location.line == 2 and "locale-gen" in f.message
    # other bases may ship the locale: silent
    df = "FROM mycompany/base:1.0\nENV LANG=en_US.UTF-8\n"
    assert lint(tmp_path / "b", {"Dockerfile": df}, ("FLY706",)) == []


# -- FLY707 dockerignore-missing ------------------------------------------------------------------


def test_fly707_missing_and_present(tmp_path):
    files = {k: v for k, v in STOCK_FILES.items() if k != ".dockerignore"}
    [f] = project_findings(write_project(tmp_path / "a", files), ("FLY707",))
    assert (f.path, f.location.line) == ("Dockerfile", 1)
    assert ".dockerignore" in f.message
    assert project_findings(write_project(tmp_path / "b", STOCK_FILES), ("FLY707",)) == []


def test_fly707_ignorefile_setting_and_no_dockerfile(tmp_path):
    files = {k: v for k, v in STOCK_FILES.items() if k != ".dockerignore"}
    files["fly.toml"] = FLY_TOML.replace("[build]\n", "[build]\n  ignorefile = 'docker/ignore'\n")
    files["docker/ignore"] = STOCK_DOCKERIGNORE
    assert project_findings(write_project(tmp_path / "a", files), ("FLY707",)) == []
    files = {
        "fly.toml": FLY_TOML.replace("[build]\n", "[build]\n  image = 'flyio/hellofly:latest'\n")
    }
    assert project_findings(write_project(tmp_path / "b", files), ("FLY707",)) == []


# -- every check is total -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dockerfile",
    ["", "\x00\x01", "FROM\n", "garbage\n", "FROM a AS\nUSER\nWORKDIR\nEXPOSE\nCOPY\nCMD\n"],
)
def test_checks_never_raise(tmp_path, dockerfile):
    lint(tmp_path, {"Dockerfile": dockerfile})


# -- the catalogue examples of these rules --------------------------------------------------------


def _my_examples():
    for rule_id in MY_RULES:
        path = RULES_DIR / f"{rule_id}.yaml"
        if not path.exists():
            continue
        data = catalogue.load_yaml(path)
        for number, example in enumerate(data.get("examples") or []):
            yield pytest.param(rule_id, example, id=f"{rule_id}-{number}")


@pytest.mark.parametrize(("rule_id", "example"), list(_my_examples()))
def test_catalogue_examples_directly(tmp_path, rule_id, example):
    root = write_project(tmp_path / "ex", example["files"])
    found = brief(project_findings(root, (rule_id,)))
    assert found == sorted(example["expect"])
