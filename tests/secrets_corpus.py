"""Labelled corpus for the secret detector: realistic must-flag cases and decoys, per file kind.

No credential literal lives in this file: every secret-shaped value is generated at import time
from a seeded PRNG (`build_corpus(seed)`), with the right prefix and alphabet. Decoys follow
knowledge/secrets.md §13; must-flag cases follow §12.

Each case is `(context, name, value, expected, note, file)`; the first five are the detector's
inputs and the label, `file` says which kind of file the case comes from (used by `render` to
write the case as a real file, e.g. for bench/secrets_compare.py). Values are written as they
appear in the file: raw for fly.toml/Dockerfile/YAML/shell (the parser's view), Elixir *source*
for `elixir_config` (quotes included, or the whole expression). `name=None` means the value is a
whole line or document.
"""

from __future__ import annotations

import json
import random
import string
from typing import NamedTuple

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
LOWER_ALNUM = string.ascii_lowercase + string.digits

# Markers split so that this source file itself never contains a scanner-matching header.
PEM_RSA = "RSA PRIV" + "ATE KEY"
PEM_EC = "EC PRIV" + "ATE KEY"
PEM_OPENSSH = "OPENSSH PRIV" + "ATE KEY"
PEM_PKCS8 = "PRIV" + "ATE KEY"


class Case(NamedTuple):
    context: str
    name: str | None
    value: str
    expected: bool
    note: str
    file: str = ""


class _Gen:
    """Seeded generator of fake secret-shaped values."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def chars(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def b64(self, n: int) -> str:
        return self.chars(n, B64)

    def sentry_dsn(self) -> str:
        org, project = self.chars(6, string.digits), self.chars(7, string.digits)
        return f"https://{self.hex(32)}@o{org}.ingest.sentry.io/{project}"

    def uuid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def b64url(self, n: int) -> str:
        return self.chars(n, B64URL)

    def hex(self, n: int) -> str:
        return self.chars(n, HEX)

    def human_password(self) -> str:
        """9 characters: letters, a digit and a symbol, as a person would pick."""
        chars = [
            *self.chars(7, string.ascii_letters),
            self.rng.choice(string.digits),
            self.rng.choice("!#%&*+?"),
        ]
        self.rng.shuffle(chars)
        return "".join(chars)

    def phx_secret(self, n: int = 64) -> str:
        """Like `mix phx.gen.secret`: unpadded standard base64 of random bytes."""
        return self.b64(n)

    def fly_macaroon(self, n: int = 420) -> str:
        return "fm2_" + self.b64(n) + "=="

    def fly_header(self, pair: bool = True) -> str:
        tok = self.fly_macaroon()
        if pair:
            tok += "," + self.fly_macaroon(260)
        return "FlyV1 " + tok

    def fo1(self) -> str:
        return "fo1_" + self.b64url(43)

    def github(self, prefix: str = "ghp_") -> str:
        return prefix + self.chars(36)

    def github_pat(self) -> str:
        return "github_pat_" + self.chars(22) + "_" + self.chars(59)

    def aws_key_id(self, prefix: str = "AKIA") -> str:
        return prefix + self.chars(16, B32)

    def stripe(self, kind: str = "sk_live_", n: int = 30) -> str:
        return kind + self.chars(n)

    def pem(self, label: str, lines: int = 20, escaped: bool = False) -> str:
        body = ["MII" + self.b64(61)] + [self.b64(64) for _ in range(lines - 1)]
        sep = "\\n" if escaped else "\n"
        return sep.join([f"-----BEGIN {label}-----", *body, f"-----END {label}-----"])


def build_corpus(seed: int = 20240611) -> list[Case]:
    """The labelled cases; the same seed always yields the same values."""
    g = _Gen(seed)
    must = _must_flag(g)
    decoys = _decoys(g)
    return must + decoys


def _must_flag(g: _Gen) -> list[Case]:
    T = True
    return [
        # fly.toml [env]
        Case("fly_env", "SECRET_KEY_BASE", g.phx_secret(), T, "key base in [env]", "fly.toml"),
        Case(
            "fly_env",
            "DATABASE_URL",
            f"postgresql://web:{g.chars(24)}@main-db.flycast/web",
            T,
            "DB URL with password in [env]",
            "fly.toml",
        ),
        Case("fly_env", "RELEASE_COOKIE", g.b64url(54) + "==", T, "release cookie", "fly.toml"),
        Case("fly_env", "MAILER_PASSWORD", g.human_password(), T, "human password", "fly.toml"),
        Case("fly_env", "STRIPE_SECRET_KEY", g.stripe(), T, "Stripe live key", "fly.toml"),
        Case("fly_env", "AWS_SECRET_ACCESS_KEY", g.b64(40), T, "AWS secret key", "fly.toml"),
        Case("fly_env", "AWS_ACCESS_KEY_ID", g.aws_key_id(), T, "AWS key id (format)", "fly.toml"),
        Case("fly_env", "GUARDIAN_SECRET_KEY", g.b64(64), T, "Guardian key", "fly.toml"),
        Case("fly_env", "SMTP_PASSWORD", g.chars(16), T, "SMTP password", "fly.toml"),
        Case(
            "fly_env",
            "REDIS_URL",
            f"redis://default:{g.chars(32)}@fly-demo-cache.upstash.io:6379",
            T,
            "Upstash Redis URL with password",
            "fly.toml",
        ),
        Case(
            "fly_env",
            "SENDGRID_API_KEY",
            f"SG.{g.b64url(22)}.{g.b64url(43)}",
            T,
            "SendGrid key under an api-key name",
            "fly.toml",
        ),
        Case("fly_env", "DB_PASS", g.chars(12), T, "short password name", "fly.toml"),
        Case("fly_env", "GITHUB_TOKEN", g.github(), T, "GitHub PAT (classic)", "fly.toml"),
        Case("fly_env", "SENTRY_AUTH_TOKEN", g.hex(64), T, "Sentry auth token", "fly.toml"),
        Case(
            "fly_env",
            "MONGODB_URI",
            f"mongodb+srv://app:{g.chars(20)}@cluster0.ab1cd.mongodb.net/prod",
            T,
            "Mongo SRV URL with password",
            "fly.toml",
        ),
        Case(
            "fly_env",
            "CLOUDAMQP_URL",
            f"amqps://demo:{g.chars(32)}@rattlesnake.rmq.cloudamqp.com/demo",
            T,
            "AMQP URL with password",
            "fly.toml",
        ),
        Case(
            "fly_env",
            "STRIPE_RESTRICTED_KEY",
            g.stripe("rk_live_", 40),
            T,
            "Stripe restricted key",
            "fly.toml",
        ),
        Case(
            "fly_env",
            "STRIPE_SECRET_KEY",
            g.stripe("sk_test_", 24),
            T,
            "Stripe test key: full test-mode API access (reported as stripe-test-key)",
            "fly.toml",
        ),
        Case("fly_env", "STRIPE_WEBHOOK_SECRET", "whsec_" + g.chars(32), T, "webhook", "fly.toml"),
        Case(
            "fly_env",
            "DATABASE_URL",
            f"mysql://demo:{g.chars(28)}@aws.connect.psdb.cloud/demo?sslaccept=strict",
            T,
            "MySQL URL with password",
            "fly.toml",
        ),
        # fly.toml check headers
        Case(
            "generic",
            "Authorization",
            "Bearer " + g.b64url(40),
            T,
            "bearer token in a check header",
            "fly.toml#headers",
        ),
        Case("generic", "X-Api-Key", g.hex(32), T, "api key in a check header", "fly.toml#headers"),
        # fly.toml [build.args] / Dockerfile ARG
        Case(
            "build_arg",
            "HEX_ORGANIZATION_KEY",
            g.hex(32),
            T,
            "private hex org key as build arg",
            "fly.toml#build",
        ),
        Case("build_arg", "GH_TOKEN", g.github(), T, "GitHub token as ARG default", "Dockerfile"),
        Case(
            "build_arg",
            "DATABASE_URL",
            f"ecto://build:{g.chars(16)}@db.example.net/app",
            T,
            "credentialed URL as ARG (example.net host, real password)",
            "Dockerfile",
        ),
        Case(
            "build_arg",
            "NPM_TOKEN",
            "npm_" + g.chars(36),
            T,
            "npm token build arg",
            "fly.toml#build",
        ),
        Case("build_arg", "OBAN_LICENSE_KEY", g.hex(32), T, "Oban Pro license key", "Dockerfile"),
        # Dockerfile ENV / RUN
        Case("dockerfile_env", "SECRET_KEY_BASE", g.phx_secret(), T, "ENV key base", "Dockerfile"),
        Case("dockerfile_env", "FLY_API_TOKEN", g.fly_header(False), T, "Fly token", "Dockerfile"),
        Case(
            "dockerfile_env",
            "DATABASE_URL",
            f"postgres://demo:{g.chars(20)}@demo-db.internal:5432/demo",
            T,
            "ENV DB URL",
            "Dockerfile",
        ),
        Case("dockerfile_env", "RELEASE_COOKIE", g.b64url(32), T, "ENV cookie", "Dockerfile"),
        Case(
            "shell",
            None,
            f"RUN vendor-cli login --token {g.hex(40)}",
            T,
            "secret as a CLI flag",
            "Dockerfile",
        ),
        Case(
            "dockerfile_env",
            "AWS_ACCESS_KEY_ID",
            g.aws_key_id("ASIA"),
            T,
            "temporary AWS key id",
            "Dockerfile",
        ),
        # Elixir config
        Case(
            "elixir_config",
            "secret_key_base",
            f'"{g.phx_secret()}"',
            T,
            "literal key base in runtime.exs prod block",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "secret_key_base",
            f'System.get_env("SECRET_KEY_BASE") || "{g.phx_secret()}"',
            T,
            "literal fallback after env lookup",
            "config/runtime.exs",
        ),
        Case("elixir_config", "secret_key", f'"{g.b64(64)}"', T, "Guardian", "config/config.exs"),
        Case("elixir_config", "default_signer", f'"{g.chars(20)}"', T, "Joken", "config/prod.exs"),
        Case("elixir_config", "client_secret", f'"{g.hex(40)}"', T, "OAuth", "config/runtime.exs"),
        Case(
            "elixir_config",
            "key",
            f'Base.decode64!("{g.b64(43)}=")',
            T,
            "Cloak key decoded from a literal",
            "config/config.exs",
        ),
        Case(
            "elixir_config", "password", f'"{g.chars(16)}"', T, "Repo password", "config/prod.exs"
        ),
        Case(
            "elixir_config",
            "url",
            f'"ecto://app:{g.chars(20)}@db.example.net/app"',
            T,
            "Repo URL with password",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "secret_access_key",
            f'"{g.b64(40)}"',
            T,
            "ExAws secret",
            "config/prod.exs",
        ),
        Case("elixir_config", "cookie", f'"{g.chars(32)}"', T, "release cookie", "mix.exs"),
        Case(
            "elixir_config",
            "api_key",
            f'System.get_env("STRIPE_SECRET") || "{g.stripe()}"',
            T,
            "Stripe key as fallback",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "token",
            f'System.get_env("API_TOKEN", "{g.hex(32)}")',
            T,
            "get_env default literal",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "webhook_secret",
            f'Application.get_env(:demo, :webhook_secret, "{g.b64url(32)}")',
            T,
            "Application.get_env default literal",
            "config/config.exs",
        ),
        Case(
            "elixir_config",
            "signing_secret",
            f'"{g.hex(32)}"',
            T,
            "Slack signing secret",
            "config/prod.exs",
        ),
        Case(
            "elixir_config",
            "key_pem",
            '"""\n' + g.pem(PEM_EC, 4) + '\n"""',
            T,
            "Joken EC private key in a heredoc",
            "config/runtime.exs",
        ),
        # rel/env.sh.eex, overlay scripts, .env, Makefile
        Case(
            "shell",
            None,
            f'export RELEASE_COOKIE="{g.b64url(54)}=="',
            T,
            "cookie exported in env.sh.eex",
            "rel/env.sh.eex",
        ),
        Case(
            "shell",
            None,
            f"export RELEASE_COOKIE=${{RELEASE_COOKIE:-{g.chars(40)}}}",
            T,
            "shell default that is the secret",
            "rel/env.sh.eex",
        ),
        Case(
            "shell",
            None,
            f"\tfly secrets set WEBHOOK_SECRET={g.chars(32)}",
            T,
            "literal in fly secrets set",
            "Makefile",
        ),
        Case(
            "shell",
            None,
            f"fly deploy --build-secret HEX_API_KEY={g.hex(32)}",
            T,
            "literal build secret",
            "bin/deploy.sh",
        ),
        Case(
            "shell",
            "DATABASE_URL",
            f"postgres://app:{g.chars(22)}@main-db.internal:5432/app",
            T,
            "committed .env",
            ".env",
        ),
        Case("shell", "SECRET_KEY_BASE", g.phx_secret(), T, "committed .env key base", ".env"),
        # vm.args
        Case(
            "vm_args", None, f"-setcookie {g.chars(40)}", T, "cookie in vm.args", "rel/vm.args.eex"
        ),
        Case(
            "vm_args",
            None,
            f'-setcookie "{g.b64url(54)}=="',
            T,
            "quoted release-style cookie in vm.args",
            "rel/vm.args.eex",
        ),
        Case(
            "shell",
            None,
            f"PHX_SERVER=true SECRET_KEY_BASE={g.phx_secret()} exec ./demo start",
            T,
            "key base inlined in an overlay start script",
            "rel/overlays/bin/server",
        ),
        # GitHub workflows
        Case("workflow", "FLY_API_TOKEN", g.fly_header(True), T, "token pair in env", "workflow"),
        Case("workflow", "FLY_ACCESS_TOKEN", g.fo1(), T, "old-format token", "workflow"),
        Case("workflow", "fly-token", g.fly_header(False), T, "action input", "workflow"),
        Case(
            "workflow",
            "run",
            f'echo "FLY_API_TOKEN={g.fly_header(True)}" >> "$GITHUB_ENV"',
            T,
            "token written to the job environment",
            "workflow",
        ),
        Case(
            "workflow",
            "run",
            f"flyctl secrets set SECRET_KEY_BASE={g.phx_secret()} --stage",
            T,
            "literal secrets set in CI",
            "workflow",
        ),
        Case("workflow", "HEX_API_KEY", g.hex(32), T, "hex key literal in job env", "workflow"),
        Case("workflow", "GH_PAT", g.github_pat(), T, "fine-grained PAT", "workflow"),
        # anything else (FLY606 runs over every file)
        Case("generic", None, g.pem(PEM_RSA), T, "RSA private key file", "priv/keys/jwt.pem"),
        Case(
            "generic",
            None,
            "# deploy key\n" + g.pem(PEM_OPENSSH, 6) + "\n",
            T,
            "OpenSSH key pasted into docs",
            "README.md",
        ),
        Case(
            "generic",
            None,
            f"GOOGLE_KEY={g.pem(PEM_PKCS8, 8, escaped=True)}",
            T,
            "PKCS#8 key with escaped newlines",
            ".env",
        ),
        Case(
            "generic",
            None,
            f"curl -H 'Authorization: Bearer {g.github('ghs_')}' https://api.github.com",
            T,
            "GitHub app token in a script",
            "bin/release.sh",
        ),
        Case(
            "generic",
            None,
            f"# fly tokens create deploy -> fm1r_{g.b64(180)}",
            T,
            "macaroon in a comment",
            "README.md",
        ),
        Case("fly_env", "OPENAI_API_KEY", "sk-proj-" + g.b64url(48), T, "OpenAI key", "fly.toml"),
        Case("fly_env", "POSTMARK_SERVER_TOKEN", g.uuid(), T, "UUID-shaped token", "fly.toml"),
        Case(
            "fly_env",
            "SLACK_BOT_TOKEN",
            f"xoxb-{g.chars(12, string.digits)}-{g.chars(13, string.digits)}-{g.chars(24)}",
            T,
            "Slack bot token",
            "fly.toml",
        ),
        Case("fly_env", "DB_PASSWORD", "postgres", T, "weak default is real in [env]", "fly.toml"),
        Case(
            "elixir_config",
            "api_key",
            f'"key-{g.hex(32)}"',
            T,
            "Mailgun key in Swoosh config",
            "config/prod.exs",
        ),
        Case(
            "elixir_config", "key_octet", f'"{g.chars(32)}"', T, "Joken HS key", "config/config.exs"
        ),
        Case(
            "shell",
            None,
            f"docker run -e SECRET_KEY_BASE={g.phx_secret()} -p 4000:4000 demo",
            T,
            "secret on a docker run line",
            "bin/smoke.sh",
        ),
        Case(
            "workflow",
            "run",
            f'psql "postgres://admin:{g.chars(18)}@demo-db.flycast:5432/demo" -c "select 1"',
            T,
            "credentialed URL in a CI step",
            "workflow",
        ),
    ]


def _decoys(g: _Gen) -> list[Case]:
    F = False
    return [
        # fly.toml [env]
        Case("fly_env", "PHX_HOST", "demo-app.fly.dev", F, "host", "fly.toml"),
        Case("fly_env", "POOL_SIZE", "10", F, "number", "fly.toml"),
        Case("fly_env", "ECTO_IPV6", "true", F, "flag", "fly.toml"),
        Case("fly_env", "API_KEY_HEADER", "x-api-key", F, "header name", "fly.toml"),
        Case("fly_env", "JWT_TTL_SECONDS", "3600", F, "ttl", "fly.toml"),
        Case("fly_env", "SMTP_PASSWORD_FILE", "/run/secrets/smtp", F, "file path", "fly.toml"),
        Case("fly_env", "SECRET_NAME", "demo-prod", F, "secret name", "fly.toml"),
        Case("fly_env", "ADMIN_PASSWORD", "changeme", F, "placeholder", "fly.toml"),
        Case("fly_env", "SENTRY_DSN", "${SENTRY_DSN}", F, "reference syntax", "fly.toml"),
        Case(
            "fly_env",
            "STRIPE_PUBLISHABLE_KEY",
            "pk_live_" + g.chars(24),
            F,
            "publishable key is public",
            "fly.toml",
        ),
        Case(
            "fly_env",
            "TURNSTILE_SITE_KEY",
            "0x4AAAAAAA" + g.b64url(12),
            F,
            "Turnstile site key is public",
            "fly.toml",
        ),
        Case(
            "fly_env",
            "DATABASE_URL",
            "ecto://demo@main-db.flycast/demo",
            F,
            "URL without password",
            "fly.toml",
        ),
        Case("fly_env", "DNS_CLUSTER_QUERY", "demo.internal", F, "clustering", "fly.toml"),
        Case("fly_env", "ERL_AFLAGS", "-proto_dist inet6_tcp", F, "BEAM flags", "fly.toml"),
        Case(
            "fly_env",
            "AWS_ACCESS_KEY_ID",
            "AKIA" + g.chars(9, B32) + "EXAMPLE",
            F,
            "AWS docs example key id",
            "fly.toml",
        ),
        Case(
            "fly_env",
            "AWS_SECRET_ACCESS_KEY",
            g.b64(30) + "EXAMPLEKEY",
            F,
            "AWS docs example secret",
            "fly.toml",
        ),
        Case("fly_env", "SESSION_COOKIE_NAME", "_demo_key", F, "cookie name", "fly.toml"),
        Case("fly_env", "TOKEN_AUDIENCE", "demo-app", F, "JWT audience", "fly.toml"),
        Case("fly_env", "PASSWORD_MIN_LENGTH", "12", F, "policy", "fly.toml"),
        Case("fly_env", "AUTH_PROVIDER", "github", F, "provider", "fly.toml"),
        Case("fly_env", "GITHUB_CLIENT_ID", "Iv1." + g.hex(16), F, "OAuth client id", "fly.toml"),
        Case(
            "fly_env",
            "OAUTH_REDIRECT_URL",
            "https://demo-app.fly.dev/auth/github/callback",
            F,
            "callback URL",
            "fly.toml",
        ),
        Case("fly_env", "COOKIE_DOMAIN", ".demo-app.fly.dev", F, "cookie domain", "fly.toml"),
        Case(
            "fly_env",
            "JWT_PUBLIC_KEY",
            "-----BEGIN PUBLIC KEY-----\n" + g.b64(64) + "\n-----END PUBLIC KEY-----",
            F,
            "public key",
            "fly.toml",
        ),
        Case("fly_env", "KEY_VAULT_NAME", "demo-vault", F, "vault name", "fly.toml"),
        Case(
            "fly_env",
            "SMTP_USERNAME",
            "apikey",
            F,
            "SendGrid SMTP user is literally apikey",
            "fly.toml",
        ),
        Case("fly_env", "GIT_SHA", g.hex(40), F, "commit SHA", "fly.toml"),
        Case("fly_env", "CACHE_KEY", "assets-v3", F, "cache key", "fly.toml"),
        Case("fly_env", "SECRET_ROTATION_DAYS", "30", F, "rotation policy", "fly.toml"),
        Case("fly_env", "PWD", "/app", F, "working directory", "fly.toml"),
        Case(
            "fly_env",
            "SENTRY_DSN",
            g.sentry_dsn(),
            F,
            "Sentry DSN is public",
            "fly.toml",
        ),
        Case("fly_env", "PRIMARY_REGION", "ams", F, "region", "fly.toml"),
        # check headers
        Case("generic", "X-Forwarded-Proto", "https", F, "check header", "fly.toml#headers"),
        Case(
            "generic",
            "Authorization",
            "Bearer ${HEALTH_TOKEN}",
            F,
            "header ref",
            "fly.toml#headers",
        ),
        # [build.args] / ARG
        Case("build_arg", "HEX_API_KEY", "", F, "ARG without value", "Dockerfile"),
        Case("build_arg", "MIX_ENV", "prod", F, "env", "fly.toml#build"),
        Case("build_arg", "ELIXIR_VERSION", "1.17.3", F, "version", "fly.toml#build"),
        Case(
            "build_arg",
            "SECRET_KEY_BASE",
            "nokey",
            F,
            "build-stage nokey placeholder",
            "Dockerfile",
        ),
        Case(
            "build_arg",
            "BUILDER_IMAGE",
            "hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241016-slim",
            F,
            "image",
            "Dockerfile",
        ),
        Case("build_arg", "BUILD_SHA", g.hex(40), F, "build SHA", "Dockerfile"),
        # Dockerfile ENV / RUN
        Case("dockerfile_env", "SECRET_KEY_BASE_DUMMY", "1", F, "dummy flag", "Dockerfile"),
        Case(
            "shell",
            None,
            "RUN SECRET_KEY_BASE=placeholder mix assets.deploy",
            F,
            "build-time placeholder",
            "Dockerfile",
        ),
        Case(
            "dockerfile_env",
            "DATABASE_URL",
            "ecto://postgres:postgres@localhost/build",
            F,
            "local build DB",
            "Dockerfile",
        ),
        Case(
            "shell",
            None,
            "RUN --mount=type=secret,id=SECRET_KEY_BASE,env=SECRET_KEY_BASE mix release",
            F,
            "BuildKit secret mount",
            "Dockerfile",
        ),
        Case(
            "shell",
            None,
            "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci",
            F,
            "BuildKit secret mount file",
            "Dockerfile",
        ),
        Case("dockerfile_env", "LANG", "en_US.UTF-8", F, "locale", "Dockerfile"),
        Case("dockerfile_env", "MIX_ENV", "prod", F, "env", "Dockerfile"),
        Case("dockerfile_env", "PHX_SERVER", "true", F, "flag", "Dockerfile"),
        Case(
            "shell",
            None,
            f"FROM debian:bookworm-20241016-slim@sha256:{g.hex(64)}",
            F,
            "image digest",
            "Dockerfile",
        ),
        # Elixir config
        Case(
            "elixir_config",
            "signing_salt",
            f'"{g.chars(8)}"',
            F,
            "salt",
            "lib/demo_web/endpoint.ex",
        ),
        Case(
            "elixir_config",
            "live_view.signing_salt",
            f'"{g.chars(8)}"',
            F,
            "LiveView salt",
            "config/config.exs",
        ),
        Case("elixir_config", "encryption_salt", f'"{g.chars(8)}"', F, "salt", "config/config.exs"),
        Case(
            "elixir_config",
            "key",
            '"_demo_key"',
            F,
            "session cookie name",
            "lib/demo_web/endpoint.ex",
        ),
        Case(
            "elixir_config",
            None,
            'raise """\nenvironment variable DATABASE_URL is missing.\n'
            'For example: ecto://USER:PASS@HOST/DATABASE\n"""',
            F,
            "Phoenix error-text placeholder",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "secret_key_base",
            "secret_key_base",
            F,
            "variable",
            "config/runtime.exs",
        ),
        Case("elixir_config", "url", "database_url", F, "variable", "config/runtime.exs"),
        Case(
            "elixir_config",
            "api_key",
            'System.fetch_env!("MAILGUN_API_KEY")',
            F,
            "runtime lookup",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "client_secret",
            '{:system, "GH_SECRET"}',
            F,
            "system tuple",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "secret_key",
            "{Demo.Keys, :fetch, []}",
            F,
            "MFA",
            "config/runtime.exs",
        ),
        Case("elixir_config", "token", '"<token>"', F, "doc placeholder", "config/prod.exs"),
        Case("elixir_config", "api_key", '"xxxxxxxxxxxxxxxx"', F, "filler", "config/prod.exs"),
        Case(
            "elixir_config", "api_key", '"your_api_key_here"', F, "placeholder", "config/prod.exs"
        ),
        Case(
            "elixir_config",
            "secret",
            '"#{System.get_env("HOOK_SECRET")}"',
            F,
            "interpolation only",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "password",
            'System.get_env("SMTP_PASS", "")',
            F,
            "empty default",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "password",
            'System.get_env("ADMIN_PASS") || raise "ADMIN_PASS missing"',
            F,
            "raises",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "secret_key_base",
            'System.get_env("SECRET_KEY_BASE") ||\n      raise """\n      environment variable'
            " SECRET_KEY_BASE is missing.\n      You can generate one by calling:"
            ' mix phx.gen.secret\n      """',
            F,
            "generated runtime.exs",
            "config/runtime.exs",
        ),
        Case("elixir_config", "token_length", "32", F, "number", "config/config.exs"),
        Case(
            "elixir_config",
            "secret_key_base",
            'String.duplicate("0", 64)',
            F,
            "test helper",
            "config/prod.exs",
        ),
        Case(
            "elixir_config",
            "dsn",
            f'"{g.sentry_dsn()}"',
            F,
            "public Sentry DSN",
            "config/prod.exs",
        ),
        Case(
            "elixir_config",
            "port",
            'String.to_integer(System.get_env("PORT") || "4000")',
            F,
            "non-secret fallback",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "pool_size",
            'String.to_integer(System.get_env("POOL_SIZE") || "10")',
            F,
            "non-secret fallback",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "cookie",
            "Base.url_encode64(:crypto.strong_rand_bytes(40))",
            F,
            "generated at build",
            "mix.exs",
        ),
        Case(
            "elixir_config",
            "api_key",
            'System.get_env("SENDGRID_API_KEY")',
            F,
            "lookup",
            "config/runtime.exs",
        ),
        Case(
            "elixir_config",
            "salt",
            '"user auth"',
            F,
            "Phoenix.Token salt",
            "config/config.exs",
        ),
        Case(
            "elixir_config",
            "password_reset_ttl",
            "86_400",
            F,
            "ttl",
            "config/config.exs",
        ),
        Case(
            "elixir_config",
            "secret_key_base",
            '"#{System.fetch_env!("SECRET_KEY_BASE")}"',
            F,
            "interpolated lookup",
            "config/runtime.exs",
        ),
        # rel/env.sh.eex, scripts, Makefile, .env.example
        Case(
            "shell",
            None,
            'export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"',
            F,
            "node name from env",
            "rel/env.sh.eex",
        ),
        Case(
            "shell",
            None,
            'export SECRET_KEY_BASE="$SECRET_KEY_BASE"',
            F,
            "re-export",
            "rel/env.sh.eex",
        ),
        Case(
            "shell",
            None,
            "export RELEASE_COOKIE=${RELEASE_COOKIE:-$(openssl rand -hex 16)}",
            F,
            "command default",
            "rel/env.sh.eex",
        ),
        Case(
            "shell",
            None,
            "fly secrets set SECRET_KEY_BASE=$(mix phx.gen.secret)",
            F,
            "secret from a command",
            "bin/setup.sh",
        ),
        Case(
            "shell",
            None,
            "\tfly secrets set SECRET_KEY_BASE=$$(mix phx.gen.secret)",
            F,
            "Makefile command",
            "Makefile",
        ),
        Case(
            "shell",
            None,
            'export ERL_AFLAGS="-proto_dist inet6_tcp"',
            F,
            "BEAM flags",
            "rel/env.sh.eex",
        ),
        Case(
            "shell",
            None,
            "export DATABASE_URL=${DATABASE_URL:?set me}",
            F,
            "required variable",
            "bin/migrate.sh",
        ),
        Case(
            "shell",
            "STRIPE_SECRET_KEY",
            "sk_test_xxxxxxxxxxxxxxxx",
            F,
            "example env filler",
            ".env.example",
        ),
        Case("shell", "SECRET_KEY_BASE", "", F, "example env empty", ".env.example"),
        Case(
            "shell",
            None,
            "/app/bin/demo eval Demo.Release.migrate",
            F,
            "migrate script",
            "rel/overlays/bin/migrate",
        ),
        # vm.args
        Case(
            "vm_args",
            None,
            "-setcookie <%= @release.options[:cookie] %>",
            F,
            "EEx cookie",
            "rel/vm.args.eex",
        ),
        Case(
            "vm_args",
            None,
            "-kernel inet_dist_listen_min 4370 inet_dist_listen_max 4370",
            F,
            "dist ports",
            "rel/vm.args.eex",
        ),
        # GitHub workflows
        Case(
            "workflow", "FLY_API_TOKEN", "${{ secrets.FLY_API_TOKEN }}", F, "secret ref", "workflow"
        ),
        Case(
            "workflow",
            "FLY_API_TOKEN",
            "${{ secrets[format('FLY_{0}', matrix.app)] }}",
            F,
            "computed secret ref",
            "workflow",
        ),
        Case("workflow", "POSTGRES_PASSWORD", "postgres", F, "service container", "workflow"),
        Case(
            "workflow",
            "DATABASE_URL",
            "ecto://postgres:postgres@localhost/demo_test",
            F,
            "CI test DB",
            "workflow",
        ),
        Case(
            "workflow",
            "DATABASE_URL",
            "postgres://postgres:postgres@postgres:5432/demo_test",
            F,
            "CI service host",
            "workflow",
        ),
        Case("workflow", "uses", f"erlef/setup-beam@{g.hex(40)}", F, "pinned SHA", "workflow"),
        Case("workflow", "key", "deps-${{ hashFiles('mix.lock') }}", F, "cache key", "workflow"),
        Case(
            "workflow",
            "run",
            'curl -fsS -u "${{ secrets.U }}:${{ secrets.P }}" https://hooks.example.com/deploy',
            F,
            "basic auth from secrets",
            "workflow",
        ),
        Case(
            "workflow",
            "run",
            "flyctl deploy --remote-only --build-secret HEX_API_KEY=${{ secrets.HEX_API_KEY }}",
            F,
            "build secret from secrets",
            "workflow",
        ),
        Case("workflow", "fly-token", "fo1_" + "x" * 43, F, "fixture filler token", "workflow"),
        Case("workflow", "MIX_ENV", "test", F, "env", "workflow"),
        Case("workflow", "GITHUB_TOKEN", "${{ github.token }}", F, "github.token", "workflow"),
        Case(
            "workflow",
            "run",
            "mix hex.organization auth acme --key ${{ secrets.HEX_ORG_KEY }}",
            F,
            "flag from secret",
            "workflow",
        ),
        Case("workflow", "otp-version", "27.1", F, "version input", "workflow"),
        Case("workflow", "SECRET_KEY_BASE", "${{ secrets.SECRET_KEY_BASE }}", F, "ref", "workflow"),
        # docs, lockfiles, code
        Case(
            "generic",
            None,
            "Set `DATABASE_URL=postgres://user:password@host/db` and "
            "`STRIPE_SECRET_KEY=sk_live_...`",
            F,
            "README placeholders",
            "README.md",
        ),
        Case(
            "generic",
            None,
            'defp prefix(name), do: "FM2_" <> name <> "_SYSMEMINFO1_STATS"',
            F,
            "identifiers with prefix letters",
            "lib/demo/stats.ex",
        ),
        Case(
            "generic",
            None,
            f'  "phoenix": {{:hex, :phoenix, "1.7.14", "{g.hex(64)}", [:mix], [], "hexpm", '
            f'"{g.hex(64)}"}},',
            F,
            "mix.lock checksums",
            "mix.lock",
        ),
        Case(
            "generic",
            None,
            f"-----BEGIN {PEM_PKCS8}-----\n...\n-----END {PEM_PKCS8}-----",
            F,
            "docs PEM placeholder",
            "README.md",
        ),
        Case(
            "generic",
            None,
            "-----BEGIN PUBLIC KEY-----\n"
            + g.b64(64)
            + "\n"
            + g.b64(64)
            + "\n-----END PUBLIC KEY-----",
            F,
            "public key file",
            "priv/keys/jwt_pub.pem",
        ),
        Case(
            "generic",
            None,
            "FLY_API_TOKEN=FlyV1 fm2_" + "A" * 120,
            F,
            "filler macaroon in docs",
            "README.md",
        ),
        Case("fly_env", "BUCKET_NAME", "demo-uploads", F, "bucket", "fly.toml"),
        Case(
            "fly_env",
            "AWS_ENDPOINT_URL_S3",
            "https://fly.storage.tigris.dev",
            F,
            "Tigris endpoint",
            "fly.toml",
        ),
        Case("fly_env", "SMTP_AUTH", "always", F, "Swoosh auth mode", "fly.toml"),
        Case("fly_env", "PASSWORD_HASH_ALGO", "argon2", F, "algorithm", "fly.toml"),
        Case("fly_env", "TOKEN_ISSUER", "https://demo-app.fly.dev", F, "JWT issuer", "fly.toml"),
        Case("fly_env", "SECRET_KEY_BASE_FILE", "/run/secrets/skb", F, "file ref", "fly.toml"),
        Case("fly_env", "RELEASE_NODE", "demo@fly-local-6pn", F, "node name", "fly.toml"),
        Case(
            "fly_env",
            "GOOGLE_CLIENT_ID",
            f"{g.chars(12, string.digits)}-{g.chars(32, LOWER_ALNUM)}.apps.googleusercontent.com",
            F,
            "OAuth client id",
            "fly.toml",
        ),
        Case("fly_env", "TOKEN_TYPE", "Bearer", F, "token type", "fly.toml"),
        Case("fly_env", "COOKIE_SAME_SITE", "Lax", F, "cookie attribute", "fly.toml"),
        Case(
            "fly_env", "STRIPE_PRICE_ID", "price_" + g.chars(24), F, "Stripe price id", "fly.toml"
        ),
        Case("fly_env", "UPLOADS_BUCKET_ID", g.uuid(), F, "UUID id", "fly.toml"),
        Case(
            "shell",
            None,
            "export RELEASE_COOKIE=$(cat /run/secrets/cookie)",
            F,
            "cookie from a secret file",
            "rel/env.sh.eex",
        ),
        Case(
            "shell",
            None,
            "ip=$(grep fly-local-6pn /etc/hosts | cut -f 1)",
            F,
            "env.sh.eex 6PN lookup",
            "rel/env.sh.eex",
        ),
        Case(
            "workflow",
            "run",
            "flyctl deploy --remote-only --access-token ${{ secrets.FLY_API_TOKEN }}",
            F,
            "token flag from secrets",
            "workflow",
        ),
        Case("workflow", "token", "${{ secrets.CODECOV_TOKEN }}", F, "codecov input", "workflow"),
        Case(
            "workflow",
            "run",
            'echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u ${{ github.actor }} '
            "--password-stdin",
            F,
            "docker login from secrets",
            "workflow",
        ),
        Case("vm_args", None, "-name demo@127.0.0.1", F, "node name", "rel/vm.args.eex"),
        Case("dockerfile_env", "MIX_HOME", "/root/.mix", F, "path", "Dockerfile"),
        Case(
            "build_arg", "RUNNER_IMAGE", "debian:bookworm-20241016-slim", F, "image", "Dockerfile"
        ),
        Case("generic", "User-Agent", "Fly health check", F, "check header", "fly.toml#headers"),
        Case("elixir_config", "token", "Demo.Accounts.UserToken", F, "module", "config/config.exs"),
        Case(
            "elixir_config", "password_hashing", "Argon2", F, "hashing module", "config/config.exs"
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Rendering a case as the file it comes from (for tools that scan files, e.g. detect-secrets)

_FLY_HEAD = 'app = "demo-app"\nprimary_region = "ams"\n\n'
_DOCKER_HEAD = (
    'ARG BUILDER_IMAGE="hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241016-slim"\n'
    "FROM ${BUILDER_IMAGE} AS builder\nWORKDIR /app\n"
)


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _docker_value(value: str) -> str:
    return json.dumps(value) if (" " in value or "\n" in value or not value) else value


def _workflow(body: str, *, env: str = "", with_: str = "", uses: str = "") -> str:
    head = "name: Deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n"
    head += "    runs-on: ubuntu-latest\n"
    if env:
        head += f"    env:\n      {env}\n"
    head += "    steps:\n      - uses: actions/checkout@v4\n"
    if uses:
        head += f"      - uses: {uses}\n"
    if with_:
        head += "      - uses: superfly/flyctl-actions/setup-flyctl@v1\n"
        head += f"        with:\n          {with_}\n"
    if body:
        indented = "\n".join("          " + line for line in body.splitlines())
        head += f"      - run: |\n{indented}\n"
    return head


def render(case: Case) -> tuple[str, str]:
    """(relative path, file text) of a realistic file holding `case`."""
    ctx, name, value, kind = case.context, case.name, case.value, case.file
    if kind == "fly.toml":
        return "fly.toml", f"{_FLY_HEAD}[env]\n  {name} = {_toml_str(value)}\n"
    if kind == "fly.toml#build":
        return "fly.toml", f"{_FLY_HEAD}[build.args]\n  {name} = {_toml_str(value)}\n"
    if kind == "fly.toml#headers":
        return "fly.toml", (
            f'{_FLY_HEAD}[[http_service.checks]]\n  method = "GET"\n  path = "/health"\n'
            f"  [http_service.checks.headers]\n    {json.dumps(name)} = {_toml_str(value)}\n"
        )
    if kind == "Dockerfile":
        if name is None:
            return "Dockerfile", _DOCKER_HEAD + value + "\n"
        instr = "ARG" if ctx == "build_arg" else "ENV"
        line = f"{instr} {name}" + (f"={_docker_value(value)}" if value else "")
        return "Dockerfile", _DOCKER_HEAD + line + "\n"
    if kind == "mix.exs":
        return "mix.exs", (
            "defmodule Demo.MixProject do\n  use Mix.Project\n\n  def project do\n"
            '    [\n      app: :demo,\n      version: "0.1.0",\n'
            f"      releases: [demo: [{name}: {value}]]\n    ]\n  end\nend\n"
        )
    if ctx == "elixir_config":
        if name is None:
            return kind, f"import Config\n\nif config_env() == :prod do\n  {value}\nend\n"
        key = name.rsplit(".", 1)[-1]
        if kind.endswith(".ex"):
            return (
                kind,
                f"defmodule DemoWeb.Endpoint do\n  @session_options [{key}: {value}]\nend\n",
            )
        return kind, (
            "import Config\n\nif config_env() == :prod do\n"
            f"  config :demo, Demo.Integration,\n    {key}: {value}\nend\n"
        )
    if ctx == "workflow":
        if name == "run":
            return ".github/workflows/deploy.yml", _workflow(value)
        if name == "uses":
            return ".github/workflows/deploy.yml", _workflow("flyctl deploy", uses=value)
        if name is not None and (name.islower() or "-" in name):
            return ".github/workflows/deploy.yml", _workflow(
                "flyctl deploy", with_=f"{name}: {json.dumps(value)}"
            )
        return ".github/workflows/deploy.yml", _workflow(
            "flyctl deploy --remote-only", env=f"{name}: {json.dumps(value)}"
        )
    if ctx == "vm_args":
        return kind, f"## vm.args\n+sbwt none\n{value}\n"
    if ctx == "shell":
        if name is None:
            head = "#!/bin/sh\nset -eu\n\n" if not kind.startswith(("Makefile", ".env")) else ""
            if kind == "Makefile":
                head = "deploy:\n"
            return kind, head + value + "\n"
        return kind, f"{name}={value}\n"
    # generic
    if name is None:
        return kind, value + "\n"
    return kind, f"{name}: {value}\n"
