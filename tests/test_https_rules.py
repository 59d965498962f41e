"""FLY101-FLY107, FLY110: HTTPS enforcement across fly.toml and the Phoenix config, beyond the
catalogue examples: version boundaries, precision on env references and undecidable conditions,
and the cases Sobelow gets wrong (knowledge/phoenix-config.md section 8)."""

from __future__ import annotations

import pytest
from conftest import write_project

from flylint.checks import phoenix_facts
from flylint.discover import discover
from flylint.engine import Selection, lint

FLY_EDGE = """app = "demo"

[http_service]
  internal_port = 8080
  force_https = true
"""
FLY_PLAIN = """app = "demo"

[http_service]
  internal_port = 8080
"""
CONFIG = """import Config

config :demo, DemoWeb.Endpoint, url: [host: "localhost"]

import_config "#{config_env()}.exs"
"""
ENDPOINT = """defmodule DemoWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :demo

  socket "/live", Phoenix.LiveView.Socket, websocket: [connect_info: [:peer_data]]

  plug DemoWeb.Router
end
"""
ROUTER = """defmodule DemoWeb.Router do
  use Phoenix.Router

  pipeline :browser do
    plug :accepts, ["html"]
    plug :fetch_session
    plug :protect_from_forgery
    plug :put_secure_browser_headers
  end

  scope "/", DemoWeb do
    pipe_through :browser
    get "/", PageController, :home
  end
end
"""


def mix_exs(deps: str = '{:phoenix, ">= 1.6.0"}') -> str:
    return f"""defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [app: :demo, version: "0.1.0", deps: [{deps}]]
  end
end
"""


def lock(**versions: str) -> str:
    lines = [
        f'  "{name}": {{:hex, :{name}, "{v}", "0000", [:mix], [], "hexpm", "0000"}},'
        for name, v in versions.items()
    ]
    return "%{\n" + "\n".join(lines) + "\n}\n"


def project_files(
    *,
    fly: str = FLY_EDGE,
    prod: str = "import Config\n",
    runtime: str | None = None,
    config: str = CONFIG,
    endpoint: str = ENDPOINT,
    router: str = ROUTER,
    mix: str | None = None,
    locked: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    files = {
        "fly.toml": fly,
        "mix.exs": mix or mix_exs(),
        "config/config.exs": config,
        "config/prod.exs": prod,
        "lib/demo_web/endpoint.ex": endpoint,
        "lib/demo_web/router.ex": router,
    }
    if runtime is not None:
        files["config/runtime.exs"] = runtime
    if locked:
        files["mix.lock"] = lock(**locked)
    files.update(extra or {})
    return files


def run(tmp_path, files: dict[str, str], *rules: str):
    root = write_project(tmp_path / "p", files)
    out = []
    for project in discover([str(root)]):
        out.extend(f for f in lint(project, Selection(select=rules)) if f.rule in rules)
    return out


def first_app(tmp_path, files: dict[str, str]):
    root = write_project(tmp_path / "p", files)
    return discover([str(root)])[0].apps[0]


def prod_with(force_ssl: str) -> str:
    return f"import Config\n\nconfig :demo, DemoWeb.Endpoint, {force_ssl}\n"


# -- phoenix_facts: the shared API ----------------------------------------------------------------


def test_ssl_enforcement_reads_compile_time_force_ssl(tmp_path):
    app = first_app(
        tmp_path,
        project_files(
            prod=prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto], expires: 600]"),
            locked={"plug": "1.19.0"},
        ),
    )
    found = phoenix_facts.ssl_enforcement(app)
    assert found is not None and found.kind == "force_ssl" and found.view == "compile"
    assert found.enabled is True and found.rewrites_proto() is True
    assert found.hsts_enabled() is True and found.expires() == 600
    assert (found.location.path, found.location.line) == ("config/prod.exs", 3)
    assert found.excluded_paths(phoenix_facts.package_version(app.extra["elixir"], "plug")) == []


def test_ssl_enforcement_falls_back_to_the_plug_and_reports_runtime_separately(tmp_path):
    endpoint = ENDPOINT.replace(
        "  plug DemoWeb.Router",
        "  plug Plug.SSL, rewrite_on: [:x_forwarded_proto]\n  plug DemoWeb.Router",
    )
    runtime = "import Config\n\nconfig :demo, DemoWeb.Endpoint, force_ssl: [hsts: true]\n"
    app = first_app(tmp_path, project_files(endpoint=endpoint, runtime=runtime))
    found = phoenix_facts.ssl_enforcement(app)
    assert found.kind == "plug" and found.enabled is True and found.rewrites_proto() is True
    rt = phoenix_facts.runtime_force_ssl(app)
    assert rt.view == "runtime" and rt.location.path == "config/runtime.exs"


def test_excluded_paths_need_plug_1_19(tmp_path):
    prod = prod_with(
        'force_ssl: [rewrite_on: [:x_forwarded_proto], exclude: [paths: ["/health"], hosts: []]]'
    )
    for plug, expected in (("1.18.9", []), ("1.19.0", ["/health"])):
        app = first_app(tmp_path / plug, project_files(prod=prod, locked={"plug": plug}))
        found = phoenix_facts.ssl_enforcement(app)
        version = phoenix_facts.package_version(app.extra["elixir"], "plug")
        assert found.excluded_paths(version) == expected


@pytest.mark.parametrize(
    ("requirement", "locked", "expected"),
    [
        ("~> 1.8.1", None, True),
        ("~> 1.7.14", None, False),
        (">= 1.6.0", None, None),
        ("~> 1.7 or ~> 1.8", None, None),
        (">= 0.0.0", "1.8.0", True),
        ("~> 1.8", "1.7.21", False),
    ],
)
def test_package_version_boundaries(requirement, locked, expected):
    version = phoenix_facts.PackageVersion("phoenix", locked, requirement)
    assert version.at_least((1, 8)) is expected


# -- FLY101 ---------------------------------------------------------------------------------------


def test_fly101_force_ssl_false_is_not_enforcement(tmp_path):
    """Sobelow passes any non-nil force_ssl; false must fail."""
    [f] = run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod_with("force_ssl: false")), "FLY101")
    assert (f.path, f.location.line) == ("fly.toml", 3)
    assert "false at config/prod.exs:3" in f.message
    assert [r.path for r in f.related] == ["config/prod.exs"]


def test_fly101_an_https_key_is_not_enforcement(tmp_path):
    """Sobelow accepts any `https:` key; an https listener does not redirect http requests."""
    prod = prod_with('https: [port: 443, keyfile: "priv/key.pem", certfile: "priv/cert.pem"]')
    [f] = run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod), "FLY101")
    assert "HTTPS is enforced nowhere" in f.message


def test_fly101_force_ssl_in_config_exs_under_a_prod_guard_counts(tmp_path):
    """Sobelow only looks at prod.exs; the merged compile-time config is what counts."""
    config = CONFIG.replace(
        'import_config "#{config_env()}.exs"',
        "if config_env() == :prod do\n"
        "  config :demo, DemoWeb.Endpoint, force_ssl: [rewrite_on: [:x_forwarded_proto]]\n"
        "end\n\n"
        'import_config "#{config_env()}.exs"',
    )
    assert run(tmp_path, project_files(fly=FLY_PLAIN, config=config), "FLY101") == []


def test_fly101_force_ssl_in_an_imported_file_counts(tmp_path):
    prod = 'import Config\n\nimport_config "prod_ssl.exs"\n'
    extra = {"config/prod_ssl.exs": prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto]]")}
    assert run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod, extra=extra), "FLY101") == []


def test_fly101_commented_force_ssl_does_not_count(tmp_path):
    prod = "import Config\n\n# config :demo, DemoWeb.Endpoint, force_ssl: [hsts: true]\n"
    assert len(run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod), "FLY101")) == 1


@pytest.mark.parametrize(
    "force_ssl",
    [
        'force_ssl: System.get_env("FORCE_SSL")',
        "force_ssl: Application.compile_env(:demo, :ssl_options)",
    ],
)
def test_fly101_undecidable_force_ssl_stays_silent(tmp_path, force_ssl):
    assert run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod_with(force_ssl)), "FLY101") == []


def test_fly101_runtime_only_force_ssl_is_left_to_fly104(tmp_path):
    runtime = prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto]]")
    found = run(tmp_path, project_files(fly=FLY_PLAIN, runtime=runtime), "FLY101", "FLY104")
    assert [f.rule for f in found] == ["FLY104"]


def test_fly101_broken_prod_exs_stays_silent(tmp_path):
    prod = 'import Config\n\nif System.get_env("X") == "1" do\n  config :demo, :a, 1\n'
    assert run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod), "FLY101") == []


def test_fly101_endpoint_found_by_use_line_not_file_name(tmp_path):
    files = project_files(fly=FLY_PLAIN)
    files["lib/demo_web/web_entry.ex"] = files.pop("lib/demo_web/endpoint.ex")
    [f] = run(tmp_path, files, "FLY101")
    assert "lib/demo_web/web_entry.ex" in f.message


def test_fly101_port_443_without_tls_is_fly109s_and_8080_counts(tmp_path):
    fly = """app = "demo"

[[services]]
  internal_port = 8080
  protocol = "tcp"

  [[services.ports]]
    port = 443
    handlers = ["http"]

  [[services.ports]]
    port = 8080
    handlers = ["http"]
"""
    [f] = run(tmp_path, project_files(fly=fly), "FLY101")
    assert f.location.line == 11 and "port 8080" in f.message


def test_fly101_and_fly102_need_a_phoenix_project(tmp_path):
    files = {"fly.toml": FLY_PLAIN, "Dockerfile": "FROM nginx:1.27\n"}
    assert run(tmp_path, files, "FLY101", "FLY102") == []


# -- FLY102 ---------------------------------------------------------------------------------------


def test_fly102_relates_the_force_ssl_line(tmp_path):
    prod = prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto]]")
    [f] = run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod), "FLY102")
    assert f.severity == "info" and f.location.line == 3
    assert [(r.path, r.line) for r in f.related] == [("config/prod.exs", 3)]
    assert f.fix == "set force_https = true in [http_service]"


def test_fly102_silent_when_force_ssl_is_conditional(tmp_path):
    prod = (
        'import Config\n\nif System.get_env("SSL") do\n'
        "  config :demo, DemoWeb.Endpoint, force_ssl: [rewrite_on: [:x_forwarded_proto]]\nend\n"
    )
    assert run(tmp_path, project_files(fly=FLY_PLAIN, prod=prod), "FLY101", "FLY102") == []


# -- FLY104 ---------------------------------------------------------------------------------------

RUNTIME_SSL = """import Config

if config_env() == :prod do
  config :demo, DemoWeb.Endpoint, force_ssl: [rewrite_on: [:x_forwarded_proto]]
end
"""


@pytest.mark.parametrize(
    ("phoenix", "words"),
    [
        ("1.7.21", "Phoenix 1.7.21 ignores the runtime value"),
        ("1.8.0", "Phoenix 1.8.0 refuses to boot"),
        (None, "flylint assumes Phoenix <= 1.7"),
    ],
)
def test_fly104_message_follows_the_phoenix_version(tmp_path, phoenix, words):
    locked = {"phoenix": phoenix} if phoenix else None
    [f] = run(tmp_path, project_files(runtime=RUNTIME_SSL, locked=locked), "FLY104")
    assert words in f.message
    assert (f.path, f.location.line, f.severity) == ("config/runtime.exs", 4, "error")


def test_fly104_requirement_decides_without_lock(tmp_path):
    files = project_files(runtime=RUNTIME_SSL, mix=mix_exs('{:phoenix, "~> 1.8.2"}'))
    [f] = run(tmp_path, files, "FLY104")
    assert "refuses to boot" in f.message and "per mix.exs" in f.message


def test_fly104_differing_values(tmp_path):
    prod = prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto]]")
    runtime = prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto], hsts: false]")
    [f] = run(
        tmp_path, project_files(prod=prod, runtime=runtime, locked={"phoenix": "1.8.1"}), "FLY104"
    )
    assert "differs from the compile-time value at config/prod.exs:3" in f.message
    assert [(r.path, r.line) for r in f.related] == [("config/prod.exs", 3)]


def test_fly104_conditional_is_info(tmp_path):
    runtime = (
        'import Config\n\nif System.get_env("FORCE_SSL") == "1" do\n'
        "  config :demo, DemoWeb.Endpoint, force_ssl: [rewrite_on: [:x_forwarded_proto]]\nend\n"
    )
    [f] = run(tmp_path, project_files(runtime=runtime), "FLY104")
    assert f.severity == "info" and "FORCE_SSL" in f.message


def test_fly104_runtime_false_is_harmless_before_1_8(tmp_path):
    runtime = prod_with("force_ssl: false")
    assert (
        run(tmp_path, project_files(runtime=runtime, locked={"phoenix": "1.7.14"}), "FLY104") == []
    )
    found = run(
        tmp_path / "b", project_files(runtime=runtime, locked={"phoenix": "1.8.1"}), "FLY104"
    )
    assert len(found) == 1


def test_fly104_supersedes_fly105_in_runtime_exs(tmp_path):
    runtime = prod_with("force_ssl: [hsts: true]")
    found = run(tmp_path, project_files(runtime=runtime), "FLY104", "FLY105")
    assert [f.rule for f in found] == ["FLY104"]


# -- FLY105 ---------------------------------------------------------------------------------------


def test_fly105_rewrite_on_tuple_form_counts(tmp_path):
    prod = prod_with('force_ssl: [rewrite_on: [{:x_forwarded_proto, "x-forwarded-proto"}]]')
    assert run(tmp_path, project_files(prod=prod), "FLY105") == []


def test_fly105_unreadable_rewrite_on_stays_silent(tmp_path):
    prod = prod_with("force_ssl: [rewrite_on: Application.compile_env(:demo, :rewrite)]")
    assert run(tmp_path, project_files(prod=prod), "FLY105") == []


def test_fly105_plug_ssl_without_rewrite(tmp_path):
    endpoint = ENDPOINT.replace(
        "  plug DemoWeb.Router", '  plug Plug.SSL, host: "demo.fly.dev"\n  plug DemoWeb.Router'
    )
    [f] = run(tmp_path, project_files(endpoint=endpoint), "FLY105")
    assert f.path == "lib/demo_web/endpoint.ex" and "plug Plug.SSL" in f.message


def test_fly105_app_terminating_tls_itself_is_silent(tmp_path):
    fly = """app = "demo"

[[services]]
  internal_port = 4443
  protocol = "tcp"

  [[services.ports]]
    port = 443
"""
    prod = prod_with('force_ssl: [hsts: true], https: [port: 4443, certfile: "/c.pem"]')
    assert run(tmp_path, project_files(fly=fly, prod=prod), "FLY105") == []


def test_fly105_under_condition_is_info(tmp_path):
    prod = (
        'import Config\n\nif System.get_env("SSL") do\n'
        "  config :demo, DemoWeb.Endpoint, force_ssl: [hsts: true]\nend\n"
    )
    [f] = run(tmp_path, project_files(prod=prod), "FLY105")
    assert f.severity == "info" and "SSL" in f.message


# -- FLY106 ---------------------------------------------------------------------------------------


def test_fly106_dependency_config_is_not_judged(tmp_path):
    prod = prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto]]") + (
        "config :live_debugger, LiveDebugger.Endpoint, ip: {127, 0, 0, 1}\n"
    )
    assert run(tmp_path, project_files(prod=prod), "FLY106") == []


def test_fly106_silent_without_any_endpoint(tmp_path):
    files = project_files(prod=prod_with("force_ssl: []"))
    del files["lib/demo_web/endpoint.ex"]
    files["config/prod.exs"] += "config :demo, Demo.Endpoint, force_ssl: []\n"
    assert run(tmp_path, files, "FLY106") == []


def test_fly106_umbrella_child_app_config_is_fine(tmp_path):
    files = {
        "fly.toml": FLY_EDGE,
        "mix.exs": (
            "defmodule Acme.Umbrella.MixProject do\n  use Mix.Project\n\n  def project do\n"
            '    [apps_path: "apps", version: "0.1.0", deps: [],\n'
            "     releases: [acme: [applications: [acme: :permanent, acme_web: :permanent]]]]\n"
            "  end\nend\n"
        ),
        "config/config.exs": 'import Config\n\nimport_config "#{config_env()}.exs"\n',
        "config/prod.exs": (
            "import Config\n\nconfig :acme_web, AcmeWeb.Endpoint, force_ssl: [rewrite_on: "
            "[:x_forwarded_proto]]\n"
        ),
        "apps/acme_web/mix.exs": (
            "defmodule AcmeWeb.MixProject do\n  use Mix.Project\n\n  def project do\n"
            '    [app: :acme_web, version: "0.1.0", deps: []]\n  end\nend\n'
        ),
        "apps/acme_web/lib/acme_web/endpoint.ex": (
            "defmodule AcmeWeb.Endpoint do\n  use Phoenix.Endpoint, otp_app: :acme_web\nend\n"
        ),
    }
    assert run(tmp_path, files, "FLY106", "FLY101", "FLY105") == []


# -- FLY107 ---------------------------------------------------------------------------------------


def test_fly107_bare_plug_ssl_uses_the_request_host(tmp_path):
    endpoint = ENDPOINT.replace(
        "  plug DemoWeb.Router",
        "  plug Plug.SSL, rewrite_on: [:x_forwarded_proto, :x_forwarded_host]\n"
        "  plug DemoWeb.Router",
    )
    [f] = run(tmp_path, project_files(endpoint=endpoint), "FLY107")
    assert ":x_forwarded_host" in f.message and f.path == "lib/demo_web/endpoint.ex"


def test_fly107_standalone_rewrite_on_port(tmp_path):
    endpoint = ENDPOINT.replace(
        "  plug DemoWeb.Router",
        "  plug Plug.RewriteOn, [:x_forwarded_proto, :x_forwarded_port]\n  plug DemoWeb.Router",
    )
    [f] = run(tmp_path, project_files(endpoint=endpoint), "FLY107")
    assert f.location.line == 6 and "Plug.RewriteOn" in f.message


# -- FLY110 ---------------------------------------------------------------------------------------

EXCLUDE_INSIDE = prod_with(
    'force_ssl: [rewrite_on: [:x_forwarded_proto], exclude: [paths: ["/health"], hosts: ["localhost"]]]'
)


@pytest.mark.parametrize(
    ("plug", "fires"), [("1.18.1", True), ("1.18.99", True), ("1.19.0", False), ("1.20.0", False)]
)
def test_fly110_plug_version_boundary(tmp_path, plug, fires):
    found = run(tmp_path, project_files(prod=EXCLUDE_INSIDE, locked={"plug": plug}), "FLY110")
    assert bool(found) is fires
    if fires:
        assert f"Plug {plug}" in found[0].message


def test_fly110_unknown_plug_version_assumes_older_and_says_so(tmp_path):
    [f] = run(tmp_path, project_files(prod=EXCLUDE_INSIDE), "FLY110")
    assert "no mix.lock entry for plug" in f.message


def test_fly110_sibling_exclude_is_one_finding_even_with_old_plug(tmp_path):
    prod = prod_with(
        'force_ssl: [rewrite_on: [:x_forwarded_proto]],\n  exclude: [hosts: ["localhost"]]'
    )
    [f] = run(tmp_path, project_files(prod=prod, locked={"plug": "1.18.0"}), "FLY110")
    assert "beside force_ssl" in f.message and f.location.line == 4


def test_fly110_sibling_exclude_without_force_ssl_is_silent(tmp_path):
    prod = prod_with('exclude: [hosts: ["localhost"]]')
    assert run(tmp_path, project_files(prod=prod), "FLY110") == []


# -- totality --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "force_ssl",
    [
        'force_ssl: "yes"',
        "force_ssl: [rewrite_on: :x_forwarded_proto, exclude: 42, hsts: nil, expires: :never]",
        "force_ssl: [rewrite_on: [1, 2], host: 3]",
        "force_ssl: %{rewrite_on: [:x_forwarded_proto]}",
        "exclude: 7, force_ssl: true",
    ],
)
def test_odd_values_never_crash(tmp_path, force_ssl):
    rules = (
        "FLY101",
        "FLY102",
        "FLY104",
        "FLY105",
        "FLY106",
        "FLY107",
        "FLY110",
        "FLY201",
        "FLY202",
    )
    run(
        tmp_path,
        project_files(fly=FLY_PLAIN, prod=prod_with(force_ssl), runtime=prod_with(force_ssl)),
        *rules,
    )


# -- which fly configs deploy the mix project -------------------------------------------------------


def test_sidecar_fly_configs_in_subdirectories_are_not_the_phoenix_app(tmp_path):
    """A repo with a Phoenix app at the root and other Fly apps below it (seen in the wild: an
    analytics image and a JS example) must not judge those by the Phoenix config."""
    files = project_files(fly=FLY_PLAIN)
    files["umami/fly.toml"] = FLY_PLAIN + '\n[build]\n  image = "ghcr.io/umami-software/umami:v2"\n'
    files["examples/site/fly.toml"] = FLY_PLAIN
    files["examples/site/Dockerfile"] = 'FROM node:22-alpine\nRUN npm ci\nCMD ["npm", "start"]\n'
    files["deploy/fly.toml"] = FLY_PLAIN + '\n[build]\n  dockerfile = "../Dockerfile"\n'
    files["Dockerfile"] = "FROM hexpm/elixir:1.18.4-erlang-27.3-debian-bookworm-20250610\n"
    files["Dockerfile"] += "RUN mix release\n"
    found = run(tmp_path, files, "FLY101")
    assert sorted(f.path for f in found) == ["deploy/fly.toml", "fly.toml"]
