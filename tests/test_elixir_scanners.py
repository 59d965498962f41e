"""Endpoint, router, mix.exs/mix.lock and release-script scanners, and the project loader."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flylint.inspect_json import endpoint_json, lock_json, mix_json, router_json
from flylint.parsers.elixir.endpoint import scan_endpoints
from flylint.parsers.elixir.evaluator import evaluate_config
from flylint.parsers.elixir.mixfile import parse_lock, scan_mixfile, version_tuple
from flylint.parsers.elixir.project import load_project, project_glob
from flylint.parsers.elixir.rel import parse_shell
from flylint.parsers.elixir.router import scan_routers
from flylint.parsers.elixir.syntax import _parser, parse
from flylint.parsers.elixir.values import Literal, Unknown, to_python
from flylint.sources import ProjectFS, SourceFile

CASES = Path(__file__).resolve().parent / "elixir_cases"


def parsed(text: str, path: str = "lib/app_web/endpoint.ex"):
    return parse(SourceFile.from_text(path, text))


def load(case: str):
    fs = ProjectFS(CASES / case)
    return load_project(fs.read, project_glob(fs), ".")


@pytest.fixture(scope="module")
def stock():
    return load("phx18_stock")


# --------------------------------------------------------------------------- endpoint


def test_stock_endpoint_plugs_in_order(stock) -> None:
    (endpoint,) = stock.endpoints
    assert (endpoint.module, endpoint.otp_app) == ("UploadPortalWeb.Endpoint", "upload_portal")
    assert endpoint.location.path == "lib/upload_portal_web/endpoint.ex"
    assert [p.name for p in endpoint.plugs] == [
        "Plug.Static",
        "Phoenix.LiveDashboard.RequestLogger",
        "Plug.RequestId",
        "Plug.Telemetry",
        "Plug.Parsers",
        "Plug.MethodOverride",
        "Plug.Head",
        "Plug.Session",
        "UploadPortalWeb.Router",
    ]
    # `gzip: not code_reloading?` is decided from the prod compile-time config
    static = endpoint.plug("Plug.Static")
    assert static.options.get("gzip") == Literal(True, **_pos(static.options.get("gzip")))
    assert isinstance(static.options.get("only"), Unknown)
    parsers = endpoint.parsers
    assert to_python(parsers.options.get("parsers")) == [":urlencoded", ":multipart", ":json"]
    assert parsers.options.get("length") is None


def test_stock_endpoint_session_and_socket(stock) -> None:
    endpoint = stock.endpoint
    session = endpoint.session_options
    assert to_python(session) == [
        ("store", ":cookie"),
        ("key", "_upload_portal_key"),
        ("signing_salt", "h7Lq2sXe"),
        ("same_site", "Lax"),
    ]
    assert to_python(endpoint.plug("Plug.Session").options) == to_python(session)
    (live,) = endpoint.sockets  # the live-reload socket is under `if code_reloading?`
    assert (live.path, live.module) == ("/live", "Phoenix.LiveView.Socket")
    assert live.websocket.get("check_origin") is None
    assert to_python(live.websocket.get("connect_info").get("session")) == to_python(session)


def test_code_reloading_blocks_are_conditional_without_config() -> None:
    text = (CASES / "phx18_stock/lib/upload_portal_web/endpoint.ex").read_text()
    (endpoint,) = scan_endpoints(parsed(text))
    reloader = endpoint.plug("Phoenix.CodeReloader")
    assert reloader is not None and reloader.conditional == "code_reloading?"
    assert [s.path for s in endpoint.sockets] == ["/live", "/phoenix/live_reload/socket"]
    assert endpoint.sockets[1].conditional == "code_reloading?"


def test_code_reloader_enabled_in_prod_config_shows_plugs() -> None:
    text = (CASES / "phx18_stock/lib/upload_portal_web/endpoint.ex").read_text()
    files = {
        "config/config.exs": "import Config\n"
        "config :upload_portal, UploadPortalWeb.Endpoint, code_reloader: true\n"
    }
    model = evaluate_config(
        lambda p: SourceFile.from_text(p, files[p]) if p in files else None, "."
    )
    (endpoint,) = scan_endpoints(parsed(text), model.compile_env)
    assert endpoint.plug("Phoenix.CodeReloader").conditional is None
    assert endpoint.plug("Plug.Static").options.get("gzip").value is False


def test_commented_use_line_is_ignored_and_explicit_ssl_is_seen() -> None:
    project = load("multi_prod_blocks")
    (endpoint,) = project.endpoints
    assert endpoint.otp_app == "shop"
    assert endpoint.plugs[0].name == "Plug.SSL"
    assert to_python(endpoint.plugs[0].options.get("rewrite_on")) == [":x_forwarded_proto"]
    live = endpoint.sockets[0]
    assert live.websocket.get("check_origin").value is False
    assert live.longpoll.value is False
    opts = endpoint.parsers.options
    assert opts.get("length").value == 20_000_000
    assert to_python(opts.get("parsers"))[1] == (":multipart", [("length", 100_000_000)])
    assert [p.name for p in endpoint.plugs if not p.is_module] == ["health_check"]


def test_file_without_endpoint_and_comment_only_use() -> None:
    text = "defmodule A.Endpoint do\n  # use Phoenix.Endpoint, otp_app: :a\n  plug Plug.Head\nend\n"
    assert scan_endpoints(parsed(text)) == []


# --------------------------------------------------------------------------- router


def test_stock_router(stock) -> None:
    (router,) = stock.routers
    assert router.module == "UploadPortalWeb.Router"
    assert list(router.pipelines) == ["browser", "api"]
    browser = router.pipelines["browser"]
    assert [p.name for p in browser.plugs] == [
        "accepts",
        "fetch_session",
        "fetch_live_flash",
        "put_root_layout",
        "protect_from_forgery",
        "put_secure_browser_headers",
    ]
    assert to_python(browser.plug("accepts").options) == ["html"]
    assert browser.plug("put_secure_browser_headers").options is None
    # dev_routes is not set for prod: LiveDashboard and the mailbox are not routed
    assert [(r.verb, r.path, r.target, r.action, r.pipelines) for r in router.routes] == [
        ("get", "/", "UploadPortalWeb.PageController", "home", ("browser",))
    ]
    assert stock.router_for(stock.endpoint) is router


def test_dev_routes_are_conditional_without_config() -> None:
    text = (CASES / "phx18_stock/lib/upload_portal_web/router.ex").read_text()
    (router,) = scan_routers(parsed(text, "lib/upload_portal_web/router.ex"))
    dev = [r for r in router.routes if r.path.startswith("/dev")]
    assert [(r.verb, r.path, r.target) for r in dev] == [
        ("live_dashboard", "/dev/dashboard", None),
        ("forward", "/dev/mailbox", "Plug.Swoosh.MailboxPreview"),
    ]
    assert {r.conditional for r in dev} == {"Application.compile_env(:upload_portal, :dev_routes)"}
    assert dev[0].pipelines == ("browser",)
    assert to_python(dev[0].options)[0][0] == "metrics"


def test_router_scopes_aliases_and_route_kinds() -> None:
    (router,) = load("multi_prod_blocks").routers
    routes = {(r.verb, r.path): r for r in router.routes}
    assert routes[("live", "/products/:id")].target == "ShopWeb.ProductLive.Show"
    assert routes[("live", "/cart")].pipelines == ("browser",)
    admin = routes[("resources", "/admin/orders")]
    assert admin.target == "ShopWeb.Admin.OrderController"
    assert admin.pipelines == ("browser", "admin")
    nested = routes[("get", "/admin/orders/:order_id/invoice")]
    assert nested.target == "ShopWeb.Admin.InvoiceController"
    assert routes[("match *", "/api/fallback")].target == "ShopWeb.API.FallbackController"
    assert routes[("forward", "/internal/metrics")].target == "ShopWeb.MetricsPlug"
    csp = router.pipelines["browser"].plug("put_secure_browser_headers").options
    assert to_python(csp) == [("content-security-policy", "default-src 'self'; script-src 'self'")]
    assert [r.pipelines for r in router.routes_through("api")] == [("api",), ("api",)]
    assert [s.path for s in router.scopes] == ["/admin", "/", "/api", "/internal"]


# --------------------------------------------------------------------------- mix.exs / mix.lock


def test_stock_mixfile_and_lock(stock) -> None:
    mix = stock.mix
    assert (mix.app, mix.is_umbrella, mix.module) == (
        "upload_portal",
        False,
        "UploadPortal.MixProject",
    )
    assert mix.dep("phoenix").requirement == "~> 1.8.1"
    assert mix.dep("phoenix_live_reload").option("only").name == "dev"
    heroicons = mix.dep("heroicons")
    assert heroicons.requirement is None and heroicons.option("tag").value == "v2.2.0"
    mix_lines = (CASES / "phx18_stock/mix.exs").read_text().splitlines()
    assert mix_lines[mix.dep("bandit").location.line - 1].strip() == '{:bandit, "~> 1.5"}'
    assert stock.locked_version("phoenix") == "1.8.1"
    assert stock.locked_version("plug") == "1.18.1"
    assert stock.locked_version("postgrex") == "0.21.1"
    assert stock.lock["heroicons"].source == "git" and stock.lock["heroicons"].version == "2.2.0"
    assert stock.locked_version("plug_cowboy") is None
    assert version_tuple(stock.locked_version("plug")) < (1, 19)
    assert stock.repos == ["UploadPortal.Repo"]


def test_mixfile_without_project_and_odd_lock_lines() -> None:
    assert scan_mixfile(parsed("defmodule X do\n  def project, do: []\nend\n", "mix.exs")) is None
    lock = parse_lock(
        SourceFile.from_text(
            "mix.lock",
            '%{\n  "plug": {:hex, :plug, "1.19.0", "x", [:mix], [], "hexpm", "y"},\n'
            "  garbage line\n"
            '  "local": {:path, "../local", []},\n}\n',
        )
    )
    assert lock["plug"].version == "1.19.0" and lock["plug"].line == 2
    assert lock["local"].source == "path" and lock["local"].version is None


# --------------------------------------------------------------------------- release scripts


def test_stock_release_scripts(stock) -> None:
    env = stock.scripts["rel/env.sh.eex"]
    assert env.exported("ECTO_IPV6").value == "true"
    node = env.exported("RELEASE_NODE")
    assert node.value == "${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"
    assert env.exported("ERL_CRASH_DUMP") is None  # commented out
    (server,) = stock.scripts["rel/overlays/bin/server"].execs
    assert server.argv == ("./upload_portal", "start")
    assert server.env == {"PHX_SERVER": "true"}
    (migrate,) = stock.scripts["rel/overlays/bin/migrate"].execs
    assert migrate.command == "./upload_portal eval UploadPortal.Release.migrate"


def test_shell_conditionals_and_late_export() -> None:
    script = parse_shell(
        SourceFile.from_text(
            "rel/env.sh.eex",
            'A=1\nif [ -n "$X" ]; then\n  export B=2\nfi\nexport A\n'
            'case "$1" in\n  start) exec ./app start ;;\nesac\nexport C="unbalanced\n',
        )
    )
    assert script.exported("A").value == "1"
    assert script.exported("B").conditional is True
    assert script.execs[0].argv == ("./app", "start") and script.execs[0].conditional
    assert script.exported("C") is not None


# --------------------------------------------------------------------------- umbrella and loader


def test_umbrella_release_owns_the_web_endpoint() -> None:
    project = load("umbrella")
    assert project.mix.is_umbrella and project.mix.app is None
    assert [a.app for a in project.apps] == ["shop_core", "shop_web"]
    assert project.started_apps() == ["shop_core", "shop_web"]
    assert project.endpoint.module == "ShopWeb.Endpoint"
    assert project.endpoint.location.path == "apps/shop_web/lib/shop_web/endpoint.ex"
    assert project.router_for(project.endpoint).module == "ShopWeb.Router"
    assert project.locked_version("plug_cowboy") == "2.7.2"
    env = project.scripts["rel/env.sh.eex"]
    assert env.exported("PHX_SERVER").conditional is True
    assert project.repos == ["ShopCore.Repo"]


def test_loader_reports_syntax_errors_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "lib/app_web").mkdir(parents=True)
    (tmp_path / "mix.exs").write_text("defmodule App.MixProject do\n  use Mix.Project\n")
    (tmp_path / "config/config.exs").write_text("import Config\nconfig :app, a: [\n")
    (tmp_path / "lib/app_web/endpoint.ex").write_text(
        "defmodule AppWeb.Endpoint do\n  use Phoenix.Endpoint, otp_app: :app\n  plug Plug.Head\n"
        "  plug :broken,\n"
    )
    fs = ProjectFS(tmp_path)
    project = load_project(fs.read, project_glob(fs), ".")
    assert sorted(f.path for f in project.findings) == [
        "config/config.exs",
        "lib/app_web/endpoint.ex",
        "mix.exs",
    ]
    assert all(f.rule == "FLY001" for f in project.findings)
    assert [p.name for p in project.endpoint.plugs][:1] == ["Plug.Head"]


MALFORMED = [
    "defmodule A.Endpoint do\n  use Phoenix.Endpoint, otp_app: :a\n" + "if x do\n" * 3000,
    "defmodule A.Router do\n  use A, :router\n" + 'scope "/x" do\n' * 3000,
    "defmodule A.Router do\n  use Phoenix.Router\n  pipeline do end\n  scope do\n  get\n  live 1\n",
    'defmodule A.Endpoint do\n  use Phoenix.Endpoint, otp_app: "a"\n  socket\n  plug\n'
    "  @session_options\n  plug Plug.Session, @session_options\nend\n",
    'defmodule A.Router do\n  use A, :router\n  scope "/" do\n    resources "/u", UC do\n'
    + '      resources "/x", XC do\n' * 500,
    "defmodule Mix do\n  use Mix.Project\n  def project, do: deps()\n  defp deps, do: project()\nend\n",
]


@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_modules_never_raise(text: str) -> None:
    p = parsed(text)
    scan_endpoints(p)
    scan_routers(p)
    scan_mixfile(p)


def test_json_helpers(stock) -> None:
    ep = endpoint_json(stock.endpoint)
    assert ep["plugs"][0]["plug"] == "Plug.Static" and ep["plugs"][0]["line"] == 18
    assert ep["attributes"]["session_options"]["kind"] == "literal"
    router = router_json(stock.routers[0])
    assert router["routes"][0]["path"] == "/"
    assert mix_json(stock.mix)["app"] == "upload_portal"
    assert lock_json(stock.lock)["phoenix"]["version"] == "1.8.1"


def test_timing_of_a_typical_project() -> None:
    """Printed, not asserted: config + endpoint + router of the generated app, parser warm."""
    _parser()
    fs = ProjectFS(CASES / "phx18_stock")
    ep_src, _ = fs.read("lib/upload_portal_web/endpoint.ex")
    rt_src, _ = fs.read("lib/upload_portal_web/router.ex")
    runs = []
    for _ in range(20):
        started = time.perf_counter()
        model = evaluate_config(fs.read, ".")
        scan_endpoints(parse(ep_src), model.compile_env)
        scan_routers(parse(rt_src), model.compile_env)
        runs.append(time.perf_counter() - started)
    whole = []
    for _ in range(10):
        started = time.perf_counter()
        load("phx18_stock")
        whole.append(time.perf_counter() - started)
    print(
        f"config+endpoint+router: best {min(runs) * 1000:.1f} ms, "
        f"median {sorted(runs)[len(runs) // 2] * 1000:.1f} ms; "
        f"whole load_project (mix, lock, rel, fresh reads): best {min(whole) * 1000:.1f} ms"
    )


def _pos(value) -> dict:
    return {
        "file": value.file,
        "line": value.line,
        "column": value.column,
        "end_line": value.end_line,
        "end_column": value.end_column,
        "conditional": value.conditional,
    }
