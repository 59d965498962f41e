"""False positives met while running flylint on real public Phoenix-on-Fly repositories, each
reproduced here in a tiny project written by the test (no third-party file is copied)."""

from __future__ import annotations

from pathlib import Path

from conftest import fake_secret, write_project

from flylint.discover import discover
from flylint.engine import Selection, lint
from flylint.findings import Finding

MIX = """defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [app: :demo, version: "0.1.0", deps: [{:phoenix, "~> 1.7.14"}]]
  end
end
"""

ENDPOINT = """defmodule DemoWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :demo

  plug DemoWeb.Router
end
"""

FLY = """app = "demo"
kill_signal = "SIGTERM"

[env]
  PHX_HOST = "demo.fly.dev"
  PORT = "8080"

[http_service]
  internal_port = 8080
  force_https = true
"""

RUNNER = """FROM debian:bookworm-20250407-slim
ENV LANG=C.UTF-8
WORKDIR /app
COPY _build/prod/rel/demo ./
USER nobody
CMD ["/app/bin/server"]
"""


def phoenix_app(**files: str) -> dict[str, str]:
    """A minimal deployed Phoenix app; keyword names are paths with `/` spelled `__`."""
    out = {
        "fly.toml": FLY,
        "mix.exs": MIX,
        "config/config.exs": "import Config\n",
        "lib/demo_web/endpoint.ex": ENDPOINT,
        "Dockerfile": RUNNER,
        ".dockerignore": ".git\n/_build/\n/deps/\n.env*\n",
    }
    for name, content in files.items():
        out[name.replace("__", "/")] = content
    return out


def findings(root: Path, rule: str) -> list[Finding]:
    found: list[Finding] = []
    for project in discover([str(root)]):
        found += [f for f in lint(project, Selection(select=(rule,))) if f.rule == rule]
    return found


def where(found: list[Finding]) -> list[str]:
    return [f"{f.location.path}:{f.location.line}" for f in found]


# -- FLY706: locale -------------------------------------------------------------------------------


def test_fly706_silent_on_hexpm_elixir_runner(tmp_path):
    """A single-stage image on hexpm/elixir (Debian/Ubuntu) inherits LANG=C.UTF-8 from it."""
    dockerfile = (
        "FROM hexpm/elixir:1.18.3-erlang-27.3.4-ubuntu-noble-20250415.1\n"
        "ENV MIX_ENV=prod\n"
        "COPY . .\n"
        "RUN mix deps.get && mix release\n"
        'CMD ["_build/prod/rel/demo/bin/demo", "start"]\n'
    )
    root = write_project(tmp_path / "app", phoenix_app(Dockerfile=dockerfile))
    assert findings(root, "FLY706") == []


def test_fly706_still_fires_on_slim_debian_runner(tmp_path):
    dockerfile = RUNNER.replace("ENV LANG=C.UTF-8\n", "")
    root = write_project(tmp_path / "app", phoenix_app(Dockerfile=dockerfile))
    assert where(findings(root, "FLY706")) == ["Dockerfile:1"]


def test_fly706_still_fires_on_hexpm_alpine_runner(tmp_path):
    """hexpm's Alpine images set no LANG: the base exemption is for Debian/Ubuntu only."""
    dockerfile = RUNNER.replace(
        "FROM debian:bookworm-20250407-slim", "FROM hexpm/elixir:1.17.3-erlang-27.1-alpine-3.20.3"
    ).replace("ENV LANG=C.UTF-8\n", "")
    root = write_project(tmp_path / "app", phoenix_app(Dockerfile=dockerfile))
    assert where(findings(root, "FLY706")) == ["Dockerfile:1"]


def test_fly706_silent_on_non_beam_sidecar_image(tmp_path):
    """A Grafana (or static site) image deployed from a subdirectory runs no Erlang VM."""
    files = phoenix_app()
    files["monitoring/fly.toml"] = (
        'app = "demo-grafana"\n\n[http_service]\n  internal_port = 3000\n'
    )
    files["monitoring/Dockerfile"] = "FROM grafana/grafana:11.1.1\nCOPY dashboards /etc/dash\n"
    root = write_project(tmp_path / "app", files)
    assert findings(root, "FLY706") == []


# -- FLY703: env templates ------------------------------------------------------------------------


def test_fly703_env_template_with_underscore_is_not_a_secret_file(tmp_path):
    dockerfile = (
        "FROM hexpm/elixir:1.17.3-erlang-27.1-debian-bookworm-20240926-slim AS builder\n"
        "WORKDIR /app\n"
        "COPY .env_sample ./\n"
        "COPY .env-example.local ./\n"
        "RUN mix release\n" + RUNNER.replace("COPY _build", "COPY --from=builder /app/_build")
    )
    files = phoenix_app(Dockerfile=dockerfile)
    files[".env_sample"] = "export SECRET_KEY_BASE=\n"
    files[".env-example.local"] = "export DATABASE_URL=\n"
    root = write_project(tmp_path / "app", files)
    assert findings(root, "FLY703") == []


def test_fly703_real_env_file_still_fires(tmp_path):
    dockerfile = (
        "FROM hexpm/elixir:1.17.3-erlang-27.1-debian-bookworm-20240926-slim AS builder\n"
        "WORKDIR /app\n"
        "COPY .env.production ./\n"
        "RUN mix release\n" + RUNNER.replace("COPY _build", "COPY --from=builder /app/_build")
    )
    root = write_project(tmp_path / "app", phoenix_app(Dockerfile=dockerfile))
    assert where(findings(root, "FLY703")) == ["Dockerfile:3"]


# -- FLY502: deprecated ssl_opts that verify ------------------------------------------------------

LOCK_POSTGREX_022 = (
    '%{\n  "postgrex": {:hex, :postgrex, "0.22.4", "aa", [:mix], [], "hexpm", "bb"},\n}\n'
)


def _repo_runtime(ssl_opts: str) -> str:
    return (
        "import Config\n\n"
        "if config_env() == :prod do\n"
        '  database_url = System.fetch_env!("DATABASE_URL")\n'
        f"  opts = {ssl_opts}\n\n"
        "  config :demo, Demo.Repo,\n"
        "    url: database_url,\n"
        "    ssl: true,\n"
        "    ssl_opts: opts\n"
        "end\n"
    )


def _db_app(runtime: str) -> dict[str, str]:
    files = phoenix_app()
    files["config/runtime.exs"] = runtime
    files["mix.lock"] = LOCK_POSTGREX_022
    files["mix.exs"] = MIX.replace("}]", '}, {:postgrex, ">= 0.0.0"}]')
    return files


def test_fly502_verifying_ssl_opts_is_only_a_deprecation_note(tmp_path):
    runtime = _repo_runtime(
        '[verify: :verify_peer, cacerts: :public_key.cacerts_get(), server_name_indication: ~c"db"]'
    )
    root = write_project(tmp_path / "app", _db_app(runtime))
    found = findings(root, "FLY502")
    assert [f.severity for f in found] == ["info"]
    assert "deprecated" in found[0].message and "verify the certificate" in found[0].message


def test_fly502_unreadable_ssl_opts_is_info_with_the_reason(tmp_path):
    runtime = _repo_runtime(
        '[verify: :verify_peer] ++\n    case System.get_env("CA") do\n'
        "      nil -> [cacerts: :public_key.cacerts_get()]\n"
        "      path -> [cacertfile: path]\n    end"
    )
    root = write_project(tmp_path / "app", _db_app(runtime))
    found = findings(root, "FLY502")
    assert [f.severity for f in found] == ["info"]
    assert "cannot read" in found[0].message


def test_fly502_ssl_opts_without_verification_still_warns(tmp_path):
    root = write_project(
        tmp_path / "app", _db_app(_repo_runtime('[server_name_indication: ~c"db"]'))
    )
    found = findings(root, "FLY502")
    assert [f.severity for f in found] == ["warning"]


# -- FLY307: an endpoint built by a library macro ------------------------------------------------

PROXY_RUNTIME = """import Config

if config_env() == :prod do
  config :demo, DemoWeb.Endpoint,
    http: [ip: {0, 0, 0, 0, 0, 0, 0, 0}, port: 4100]

  config :demo, DemoWeb.ProxyEndpoint,
    http: [ip: {0, 0, 0, 0, 0, 0, 0, 0}, port: String.to_integer(System.get_env("PORT") || "4000")]
end
"""

PROXY_ENDPOINT = """defmodule DemoWeb.ProxyEndpoint do
  use SiteKit.ProxyEndpoint, otp_app: :demo, fallback: DemoWeb.Endpoint
end
"""


def test_fly307_listener_from_a_library_endpoint_macro_counts(tmp_path):
    """The module fronting the app on PORT says `use SiteKit.ProxyEndpoint`, not
    `use Phoenix.Endpoint`; its `http:` config still makes the release listen on 8080."""
    files = phoenix_app(**{"config__runtime.exs": PROXY_RUNTIME})
    files["lib/demo_web/proxy_endpoint.ex"] = PROXY_ENDPOINT
    root = write_project(tmp_path / "app", files)
    assert findings(root, "FLY307") == []


def test_fly307_still_fires_when_no_listener_has_internal_port(tmp_path):
    files = phoenix_app(**{"config__runtime.exs": PROXY_RUNTIME})
    files["lib/demo_web/proxy_endpoint.ex"] = PROXY_ENDPOINT
    files["fly.toml"] = FLY.replace('PORT = "8080"', 'PORT = "9000"')
    root = write_project(tmp_path / "app", files)
    found = findings(root, "FLY307")
    assert where(found) == ["fly.toml:9"]
    assert "listens on 4100" in found[0].message


# -- FLY311: a prebuilt sidecar image configured beside the app -----------------------------------


def test_fly311_silent_for_prebuilt_image_config_next_to_the_mix_project(tmp_path):
    files = phoenix_app()
    files["fly.grafana.toml"] = (
        'app = "demo-grafana"\n\n[build]\n  image = "grafana/grafana:11.1.1"\n\n'
        "[http_service]\n  internal_port = 3000\n"
    )
    root = write_project(tmp_path / "app", files)
    assert findings(root, "FLY311") == []


def test_fly311_still_fires_for_the_app_config(tmp_path):
    files = phoenix_app()
    files["fly.toml"] = FLY.replace('kill_signal = "SIGTERM"\n', "")
    root = write_project(tmp_path / "app", files)
    assert where(findings(root, "FLY311")) == ["fly.toml:1"]


# -- FLY609: a variable named after the secrets service, holding its address ----------------------


def test_fly609_address_of_a_secrets_service_is_not_a_secret(tmp_path):
    script = (
        "#!/bin/sh\n"
        'secrets_ip=$(echo "$VAULT_URL" | sed -E "s#http://([^:/]+):.*#\\\\1#")\n'
        'echo "Waiting for the secrets service at [$secrets_ip]..."\n'
        'echo "secrets service address: $SECRETS_ADDRESS"\n'
        "exec ./demo start\n"
    )
    root = write_project(tmp_path / "app", phoenix_app(rel__overlays__bin__server=script))
    assert findings(root, "FLY609") == []


def test_fly609_printing_a_secret_still_fires(tmp_path):
    script = '#!/bin/sh\necho "key: $SECRET_KEY_BASE"\nexec ./demo start\n'
    root = write_project(tmp_path / "app", phoenix_app(rel__overlays__bin__server=script))
    assert where(findings(root, "FLY609")) == ["rel/overlays/bin/server:2"]


# -- FLY207: an API socket that takes no cookies --------------------------------------------------

API_SOCKET_ENDPOINT = """defmodule DemoWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :demo

  @session_options [store: :cookie, key: "_demo_key", signing_salt: "abcdefgh"]

  socket "/api/socket", DemoWeb.ApiSocket,
    # third-party pages connect with an API key in the params
    websocket: [check_origin: false],
    longpoll: false

  socket "/live", Phoenix.LiveView.Socket, websocket: [connect_info: [session: @session_options]]

  plug DemoWeb.Router
end
"""


def test_fly207_sessionless_api_socket_is_only_info(tmp_path):
    files = phoenix_app()
    files["lib/demo_web/endpoint.ex"] = API_SOCKET_ENDPOINT
    root = write_project(tmp_path / "app", files)
    found = findings(root, "FLY207")
    assert [(f.location.line, f.severity) for f in found] == [(8, "info")]
    assert "no session" in found[0].message


def test_fly207_socket_with_session_still_warns(tmp_path):
    endpoint = API_SOCKET_ENDPOINT.replace(
        "websocket: [check_origin: false],",
        "websocket: [check_origin: false, connect_info: [:peer_data, session: @session_options]],",
    )
    files = phoenix_app()
    files["lib/demo_web/endpoint.ex"] = endpoint
    root = write_project(tmp_path / "app", files)
    assert [(f.location.line, f.severity) for f in findings(root, "FLY207")] == [(8, "warning")]


def test_fly207_endpoint_wide_false_with_liveview_still_warns(tmp_path):
    files = phoenix_app()
    files["lib/demo_web/endpoint.ex"] = API_SOCKET_ENDPOINT
    files["config/prod.exs"] = (
        "import Config\n\nconfig :demo, DemoWeb.Endpoint, check_origin: false\n"
    )
    files["config/config.exs"] = 'import Config\n\nimport_config "#{config_env()}.exs"\n'
    root = write_project(tmp_path / "app", files)
    found = findings(root, "FLY207")
    assert ("config/prod.exs", "warning") in [(f.location.path, f.severity) for f in found]


# -- FLY603 / FLY608: compile-time values that runtime.exs always replaces ------------------------

OVERRIDING_RUNTIME = """import Config

if config_env() == :prod do
  secret_key_base =
    System.get_env("SECRET_KEY_BASE") ||
      raise "environment variable SECRET_KEY_BASE is missing"

  config :demo, DemoWeb.Endpoint, secret_key_base: secret_key_base
end
"""


def test_fly603_literal_replaced_by_runtime_is_info(tmp_path):
    # The literals are random test values, generated for this test and used nowhere else.
    files = phoenix_app()
    files["config/config.exs"] = (
        "import Config\n\nconfig :demo, DemoWeb.Endpoint,\n"
        f'  secret_key_base: "{fake_secret(6031)}"\n\n'
        f'config :demo, Demo.Signer,\n  secret_key: "{fake_secret(6032)}"\n'
    )
    files["config/runtime.exs"] = OVERRIDING_RUNTIME
    root = write_project(tmp_path / "app", files)
    found = sorted(findings(root, "FLY603"), key=lambda f: f.location.line)
    assert [(f.location.line, f.severity) for f in found] == [(4, "info"), (7, "error")]
    assert "replaced at boot by config/runtime.exs:8" in found[0].message


def test_fly608_read_replaced_by_runtime_is_info(tmp_path):
    files = phoenix_app()
    files["config/config.exs"] = (
        "import Config\n\n"
        'config :demo, DemoWeb.Endpoint, secret_key_base: System.get_env("SECRET_KEY_BASE")\n\n'
        'config :joken, default_signer: System.get_env("SECRET_KEY_BASE")\n'
    )
    files["config/runtime.exs"] = OVERRIDING_RUNTIME
    root = write_project(tmp_path / "app", files)
    found = sorted(findings(root, "FLY608"), key=lambda f: f.location.line)
    assert [(f.location.line, f.severity) for f in found] == [(3, "info"), (5, "warning")]


def test_fly608_conditional_runtime_override_does_not_count(tmp_path):
    files = phoenix_app()
    files["config/config.exs"] = (
        "import Config\n\n"
        'config :demo, DemoWeb.Endpoint, secret_key_base: System.get_env("SECRET_KEY_BASE")\n'
    )
    files["config/runtime.exs"] = (
        'import Config\n\nif System.get_env("RENDER") do\n'
        '  config :demo, DemoWeb.Endpoint, secret_key_base: System.fetch_env!("SKB")\nend\n'
    )
    root = write_project(tmp_path / "app", files)
    assert [f.severity for f in findings(root, "FLY608")] == ["warning"]


# -- FLY210: a logout action inside a longer name -------------------------------------------------

ROUTER = """defmodule DemoWeb.Router do
  use DemoWeb, :router

  pipeline :browser do
    plug :accepts, ["html"]
  end

  scope "/", DemoWeb do
    pipe_through :browser

ROUTES  end
end
"""


def _router(routes: str) -> str:
    return ROUTER.replace("ROUTES", routes)


def test_fly210_force_logout_is_not_a_login_route(tmp_path):
    files = phoenix_app()
    files["lib/demo_web/router.ex"] = _router(
        '    get "/force_logout", UserSessionController, :force_logout\n'
        '    delete "/users/log_out", UserSessionController, :delete\n'
    )
    root = write_project(tmp_path / "app", files)
    assert findings(root, "FLY210") == []


def test_fly210_login_route_still_fires(tmp_path):
    files = phoenix_app()
    files["lib/demo_web/router.ex"] = _router(
        '    get "/force_logout", UserSessionController, :force_logout\n'
        '    post "/users/log_in", UserSessionController, :create\n'
    )
    root = write_project(tmp_path / "app", files)
    assert where(findings(root, "FLY210")) == ["lib/demo_web/router.ex:12"]
