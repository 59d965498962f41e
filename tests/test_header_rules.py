"""FLY201-FLY207, FLY209, FLY210: browser headers and request protections, beyond the catalogue
examples: version boundaries, env references and conditions, and Sobelow's false positives."""

from __future__ import annotations

import pytest
from test_https_rules import (
    ENDPOINT,
    FLY_EDGE,
    FLY_PLAIN,
    ROUTER,
    mix_exs,
    prod_with,
    project_files,
    run,
)

from flylint.checks.headers import csp_weakness

FLY_HSTS = (
    FLY_EDGE
    + """
  [http_service.http_options.response.headers]
    Strict-Transport-Security = {value}
"""
)


def router_with(pipeline_body: str, *, extra: str = "", scope_pipes: str = ":browser") -> str:
    return f"""defmodule DemoWeb.Router do
  use Phoenix.Router

  pipeline :browser do
{pipeline_body}
  end
{extra}
  scope "/", DemoWeb do
    pipe_through {scope_pipes}
    get "/", PageController, :home
  end
end
"""


STOCK_BROWSER = """    plug :accepts, ["html"]
    plug :fetch_session
    plug :protect_from_forgery
    plug :put_secure_browser_headers"""


# -- FLY201 ---------------------------------------------------------------------------------------


def test_fly201_expires_zero_switches_hsts_off(tmp_path):
    prod = prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto], expires: 0]")
    [f] = run(tmp_path, project_files(prod=prod), "FLY201", "FLY202")
    assert f.rule == "FLY201" and "expires: 0" in f.message and f.location.line == 3


@pytest.mark.parametrize("value", ['"max-age=0"', "false"])
def test_fly201_header_that_does_not_protect(tmp_path, value):
    [f] = run(tmp_path, project_files(fly=FLY_HSTS.format(value=value)), "FLY201")
    assert (f.path, f.location.line) == ("fly.toml", 5)


def test_fly201_header_on_a_services_port_counts(tmp_path):
    fly = """app = "demo"

[[services]]
  internal_port = 8080
  protocol = "tcp"

  [[services.ports]]
    port = 80
    handlers = ["http"]
    force_https = true

  [[services.ports]]
    port = 443
    handlers = ["tls", "http"]

    [services.ports.http_options.response.headers]
      Strict-Transport-Security = "max-age=31536000"
"""
    assert run(tmp_path, project_files(fly=fly), "FLY201") == []


def test_fly201_not_when_https_is_not_enforced_or_runtime_only(tmp_path):
    assert run(tmp_path, project_files(fly=FLY_PLAIN), "FLY201") == []
    runtime = prod_with("force_ssl: [rewrite_on: [:x_forwarded_proto]]")
    assert run(tmp_path / "b", project_files(runtime=runtime), "FLY201") == []


def test_fly201_not_for_a_missing_rewrite_on(tmp_path):
    """HSTS is then never sent either, but FLY105 is the finding for that value."""
    prod = prod_with("force_ssl: [hsts: true]")
    assert [f.rule for f in run(tmp_path, project_files(prod=prod), "FLY201", "FLY105")] == [
        "FLY105"
    ]


def test_fly201_hsts_from_env_is_silent(tmp_path):
    prod = prod_with('force_ssl: [rewrite_on: [:x_forwarded_proto], hsts: System.get_env("H")]')
    assert run(tmp_path, project_files(prod=prod), "FLY201") == []


# -- FLY202 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("expires", "fires"), [("31_535_999", True), ("31_536_000", False)])
def test_fly202_one_year_boundary(tmp_path, expires, fires):
    prod = prod_with(f"force_ssl: [rewrite_on: [:x_forwarded_proto], expires: {expires}]")
    assert bool(run(tmp_path, project_files(prod=prod), "FLY202")) is fires


def test_fly202_expires_from_env_is_silent(tmp_path):
    prod = prod_with(
        "force_ssl: [rewrite_on: [:x_forwarded_proto], "
        'expires: String.to_integer(System.get_env("HSTS_AGE") || "600")]'
    )
    assert run(tmp_path, project_files(prod=prod), "FLY202") == []


def test_fly202_header_list_value(tmp_path):
    fly = FLY_HSTS.format(value='["max-age=600", "includeSubDomains"]')
    [f] = run(tmp_path, project_files(fly=fly), "FLY202")
    assert "max-age=600 (10 minutes)" in f.message and f.location.line == 8


# -- FLY203 / FLY206 ------------------------------------------------------------------------------


def test_fly203_function_plug_that_calls_put_secure_browser_headers(tmp_path):
    body = '    plug :accepts, ["html"]\n    plug :fetch_session\n    plug :protect_from_forgery\n'
    body += "    plug :secure"
    extra = (
        "\n  defp secure(conn, _opts) do\n"
        '    put_secure_browser_headers(conn, %{"x-frame-options" => "DENY"})\n  end\n'
    )
    files = project_files(router=router_with(body, extra=extra))
    assert run(tmp_path, files, "FLY203") == []


def test_fly203_commented_call_does_not_count(tmp_path):
    body = '    plug :accepts, ["html"]\n    plug :secure'
    extra = (
        "\n  defp secure(conn, _opts) do\n    # put_secure_browser_headers(conn)\n    conn\n  end\n"
    )
    [f] = run(tmp_path, project_files(router=router_with(body, extra=extra)), "FLY203")
    assert f.location.line == 4


def test_fly203_header_module_plug_counts(tmp_path):
    body = '    plug :accepts, ["html"]\n    plug DemoWeb.Plugs.SecurityHeaders'
    assert run(tmp_path, project_files(router=router_with(body)), "FLY203") == []


def test_fly203_dev_only_pipeline_is_skipped(tmp_path):
    extra = """
  if Application.compile_env(:demo, :dev_routes) do
    pipeline :dev_html do
      plug :accepts, ["html"]
    end

    scope "/dev" do
      pipe_through :dev_html
      get "/mailbox", DemoWeb.MailboxController, :index
    end
  end
"""
    router = router_with(STOCK_BROWSER, extra=extra)
    assert run(tmp_path, project_files(router=router), "FLY203", "FLY206") == []


def test_fly203_router_that_does_not_parse_is_silent(tmp_path):
    router = router_with('    plug :accepts, ["html"]').removesuffix("end\n")
    assert run(tmp_path, project_files(router=router), "FLY203", "FLY206") == []


@pytest.mark.parametrize(
    "protection", ["plug Plug.CSRFProtection", "plug :protect_from_forgery, with: :clear_session"]
)
def test_fly206_other_spellings_of_csrf_protection(tmp_path, protection):
    body = f'    plug :accepts, ["html"]\n    plug :fetch_session\n    {protection}'
    assert run(tmp_path, project_files(router=router_with(body)), "FLY206") == []


def test_fly206_nested_pipeline_inherits_session_and_protection(tmp_path):
    extra = "\n  pipeline :admin do\n    plug :browser\n    plug DemoWeb.RequireAdmin\n  end\n"
    router = router_with(STOCK_BROWSER, extra=extra, scope_pipes=":admin")
    assert run(tmp_path, project_files(router=router), "FLY206", "FLY203") == []


def test_fly206_json_api_with_session_is_not_judged(tmp_path):
    body = '    plug :accepts, ["json"]\n    plug :fetch_session'
    assert run(tmp_path, project_files(router=router_with(body)), "FLY206") == []


# -- FLY204 / FLY205 ------------------------------------------------------------------------------

MIX17 = mix_exs('{:phoenix, "~> 1.7.14"}')


@pytest.mark.parametrize(("phoenix", "rule"), [("1.7.21", "FLY204"), ("1.8.0", "FLY205")])
def test_csp_phoenix_version_boundary(tmp_path, phoenix, rule):
    files = project_files(locked={"phoenix": phoenix})
    found = run(tmp_path, files, "FLY204", "FLY205")
    assert [f.rule for f in found] == [rule]


def test_fly204_fly_response_header_counts(tmp_path):
    fly = FLY_EDGE + (
        "\n  [http_service.http_options.response.headers]\n"
        "    Content-Security-Policy = \"default-src 'self'\"\n"
    )
    assert run(tmp_path, project_files(fly=fly, mix=MIX17), "FLY204", "FLY205") == []


def test_fly204_csp_library_counts_when_plugged_not_when_only_declared(tmp_path):
    """Seen in a real app: the dependency stays in mix.exs while its plug is commented out."""
    mix = mix_exs('{:phoenix, "~> 1.7.14"}, {:plug_content_security_policy, "~> 0.2"}')
    commented = ENDPOINT.replace(
        "  plug DemoWeb.Router", "  # plug PlugContentSecurityPolicy\n  plug DemoWeb.Router"
    )
    assert len(run(tmp_path, project_files(mix=mix, endpoint=commented), "FLY204")) == 1
    plugged = commented.replace("# plug", "plug")
    assert run(tmp_path / "b", project_files(mix=mix, endpoint=plugged), "FLY204") == []


def test_fly204_commented_csp_does_not_count(tmp_path):
    plug = (
        "defmodule DemoWeb.Plugs.Todo do\n"
        '  # TODO: put_resp_header(conn, "content-security-policy", "default-src \'self\'")\n'
        "  def init(o), do: o\n  def call(conn, _), do: conn\nend\n"
    )
    files = project_files(mix=MIX17, extra={"lib/demo_web/plugs/todo.ex": plug})
    [f] = run(tmp_path, files, "FLY204")
    assert "Phoenix ~> 1.7.14" in f.message


def test_fly204_one_finding_for_several_pipelines(tmp_path):
    extra = (
        '\n  pipeline :admin do\n    plug :accepts, ["html"]\n'
        "    plug :put_secure_browser_headers\n  end\n"
    )
    router = router_with(STOCK_BROWSER, extra=extra, scope_pipes="[:browser, :admin]")
    [f] = run(tmp_path, project_files(mix=MIX17, router=router), "FLY204")
    assert ":browser, :admin" in f.message and f.location.line == 4


def test_fly205_unreadable_csp_argument_is_silent(tmp_path):
    body = STOCK_BROWSER.replace(
        "plug :put_secure_browser_headers",
        "plug :put_secure_browser_headers, DemoWeb.CSP.headers()",
    )
    found = run(tmp_path, project_files(router=router_with(body)), "FLY204", "FLY205")
    assert found == []


def test_fly205_same_default_through_nested_pipelines_reported_once(tmp_path):
    extra = "\n  pipeline :admin do\n    plug :browser\n  end\n"
    router = router_with(STOCK_BROWSER, extra=extra, scope_pipes="[:browser, :admin]")
    found = run(tmp_path, project_files(router=router, locked={"phoenix": "1.8.1"}), "FLY205")
    assert len(found) == 1 and found[0].location.line == 8


def test_fly205_weak_fly_header_alone(tmp_path):
    fly = FLY_EDGE + (
        "\n  [http_service.http_options.response.headers]\n"
        '    Content-Security-Policy = "script-src *"\n'
    )
    [f] = run(tmp_path, project_files(fly=fly, mix=MIX17), "FLY205")
    assert f.path == "fly.toml" and "*" in f.message


@pytest.mark.parametrize(
    ("policy", "weak"),
    [
        ("base-uri 'self'; frame-ancestors 'self';", "neither default-src nor script-src"),
        ("default-src 'self' 'unsafe-inline'", "'unsafe-inline'"),
        ("default-src 'self'; script-src 'self' 'unsafe-inline' 'nonce-abc'", None),
        ("script-src 'strict-dynamic' 'nonce-abc' 'unsafe-inline' https: *", None),
        ("script-src 'strict-dynamic' 'nonce-abc' 'unsafe-eval'", "'unsafe-eval'"),
        ("default-src 'self'; script-src http://cdn.example.com", "http://cdn.example.com"),
        ("default-src *; script-src 'self'", None),
        ("default-src 'self'; style-src 'unsafe-inline'", None),
        ("SCRIPT-SRC 'SELF' 'UNSAFE-EVAL'", "'unsafe-eval'"),
    ],
)
def test_csp_weakness(policy, weak):
    reason = csp_weakness(policy)
    if weak is None:
        assert reason is None
    else:
        assert reason is not None and weak in reason


# -- FLY207 ---------------------------------------------------------------------------------------


def test_fly207_runtime_exs_counts(tmp_path):
    """Sobelow misses endpoint-level check_origin: false outside the socket call."""
    runtime = prod_with("check_origin: false")
    [f] = run(tmp_path, project_files(runtime=runtime), "FLY207")
    assert (f.path, f.location.line, f.severity) == ("config/runtime.exs", 3, "warning")


def test_fly207_conditional_is_info(tmp_path):
    runtime = (
        'import Config\n\nif System.get_env("MOBILE") do\n'
        "  config :demo, DemoWeb.Endpoint, check_origin: false\nend\n"
    )
    [f] = run(tmp_path, project_files(runtime=runtime), "FLY207")
    assert f.severity == "info" and "MOBILE" in f.message


def test_fly207_endpoint_without_sockets_is_silent(tmp_path):
    endpoint = "defmodule DemoWeb.Endpoint do\n  use Phoenix.Endpoint, otp_app: :demo\nend\n"
    files = project_files(prod=prod_with("check_origin: false"), endpoint=endpoint)
    assert run(tmp_path, files, "FLY207") == []


def test_fly207_socket_with_its_own_origins_overrides(tmp_path):
    endpoint = ENDPOINT.replace(
        "websocket: [connect_info: [:peer_data]]",
        'websocket: [check_origin: ["https://demo.fly.dev"]]',
    )
    files = project_files(prod=prod_with("check_origin: false"), endpoint=endpoint)
    assert run(tmp_path, files, "FLY207") == []


def test_fly207_longpoll_and_dev_socket(tmp_path):
    endpoint = """defmodule DemoWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :demo

  socket "/live", Phoenix.LiveView.Socket, longpoll: [check_origin: false]

  if code_reloading? do
    socket "/phoenix/live_reload/socket", Phoenix.LiveReloader.Socket, websocket: [check_origin: false]
  end
end
"""
    [f] = run(tmp_path, project_files(endpoint=endpoint), "FLY207")
    assert f.location.line == 4 and "longpoll" in f.message


# -- FLY209 ---------------------------------------------------------------------------------------


def endpoint_parsers(parsers: str, before: str = "") -> str:
    return f"""defmodule DemoWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :demo
{before}
  plug Plug.Parsers,
    {parsers},
    json_decoder: Phoenix.json_library()

  plug DemoWeb.Router
end
"""


@pytest.mark.parametrize(
    ("length", "fires"),
    [("1_073_741_824", False), ("1_073_741_825", True), ("1024 * 1024 * 1024 + 1", True)],
)
def test_fly209_one_gib_boundary(tmp_path, length, fires):
    endpoint = endpoint_parsers(f"parsers: [:urlencoded, {{:multipart, length: {length}}}, :json]")
    assert bool(run(tmp_path, project_files(endpoint=endpoint), "FLY209")) is fires


@pytest.mark.parametrize("length", [":infinity", "1.5e9", '"10GB"', "nil"])
def test_fly209_non_integer_bound(tmp_path, length):
    endpoint = endpoint_parsers(f"parsers: [:multipart], length: {length}")
    [f] = run(tmp_path, project_files(endpoint=endpoint), "FLY209")
    assert "not an integer" in f.message and f.severity in (None, "warning")


def test_fly209_env_default_not_in_fly_env_is_info(tmp_path):
    length = 'String.to_integer(System.get_env("MAX_BYTES") || "5000000000")'
    endpoint = endpoint_parsers(f"parsers: [{{:multipart, length: {length}}}]")
    [f] = run(tmp_path, project_files(endpoint=endpoint), "FLY209")
    assert f.severity == "info" and "MAX_BYTES" in f.message


@pytest.mark.parametrize(
    "length",
    [
        'String.to_integer(System.fetch_env!("MAX_BYTES"))',
        "Application.get_env(:demo, :max_upload)",
        'String.to_integer(System.get_env("MAX_BYTES") || "8000000")',
    ],
)
def test_fly209_undecidable_or_small_is_silent(tmp_path, length):
    endpoint = endpoint_parsers(f"parsers: [{{:multipart, length: {length}}}]")
    assert run(tmp_path, project_files(endpoint=endpoint), "FLY209") == []


def test_fly209_parsers_in_a_router_pipeline(tmp_path):
    extra = (
        "\n  pipeline :uploads do\n"
        "    plug Plug.Parsers, parsers: [:multipart], length: 20_000_000_000\n  end\n"
    )
    router = router_with(STOCK_BROWSER, extra=extra, scope_pipes="[:browser, :uploads]")
    [f] = run(tmp_path, project_files(router=router), "FLY209")
    assert f.path == "lib/demo_web/router.ex" and "18.6 GiB" in f.message


# -- FLY210 ---------------------------------------------------------------------------------------

AUTH_ROUTER = """defmodule DemoWeb.Router do
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
    live "/users/reset_password", UserForgotPasswordLive, :new
  end
end
"""


def test_fly210_password_reset_by_path_and_name(tmp_path):
    [f] = run(tmp_path, project_files(router=AUTH_ROUTER), "FLY210")
    assert f.location.line == 14 and "password reset route" in f.message
    assert [(r.path, r.line) for r in f.related] == [("fly.toml", 3)]


def test_fly210_route_recognised_by_name_only(tmp_path):
    router = AUTH_ROUTER.replace(
        '"/users/reset_password", UserForgotPasswordLive', '"/start", UserLive.Login'
    )
    [f] = run(tmp_path, project_files(router=router), "FLY210")
    assert "login route" in f.message


def test_fly210_logout_and_downloads_do_not_count(tmp_path):
    router = AUTH_ROUTER.replace(
        '    live "/users/reset_password", UserForgotPasswordLive, :new\n',
        '    delete "/users/log_out", UserSessionController, :delete\n'
        '    get "/users/log_out", UserSessionController, :delete\n'
        '    get "/uploads/:id", FileController, :show\n',
    )
    assert run(tmp_path, project_files(router=router), "FLY210") == []


def test_fly210_dev_routes_do_not_count(tmp_path):
    router = AUTH_ROUTER.replace(
        '    live "/users/reset_password", UserForgotPasswordLive, :new\n  end\n',
        "  end\n\n  if Application.compile_env(:demo, :dev_routes) do\n"
        '    scope "/dev" do\n      post "/upload_fixture", DemoWeb.DevController, :upload\n'
        "    end\n",
    )
    assert run(tmp_path, project_files(router=router), "FLY210") == []


@pytest.mark.parametrize(
    "change",
    [
        {"mix": mix_exs('{:phoenix, "~> 1.8.1"}, {:plug_attack, "~> 0.4"}')},
        {"locked": {"ex_rated": "2.1.0"}},
        {"router": AUTH_ROUTER.replace("plug :fetch_session", "plug DemoWeb.Plugs.Throttle")},
    ],
)
def test_fly210_rate_limiting_present(tmp_path, change):
    files = project_files(**{"router": AUTH_ROUTER, **change})
    assert run(tmp_path, files, "FLY210") == []


def test_fly210_names_the_app_namespace_out(tmp_path):
    """UploadPortalWeb.PageController is not an upload route because of the app's name."""
    router = ROUTER.replace("DemoWeb", "UploadPortalWeb")
    endpoint = ENDPOINT.replace("DemoWeb", "UploadPortalWeb")
    files = project_files(router=router, endpoint=endpoint)
    assert run(tmp_path, files, "FLY210") == []
