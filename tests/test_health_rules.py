"""FLY302, FLY303, FLY304, FLY314, FLY316 on whole small projects: health checks against
force_ssl by Plug version, routing, ports, autostop with background work, and LiveView limits."""

from __future__ import annotations

import pytest
from conftest import write_project

from flylint.checks.health import (
    check_health_check_port_mismatch,
    check_health_check_redirected,
)
from flylint.checks.ports import check_port_mismatch
from flylint.discover import discover
from flylint.engine import Selection, lint


def mix(deps: str = '{:phoenix, "~> 1.8.1"}') -> str:
    return f"""defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [app: :demo, version: "0.1.0", deps: [{deps}]]
  end
end
"""


def lock(plug: str | None) -> str:
    zeros = "0" * 64
    entries = ""
    if plug:
        entries = (
            f'  "plug": {{:hex, :plug, "{plug}", "{zeros}", [:mix], [], "hexpm", "{zeros}"}},\n'
        )
    return "%{\n" + entries + "}\n"


ENDPOINT = """defmodule DemoWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :demo

  socket "/live", Phoenix.LiveView.Socket

  plug Plug.Static, at: "/", from: :demo, only: ~w(assets favicon.ico robots.txt)
  plug Plug.RequestId
  plug Plug.Parsers, parsers: [:urlencoded, :json], pass: ["*/*"]
  plug Plug.Session, store: :cookie, key: "_demo_key", signing_salt: "abcdefgh"
  plug DemoWeb.Router
end
"""

ROUTER = """defmodule DemoWeb.Router do
  use DemoWeb, :router

  pipeline :browser do
    plug :accepts, ["html"]
  end

  scope "/", DemoWeb do
    pipe_through :browser
    live "/", HomeLive, :index
  end

  scope "/", DemoWeb do
    get "/health", HealthController, :show
    get "/items/:id/status", ItemController, :status
    post "/hooks/ping", HookController, :ping
  end

  forward "/api", DemoWeb.ApiRouter

  if Application.compile_env(:demo, :dev_routes) do
    scope "/dev" do
      get "/debug", DemoWeb.DebugController, :show
    end
  end
end
"""

API_ROUTER = """defmodule DemoWeb.ApiRouter do
  use Phoenix.Router

  get "/v1/health", DemoWeb.ApiHealthController, :show
end
"""

PROD = "import Config\n\nconfig :demo, DemoWeb.Endpoint, force_ssl: {force_ssl}\n"
CONFIG = 'import Config\n\nimport_config "#{config_env()}.exs"\n'

RUNTIME = """import Config

config :demo, DemoWeb.Endpoint,
  http: [port: String.to_integer(System.get_env("PORT", "4000"))]
"""

DOCKERFILE = """FROM debian:bookworm-20250407-slim
WORKDIR /app
COPY _build/prod/rel/demo ./
CMD ["/app/bin/server"]
"""

CHECK = """app = "demo"

[env]
  PORT = "8080"

[http_service]
  internal_port = 8080
  force_https = true

  [http_service.concurrency]
    type = "connections"
    soft_limit = 1000

  [[http_service.checks]]
    path = "{path}"
{extra}"""
CHECK_LINE = 14  # the [[http_service.checks]] header above
XFP = '    [http_service.checks.headers]\n      X-Forwarded-Proto = "https"\n'


def project(
    force_ssl: str | None = "[rewrite_on: [:x_forwarded_proto]]",
    plug: str | None = "1.19.1",
    path: str = "/health",
    extra: str = "",
    **overrides: str,
) -> dict[str, str]:
    files = {
        "fly.toml": CHECK.format(path=path, extra=extra),
        "mix.exs": mix(),
        "mix.lock": lock(plug),
        "config/config.exs": CONFIG,
        "config/prod.exs": PROD.format(force_ssl=force_ssl) if force_ssl else "import Config\n",
        "config/runtime.exs": RUNTIME,
        "lib/demo_web/endpoint.ex": ENDPOINT,
        "lib/demo_web/router.ex": ROUTER,
        "lib/demo_web/api_router.ex": API_ROUTER,
        "Dockerfile": DOCKERFILE,
    }
    files.update(overrides)
    return files


def run(tmp_path, files: dict[str, str], rule: str):
    root = write_project(tmp_path / "p", files)
    found = []
    for proj in discover([str(root)]):
        found += [f for f in lint(proj, Selection(select=(rule,))) if f.rule == rule]
    return found


# -- FLY302 ---------------------------------------------------------------------------------------


def test_fly302_points_at_the_check_and_relates_force_ssl(tmp_path):
    [f] = run(tmp_path, project(), "FLY302")
    assert (f.path, f.location.line, f.severity) == ("fly.toml", CHECK_LINE, "error")
    assert [(r.path, r.line) for r in f.related] == [("config/prod.exs", 3)]
    assert 'X-Forwarded-Proto = "https"' in f.fix
    assert ":x_forwarded_proto" not in f.fix  # rewrite_on already has it


def test_fly302_header_with_rewrite_on_is_clean_in_any_case(tmp_path):
    lower = '    [http_service.checks.headers]\n      x-forwarded-proto = "https"\n'
    assert run(tmp_path, project(extra=lower), "FLY302") == []


def test_fly302_header_without_rewrite_on(tmp_path):
    [f] = run(tmp_path, project(force_ssl="[hsts: true]", extra=XFP), "FLY302")
    assert "rewrite_on lacks :x_forwarded_proto" in f.message


def test_fly302_header_value_must_be_https(tmp_path):
    wrong = XFP.replace('"https"', '"http"')
    assert len(run(tmp_path, project(extra=wrong), "FLY302")) == 1


EXCLUDE = '[rewrite_on: [:x_forwarded_proto], exclude: [paths: ["/health"], hosts: ["localhost"]]]'


@pytest.mark.parametrize(
    ("plug", "expected"),
    [("1.19.0", []), ("1.19.5", []), ("1.20.3", []), ("1.18.4", ["error"]), ("1.14.0", ["error"])],
)
def test_fly302_exclude_paths_by_plug_version(tmp_path, plug, expected):
    found = run(tmp_path, project(force_ssl=EXCLUDE, plug=plug), "FLY302")
    assert [f.severity for f in found] == expected


def test_fly302_exclude_paths_without_a_version_is_info_and_says_so(tmp_path):
    [f] = run(tmp_path, project(force_ssl=EXCLUDE, plug=None), "FLY302")
    assert f.severity == "info"
    assert "Plug < 1.19" in f.message


def test_fly302_mix_exs_requirement_decides_without_lock(tmp_path):
    files = project(force_ssl=EXCLUDE, plug=None)
    files["mix.exs"] = mix('{:phoenix, "~> 1.8.1"}, {:plug, "~> 1.19"}')
    assert run(tmp_path, files, "FLY302") == []


def test_fly302_exclude_matches_whole_segments(tmp_path):
    found = run(tmp_path, project(force_ssl=EXCLUDE, path="/health/db"), "FLY302")
    assert len(found) == 1
    trailing = run(tmp_path / "b", project(force_ssl=EXCLUDE, path="/health/"), "FLY302")
    assert trailing == []


def test_fly302_old_host_list_exclude_does_not_help(tmp_path):
    force = '[rewrite_on: [:x_forwarded_proto], exclude: ["localhost", "demo.internal"]]'
    assert len(run(tmp_path, project(force_ssl=force), "FLY302")) == 1


def test_fly302_sibling_exclude_has_no_effect(tmp_path):
    prod = (
        "import Config\n\nconfig :demo, DemoWeb.Endpoint,\n"
        "  force_ssl: [rewrite_on: [:x_forwarded_proto]],\n"
        '  exclude: [paths: ["/health"], hosts: ["localhost"]]\n'
    )
    files = project()
    files["config/prod.exs"] = prod
    assert len(run(tmp_path, files, "FLY302")) == 1


@pytest.mark.parametrize(
    "force_ssl",
    [
        'System.get_env("FORCE_SSL") && [rewrite_on: [:x_forwarded_proto]]',
        "Demo.ssl_options()",
        "[rewrite_on: [:x_forwarded_proto], exclude: Demo.excluded()]",
    ],
)
def test_fly302_silent_on_values_it_cannot_evaluate(tmp_path, force_ssl):
    assert run(tmp_path, project(force_ssl=force_ssl), "FLY302") == []


def test_fly302_silent_under_an_undecidable_condition(tmp_path):
    files = project(force_ssl=None)
    files["config/prod.exs"] = (
        'import Config\n\nif System.get_env("BEHIND_PROXY") do\n'
        "  config :demo, DemoWeb.Endpoint, force_ssl: [hsts: true]\nend\n"
    )
    assert run(tmp_path, files, "FLY302") == []


def test_fly302_no_ssl_enforcement_is_clean(tmp_path):
    assert run(tmp_path, project(force_ssl=None), "FLY302") == []
    assert run(tmp_path / "b", project(force_ssl="false"), "FLY302") == []


def test_fly302_explicit_plug_ssl(tmp_path):
    endpoint = ENDPOINT.replace("  plug Plug.RequestId\n", "  plug Plug.SSL, hsts: true\n")
    [f] = run(tmp_path, project(force_ssl=None, **{"lib/demo_web/endpoint.ex": endpoint}), "FLY302")
    assert [(r.path, r.line) for r in f.related] == [("lib/demo_web/endpoint.ex", 7)]
    assert "plug Plug.SSL" in f.message


def test_fly302_custom_plug_before_explicit_plug_ssl_may_answer(tmp_path):
    endpoint = ENDPOINT.replace(
        "  plug Plug.RequestId\n", "  plug DemoWeb.HealthPlug\n  plug Plug.SSL, hsts: true\n"
    )
    files = project(force_ssl=None, **{"lib/demo_web/endpoint.ex": endpoint})
    assert run(tmp_path, files, "FLY302") == []


def test_fly302_top_level_http_check_and_https_protocol(tmp_path):
    files = project()
    files["fly.toml"] = """app = "demo"

[http_service]
  internal_port = 8080

[checks.web]
  type = "http"
  port = 8080
  path = "/health"

[checks.tls]
  type = "http"
  port = 8443
  protocol = "https"
  path = "/health"
"""
    assert [f.location.line for f in run(tmp_path, files, "FLY302")] == [6]


def test_fly302_silent_when_prod_config_is_broken(tmp_path):
    files = project()
    files["config/prod.exs"] += "\nif true do\n"
    assert run(tmp_path, files, "FLY302") == []


def test_fly302_hardened_fixture_style_is_clean(tmp_path):
    assert run(tmp_path, project(force_ssl=EXCLUDE, extra=XFP), "FLY302") == []


# -- FLY303 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/health", "/health/", "/health?full=1", "/items/42/status", "/api/v1/health", "/robots.txt"],
)
def test_fly303_handled_paths(tmp_path, path):
    assert run(tmp_path, project(path=path, extra=XFP), "FLY303") == []


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",  # typo
        "/hooks/ping",  # routed for POST only
        "/api/v2/health",  # not in the forwarded router
        "/dev/debug",  # dev_routes is off in prod
        "/items/42",
    ],
)
def test_fly303_unrouted_paths(tmp_path, path):
    [f] = run(tmp_path, project(path=path, extra=XFP), "FLY303")
    assert (f.path, f.location.line) == ("fly.toml", CHECK_LINE + 1)
    assert f.related[0].path == "lib/demo_web/router.ex"


def test_fly303_suggests_a_routed_health_path(tmp_path):
    [f] = run(tmp_path, project(path="/healthz", extra=XFP), "FLY303")
    assert f.fix == 'path = "/health" (routed in DemoWeb.Router)'


def test_fly303_method_of_the_check_counts(tmp_path):
    extra = '    method = "POST"\n' + XFP
    assert run(tmp_path, project(path="/hooks/ping", extra=extra), "FLY303") == []


@pytest.mark.parametrize(
    "router_change",
    [
        ('  forward "/api", DemoWeb.ApiRouter\n', '  forward "/", SomeLib.HealthPlug\n'),
        ("  use DemoWeb, :router\n", "  use DemoWeb, :router\n  use Kaffy.Routes\n"),
        ('  forward "/api", DemoWeb.ApiRouter\n', "  health_routes()\n"),
        ("  pipeline :browser do\n", "  plug DemoWeb.Plugs.Health\n\n  pipeline :browser do\n"),
    ],
)
def test_fly303_silent_on_what_it_cannot_follow(tmp_path, router_change):
    router = ROUTER.replace(*router_change)
    files = project(path="/healthz", extra=XFP, **{"lib/demo_web/router.ex": router})
    assert run(tmp_path, files, "FLY303") == []


def test_fly303_silent_when_the_router_does_not_parse(tmp_path):
    router = ROUTER.replace("  end\nend\n", "  end\n")
    files = project(path="/healthz", extra=XFP, **{"lib/demo_web/router.ex": router})
    assert run(tmp_path, files, "FLY303") == []


def test_fly303_static_without_only_and_extensionless_path(tmp_path):
    endpoint = ENDPOINT.replace(", only: ~w(assets favicon.ico robots.txt)", "")
    files = project(path="/healthz", extra=XFP, **{"lib/demo_web/endpoint.ex": endpoint})
    assert len(run(tmp_path, files, "FLY303")) == 1
    files["priv/static/healthz"] = "ok\n"
    assert run(tmp_path / "b", files, "FLY303") == []


# -- FLY304 ---------------------------------------------------------------------------------------

TOP_CHECK = """app = "demo"

[env]
  PORT = "{env_port}"

[http_service]
  internal_port = 8080

[checks.alive]
  type = "tcp"
  port = {port}
{extra}"""


def test_fly304_explicit_port_mismatch(tmp_path):
    files = project(**{"fly.toml": TOP_CHECK.format(env_port=8080, port=4002, extra="")})
    [f] = run(tmp_path, files, "FLY304")
    assert (f.path, f.location.line) == ("fly.toml", 11)
    assert "probes port 4002 but the app listens on 8080" in f.message
    assert f.related[0].path == "fly.toml"  # [env] PORT


def test_fly304_and_fly307_both_fire_at_their_own_lines(tmp_path):
    """The check functions report both problems; the engine must not let FLY307 (internal_port)
    hide FLY304 (an explicit check port on another line)."""
    files = project(**{"fly.toml": TOP_CHECK.format(env_port=4000, port=4002, extra="")})
    root = write_project(tmp_path / "p", files)
    [proj] = discover([str(root)])
    app = proj.apps[0]
    assert [f.location.line for f in check_port_mismatch(app)] == [7]
    assert [f.location.line for f in check_health_check_port_mismatch(app)] == [11]


@pytest.mark.parametrize(
    ("files_extra", "port"),
    [
        ({}, 8080),
        (
            {
                "config/runtime.exs": RUNTIME
                + "config :demo, Demo.PromEx, metrics_server: [port: 9568]\n"
            },
            9568,
        ),
        ({"Dockerfile": DOCKERFILE.replace("WORKDIR", "ENV METRICS_PORT=9091\nWORKDIR")}, 9091),
    ],
)
def test_fly304_known_listeners_are_fine(tmp_path, files_extra, port):
    files = project(**{"fly.toml": TOP_CHECK.format(env_port=8080, port=port, extra="")})
    files.update(files_extra)
    assert run(tmp_path, files, "FLY304") == []


def test_fly304_litefs_proxy_port_is_fine(tmp_path):
    files = project(**{"fly.toml": TOP_CHECK.format(env_port=8081, port=8080, extra="")})
    files["litefs.yml"] = 'proxy:\n  addr: ":8080"\n  target: "localhost:8081"\n'
    files["Dockerfile"] = DOCKERFILE.replace("WORKDIR", "COPY litefs.yml /etc/litefs.yml\nWORKDIR")
    assert run(tmp_path, files, "FLY304") == []


def test_fly304_check_of_another_process_group_is_skipped(tmp_path):
    fly = """app = "demo"

[processes]
  app = "/app/bin/server"
  worker = "/app/bin/demo start"

[env]
  PORT = "8080"

[http_service]
  internal_port = 8080
  processes = ["app"]

[checks.worker_alive]
  type = "tcp"
  port = 9999
  processes = ["worker"]
"""
    assert run(tmp_path, project(**{"fly.toml": fly}), "FLY304") == []


def test_fly304_unknown_app_port_is_silent(tmp_path):
    files = project(**{"fly.toml": TOP_CHECK.format(env_port=8080, port=4002, extra="")})
    files["config/runtime.exs"] = (
        "import Config\n\nconfig :demo, DemoWeb.Endpoint, http: [port: Demo.port()]\n"
    )
    assert run(tmp_path, files, "FLY304") == []


def test_fly304_service_check_is_never_judged(tmp_path):
    # service checks always probe internal_port; FLY307 judges that port
    files = project(
        **{"fly.toml": CHECK.format(path="/health", extra=XFP).replace('"8080"', '"4000"')}
    )
    assert run(tmp_path, files, "FLY304") == []


# -- FLY314 ---------------------------------------------------------------------------------------

AUTOSTOP = """app = "demo"

[http_service]
  internal_port = 8080
  auto_stop_machines = {stop}
  auto_start_machines = true
{min}"""
OBAN_MIX = mix('{:phoenix, "~> 1.8.1"}, {:oban, "~> 2.19"}')


def autostop(tmp_path, stop='"stop"', min_line="", config=None, deps=OBAN_MIX, extra_toml=""):
    files = {
        "fly.toml": AUTOSTOP.format(stop=stop, min=min_line) + extra_toml,
        "mix.exs": deps,
        "config/config.exs": config
        or "import Config\n\nconfig :demo, Oban, repo: Demo.Repo, queues: [default: 10]\n",
    }
    return run(tmp_path, files, "FLY314")


def test_fly314_oban_with_unset_minimum_points_at_autostop(tmp_path):
    [f] = autostop(tmp_path)
    assert (f.path, f.location.line) == ("fly.toml", 5)
    assert [(r.path, r.line) for r in f.related] == [("config/config.exs", 3)]


@pytest.mark.parametrize("stop", ['"suspend"', "true"])
def test_fly314_suspend_and_legacy_true(tmp_path, stop):
    assert len(autostop(tmp_path, stop=stop, min_line="  min_machines_running = 0\n")) == 1


@pytest.mark.parametrize(
    ("stop", "min_line"), [('"off"', ""), ("false", ""), ('"stop"', "  min_machines_running = 2\n")]
)
def test_fly314_no_autostop_to_zero(tmp_path, stop, min_line):
    assert autostop(tmp_path, stop=stop, min_line=min_line) == []


@pytest.mark.parametrize(
    "config",
    [
        "import Config\n\nconfig :demo, Oban, repo: Demo.Repo, queues: false\n",
        "import Config\n\nconfig :demo, Oban, repo: Demo.Repo\n",
        "import Config\n\nconfig :demo, Oban, repo: Demo.Repo, queues: [default: 5], testing: :manual\n",
        'import Config\n\nconfig :demo, Oban, repo: Demo.Repo, queues: Demo.queues(System.get_env("Q"))\n',
    ],
)
def test_fly314_oban_without_running_queues(tmp_path, config):
    assert autostop(tmp_path, config=config) == []


def test_fly314_oban_config_without_the_dependency_is_ignored(tmp_path):
    assert autostop(tmp_path, deps=mix()) == []


def test_fly314_quantum_jobs(tmp_path):
    config = 'import Config\n\nconfig :demo, Demo.Scheduler, jobs: [{"@daily", {Demo.Tasks, :prune, []}}]\n'
    deps = mix('{:phoenix, "~> 1.8.1"}, {:quantum, "~> 3.5"}')
    [f] = autostop(tmp_path, config=config, deps=deps)
    assert "Quantum jobs" in f.message


def test_fly314_mount_in_another_group_does_not_count(tmp_path):
    extra = '\n[processes]\n  app = "/app/bin/server"\n  db = "/app/bin/demo start"\n\n[[mounts]]\n  source = "data"\n  destination = "/data"\n  processes = ["db"]\n'
    toml = AUTOSTOP.format(stop='"stop"', min='  processes = ["app"]\n') + extra
    files = {"fly.toml": toml, "mix.exs": mix(), "config/config.exs": "import Config\n"}
    assert run(tmp_path, files, "FLY314") == []


# -- FLY316 ---------------------------------------------------------------------------------------


def test_fly316_live_route_without_socket(tmp_path):
    endpoint = ENDPOINT.replace('  socket "/live", Phoenix.LiveView.Socket\n', "")
    files = project(extra=XFP, **{"lib/demo_web/endpoint.ex": endpoint})
    files["fly.toml"] = files["fly.toml"].replace("soft_limit = 1000", "soft_limit = 50")
    [f] = run(tmp_path, files, "FLY316")
    assert f.location.line == 12
    assert 'live "/"' in f.message
    assert f.related[0].path == "lib/demo_web/router.ex"


@pytest.mark.parametrize(
    ("concurrency", "count"),
    [
        ('type = "connections"\n    soft_limit = 100', 0),
        ('type = "connections"\n    soft_limit = 99', 1),
        ('type = "requests"\n    soft_limit = 20', 0),
        ("hard_limit = 500", 1),
    ],
)
def test_fly316_limits(tmp_path, concurrency, count):
    files = project(extra=XFP)
    files["fly.toml"] = files["fly.toml"].replace(
        'type = "connections"\n    soft_limit = 1000', concurrency
    )
    assert len(run(tmp_path, files, "FLY316")) == count


def test_fly316_without_realtime_features(tmp_path):
    endpoint = ENDPOINT.replace('  socket "/live", Phoenix.LiveView.Socket\n', "")
    router = ROUTER.replace(
        '    live "/", HomeLive, :index\n', '    get "/", PageController, :home\n'
    )
    files = project(
        extra=XFP, **{"lib/demo_web/endpoint.ex": endpoint, "lib/demo_web/router.ex": router}
    )
    files["fly.toml"] = files["fly.toml"].replace("soft_limit = 1000", "soft_limit = 20")
    assert run(tmp_path, files, "FLY316") == []


# -- totality -------------------------------------------------------------------------------------

ODD_TOMLS = [
    'app = "demo"\n[http_service]\ninternal_port = "abc"\n[http_service.checks]\npath = 5\n',
    'app = "demo"\n[[services]]\ninternal_port = 8080\nports = 3\nhttp_checks = "x"\n',
    'app = "demo"\nprocesses = ["a"]\n[checks]\nx = 1\n[checks.y]\ntype = "http"\nport = "p"\n',
    'app = "demo"\n[http_service]\ninternal_port = 8080\nauto_stop_machines = "maybe"\n'
    'min_machines_running = -1\nconcurrency = "1,x"\n[[mounts]]\nsource = 1\n',
    'app = "demo"\n[env]\nPORT = [1, 2]\n[http_service]\ninternal_port = 0\n',
]


@pytest.mark.parametrize("toml", ODD_TOMLS)
def test_checks_never_raise_on_odd_configs(tmp_path, toml):
    files = project(**{"fly.toml": toml})
    files["rel/env.sh.eex"] = "export PORT=${PORT\nexport PHX_SERVER\n"
    files["litefs.yml"] = "proxy:\n  addr: [1\n"
    root = write_project(tmp_path / "p", files)
    for proj in discover([str(root)]):
        lint(proj, Selection(select=("FLY3",)))
        app = proj.apps[0]
        list(check_health_check_redirected(app))
