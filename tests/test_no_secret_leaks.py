"""No output of flylint ever contains a detected secret's value.

Every output format (and `--report` files, `--write-baseline`, `--statistics`) is produced by the
installed CLI over `fixtures/insecure` (its planted fake secrets are read from the files named in
its README) and over a project written here with freshly generated random secrets in every place
the FLY6xx rules look. No planted value may appear, nor any 8-character piece of one: masks show
at most the first 4 characters and the length.

`build_secret_project(rng)` is shared with tests/test_secret_rules.py.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli, write_project

FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab")
WINDOW = 8
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
PEM = "RSA PRIV" + "ATE KEY"  # split so this file never holds a scanner-matching header


# -- planted values ---------------------------------------------------------------------------


def readme_planted(fixture: Path) -> list[tuple[str, int, str]]:
    """(path, line, value) of every secret the fixture README lists under "Planted fake secrets",
    the value read from the file itself (the longest random-looking run on that line)."""
    text = (fixture / "README.md").read_text(encoding="utf-8")
    section = text.split("## Planted fake secrets", 1)[1].split("\n## ", 1)[0]
    out = []
    for m in re.finditer(r"^- ([\w./-]+):(\d+) ", section, re.M):
        path, line = m.group(1), int(m.group(2))
        source = (fixture / path).read_text(encoding="utf-8").split("\n")[line - 1]
        runs = re.findall(r"[A-Za-z0-9+/_-]{16,}={0,3}", source)
        assert runs, f"{path}:{line}: no secret-looking value on the line"
        out.append((path, line, max(runs, key=len)))
    return out


# Public format prefixes: `sk_live_` alone is in the rule docs, it is not part of any secret.
FORMAT_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "github_pat_")


def leaks(text: str, values: list[str]) -> list[str]:
    """Planted values (shown masked) that appear, whole or as an 8-character piece, in text."""
    found = []
    for value in values:
        public = max([4, *(len(p) for p in FORMAT_PREFIXES if value.startswith(p))])
        first = max(public - WINDOW + 1, 0)  # a piece must reach past the public prefix
        pieces = {value[i : i + WINDOW] for i in range(first, max(len(value) - WINDOW + 1, 1))}
        hit = next((p for p in pieces if p in text), None)
        if hit is not None:
            found.append(f"{value[:4]}…(len {len(value)}) via {hit[:4]}…")
    return found


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chars(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def human(self) -> str:
        chars = [*self.chars(7, string.ascii_letters), self.rng.choice("23456789"), "!"]
        self.rng.shuffle(chars)
        return "".join(chars)


def build_secret_project(rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    """(files, planted) of a Phoenix app with a fake secret in every place the rules look.

    `planted` maps a label (`rule:place`) to the value; values are random for each rng."""
    g = _Gen(rng)
    p: dict[str, str] = {
        "FLY606:fly.toml comment": "fo1_" + g.chars(43, B64URL),
        "FLY602:build.args": g.chars(32, HEX),
        "FLY601:env.SECRET_KEY_BASE": g.chars(64, B64),
        "FLY601:env.DATABASE_URL": g.chars(24),
        "FLY605:env.RELEASE_COOKIE": g.chars(54, B64URL) + "==",
        "FLY601:env.MAILER_PASSWORD": g.human(),
        "FLY607:check header": g.chars(40),
        "FLY607:raw_value": g.chars(40),
        "FLY606:release_command": "ghp_" + g.chars(36),
        "FLY602:ARG GH_TOKEN": "ghp_" + g.chars(36),
        "FLY602:ENV SECRET_KEY_BASE": g.chars(64, B64),
        "FLY602:ENV FLY_API_TOKEN a": "fm2_" + g.chars(120, B64),
        "FLY602:ENV FLY_API_TOKEN b": "fm2_" + g.chars(120, B64),
        "FLY602:RUN --token": g.chars(40, HEX),
        "FLY602:ARG DATABASE_URL": g.chars(20),
        "FLY605:ENV RELEASE_COOKIE": g.chars(54, B64URL) + "==",
        "FLY605:mix.exs cookie": g.chars(32, B64URL),
        "FLY603:guardian": g.chars(64, B64),
        "FLY603:stripe": "sk_live_" + g.chars(30),
        "FLY603:fallback": g.chars(64, B64),
        "FLY603:password": g.chars(16),
        "FLY603:url": g.chars(20),
        "FLY603:decode64": g.chars(43, B64) + "=",
        "FLY603:aws": g.chars(40, B64),
        "FLY603:env.sh.eex": g.chars(64, B64),
        "FLY605:env.sh.eex": g.chars(54, B64URL) + "==",
        "FLY605:vm.args": g.chars(32, B64URL),
        "FLY604:env a": "fm2_" + g.chars(110, B64),
        "FLY604:env b": "fm2_" + g.chars(110, B64),
        "FLY604:with": "fo1_" + g.chars(43, B64URL),
        "FLY604:secrets set": g.chars(32),
        "FLY604:GITHUB_ENV": "fm2_" + g.chars(130, B64),
        "FLY604:build-secret": g.chars(32, HEX),
        "dev.exs": g.chars(64, B64),
        "test.exs": g.chars(64, B64),
    }
    pem_lines = [g.chars(64, B64) for _ in range(6)]
    for i, line in enumerate(pem_lines):
        p[f"FLY603:pem line {i + 1}"] = line
    raw_value = base64.b64encode(f"API_TOKEN={p['FLY607:raw_value']}\n".encode()).decode()
    p["FLY607:raw_value base64"] = raw_value
    pem = "\n".join(
        f"  {x}" for x in [f"-----BEGIN {PEM}-----", *pem_lines, f"-----END {PEM}-----"]
    )

    files = {
        "fly.toml": f"""app = "leaky"
primary_region = "ams"

# Old deploy token:
# {p["FLY606:fly.toml comment"]}

[build]
  [build.args]
    HEX_ORGANIZATION_KEY = "{p["FLY602:build.args"]}"

[deploy]
  release_command = "/app/bin/migrate --token {p["FLY606:release_command"]}"

[env]
  PHX_HOST = "leaky.fly.dev"
  SECRET_KEY_BASE = "{p["FLY601:env.SECRET_KEY_BASE"]}"
  DATABASE_URL = "postgres://leaky:{p["FLY601:env.DATABASE_URL"]}@leaky-db.flycast:5432/leaky"
  RELEASE_COOKIE = "{p["FLY605:env.RELEASE_COOKIE"]}"
  MAILER_PASSWORD = "{p["FLY601:env.MAILER_PASSWORD"]}"

[http_service]
  internal_port = 8080
  force_https = true

  [[http_service.checks]]
    path = "/health"
    interval = "15s"
    timeout = "2s"
    [http_service.checks.headers]
      Authorization = "Bearer {p["FLY607:check header"]}"

[[files]]
  guest_path = "/app/.env"
  raw_value = "{raw_value}"
""",
        "Dockerfile": f"""FROM hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241016-slim AS builder
ARG GH_TOKEN={p["FLY602:ARG GH_TOKEN"]}
ENV SECRET_KEY_BASE={p["FLY602:ENV SECRET_KEY_BASE"]}
ENV FLY_API_TOKEN="FlyV1 {p["FLY602:ENV FLY_API_TOKEN a"]},{p["FLY602:ENV FLY_API_TOKEN b"]}"
RUN vendor-cli login --token {p["FLY602:RUN --token"]}
ARG DATABASE_URL=ecto://build:{p["FLY602:ARG DATABASE_URL"]}@db.internal.net/app
ENV MIX_ENV=prod
RUN mix release

FROM debian:bookworm-20241016-slim
ENV RELEASE_COOKIE={p["FLY605:ENV RELEASE_COOKIE"]}
COPY --from=builder /app/_build/prod/rel/leaky ./
CMD ["/app/bin/server"]
""",
        "mix.exs": f"""defmodule Leaky.MixProject do
  use Mix.Project

  def project do
    [
      app: :leaky,
      version: "0.1.0",
      elixir: "~> 1.17",
      deps: [],
      releases: [leaky: [cookie: "{p["FLY605:mix.exs cookie"]}"]]
    ]
  end
end
""",
        "config/config.exs": f"""import Config

config :leaky, LeakyWeb.Endpoint,
  url: [host: "localhost"],
  live_view: [signing_salt: "{g.chars(8)}"]

config :leaky, Leaky.Guardian,
  issuer: "leaky",
  secret_key: "{p["FLY603:guardian"]}"

config :leaky, Leaky.Signer,
  private_key: \"\"\"
{pem}
  \"\"\"

import_config "#{{config_env()}}.exs"
""",
        "config/dev.exs": f"""import Config

config :leaky, LeakyWeb.Endpoint,
  secret_key_base: "{p["dev.exs"]}"
""",
        "config/test.exs": f"""import Config

config :leaky, LeakyWeb.Endpoint,
  secret_key_base: "{p["test.exs"]}"
""",
        "config/prod.exs": f"""import Config

config :leaky, Leaky.Mailer, api_key: System.get_env("MAILGUN_API_KEY")

config :stripity_stripe, api_key: "{p["FLY603:stripe"]}"
""",
        "config/runtime.exs": f"""import Config

if config_env() == :prod do
  secret_key_base = System.get_env("SECRET_KEY_BASE") || "{p["FLY603:fallback"]}"

  config :leaky, LeakyWeb.Endpoint, secret_key_base: secret_key_base

  config :leaky, Leaky.Repo,
    url: "ecto://leaky:{p["FLY603:url"]}@db.internal.net/leaky",
    password: "{p["FLY603:password"]}"

  config :leaky, Leaky.Vault, key: Base.decode64!("{p["FLY603:decode64"]}")

  config :ex_aws, secret_access_key: "{p["FLY603:aws"]}"
end
""",
        "rel/env.sh.eex": f"""#!/bin/sh
export RELEASE_COOKIE="{p["FLY605:env.sh.eex"]}"
export SECRET_KEY_BASE="{p["FLY603:env.sh.eex"]}"
export RELEASE_NODE="${{FLY_APP_NAME}}@${{FLY_PRIVATE_IP}}"
echo "booting with $DATABASE_URL"
""",
        "rel/vm.args.eex": f"-setcookie {p['FLY605:vm.args']}\n",
        ".github/workflows/deploy.yml": f"""name: Deploy
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: postgres
    steps:
      - run: mix test
  deploy:
    runs-on: ubuntu-latest
    env:
      FLY_API_TOKEN: FlyV1 {p["FLY604:env a"]},{p["FLY604:env b"]}
    steps:
      - uses: superfly/flyctl-actions/setup-flyctl@master
        with:
          fly-token: {p["FLY604:with"]}
      - run: |
          fly secrets set WEBHOOK_SECRET={p["FLY604:secrets set"]}
          echo "FLY_API_TOKEN=FlyV1 {p["FLY604:GITHUB_ENV"]}" >> "$GITHUB_ENV"
      - run: flyctl deploy --build-secret HEX_API_KEY={p["FLY604:build-secret"]}
""",
    }
    return files, p


# -- running the CLI --------------------------------------------------------------------------


def outputs(root: Path, tmp: Path) -> dict[str, str]:
    """Everything the CLI writes for root: stdout/stderr of each format, --report files, a
    baseline, and --statistics."""
    out: dict[str, str] = {}
    for fmt in FORMATS:
        res = run_cli("check", str(root), "--output-format", fmt, "--statistics")
        assert res.returncode in (0, 1), res.stderr
        out[f"stdout {fmt}"] = res.stdout
        out[f"stderr {fmt}"] = res.stderr
    reports = [("--report", f"{fmt}:{tmp / f'report.{fmt}'}") for fmt in FORMATS]
    res = run_cli(
        "check",
        str(root),
        "--output-format",
        "full",
        "-o",
        str(tmp / "out.txt"),
        *[x for pair in reports for x in pair],
    )
    assert res.returncode in (0, 1), res.stderr
    out["stdout -o"] = res.stdout + res.stderr
    out["file -o"] = (tmp / "out.txt").read_text(encoding="utf-8")
    for fmt in FORMATS:
        out[f"report {fmt}"] = (tmp / f"report.{fmt}").read_text(encoding="utf-8")
    res = run_cli("check", str(root), "--write-baseline", str(tmp / "baseline.json"))
    assert res.returncode == 0, res.stderr
    out["baseline"] = (tmp / "baseline.json").read_text(encoding="utf-8")
    out["baseline stderr"] = res.stdout + res.stderr
    return out


def assert_no_leaks(outs: dict[str, str], values: list[str], context: str) -> None:
    problems = {where: found for where, text in outs.items() if (found := leaks(text, values))}
    assert not problems, f"{context}: secret values leaked: {problems}"


def test_leak_check_itself_catches_a_value():
    assert leaks("x 3c6f5da2 y", ["3c6f5da2cec255404e4fb440034d6608"])
    assert not leaks("3c6f…(len 32)", ["3c6f5da2cec255404e4fb440034d6608"])


def test_insecure_fixture_outputs_never_show_planted_values(tmp_path):
    fixture = FIXTURES / "insecure"
    planted = readme_planted(fixture)
    assert len(planted) >= 9
    values = [v for _, _, v in planted]
    outs = outputs(fixture, tmp_path)
    # The secrets were found (otherwise "no leak" would prove nothing) ...
    data = json.loads(outs["stdout json"])
    findings = data["findings"] if isinstance(data, dict) else data
    assert sum(1 for f in findings if str(f.get("rule", f.get("code", ""))).startswith("FLY6"))
    assert "FLY601" in outs["stdout concise"]
    # ... and none of them is shown.
    assert_no_leaks(outs, values, "fixtures/insecure")


def test_generated_project_outputs_never_show_planted_values(tmp_path):
    seed = random.SystemRandom().randrange(2**32)
    files, planted = build_secret_project(random.Random(seed))
    root = write_project(tmp_path / "leaky", files)
    outs = outputs(root, tmp_path)
    assert "FLY60" in outs["stdout concise"], f"seed {seed}: no secret found at all"
    assert_no_leaks(outs, list(planted.values()), f"seed {seed}")


@pytest.mark.parametrize("fmt", ["full"])
def test_code_frames_of_other_rules_are_masked_too(tmp_path, fmt):
    """A frame echoed for a non-secret rule (FLY313 on release_command) masks the token on it."""
    files, planted = build_secret_project(random.Random(42))
    root = write_project(tmp_path / "leaky", files)
    res = run_cli("check", str(root), "--output-format", fmt, "--ignore", "FLY6")
    assert res.returncode in (0, 1), res.stderr
    assert not leaks(res.stdout, list(planted.values()))


def rendered_in_process(root: Path) -> dict[str, str]:
    """Every format rendered in-process with the redactor and message masking wired the way
    flylint/run.py and engine.finalize are meant to wire them (independent of that wiring)."""
    from flylint.baseline import render_baseline
    from flylint.discover import discover
    from flylint.engine import Selection, lint
    from flylint.report import ReportContext, render
    from flylint.secrets.redact import make_redactor, mask_finding

    (project,) = discover([str(root)])
    findings = [mask_finding(f) for f in lint(project, Selection())]

    def source(path: str):
        return project.fs.read(path)[0]

    ctx = ReportContext(source=source, redact=make_redactor(findings, source))
    out = {fmt: render(fmt, findings, ctx) for fmt in FORMATS}
    out["baseline"] = render_baseline(findings, source)
    return out


def test_redactor_and_message_masking_in_process(tmp_path):
    seed = random.SystemRandom().randrange(2**32)
    files, planted = build_secret_project(random.Random(seed))
    root = write_project(tmp_path / "leaky", files)
    outs = rendered_in_process(root)
    assert outs["full"].count("…(len") > 20
    assert_no_leaks(outs, list(planted.values()), f"seed {seed}")
    fixture_values = [v for _, _, v in readme_planted(FIXTURES / "insecure")]
    assert_no_leaks(rendered_in_process(FIXTURES / "insecure"), fixture_values, "insecure")


def test_redactor_masks_spans_tokens_and_url_passwords():
    from flylint.findings import Finding, Location
    from flylint.secrets.redact import make_redactor, safe_text

    rng = random.Random(7)
    secret = "".join(rng.choice(ALNUM) for _ in range(40))
    token = "ghp_" + "".join(rng.choice(ALNUM) for _ in range(36))
    line = f'  API_SECRET = "{secret}"  # and {token}'
    start = line.index(secret)
    finding = Finding("FLY601", "m", Location("fly.toml", 3, start + 1, 3, start + 41))
    redact = make_redactor([finding])
    shown = redact("fly.toml", 3, line)
    assert secret[:4] + "…(len 40)" in shown and secret[4:12] not in shown
    assert token[4:12] not in shown and shown.startswith('  API_SECRET = "')
    assert redact("other.toml", 3, "plain line") == "plain line"
    url = "DATABASE_URL=postgres://app:s3cr3tPassw0rdXYZ@db.internal:5432/app"
    assert redact("x", 1, url) == "DATABASE_URL=postgres://app:****@db.internal:5432/app"
    assert safe_text(f"release_command '/app/bin/migrate --token {token}'") == (
        f"release_command '/app/bin/migrate --token {token[:4]}…(len 40)'"
    )
