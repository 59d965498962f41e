"""FLY307, FLY309, FLY310, FLY317-FLY320 on whole small projects: ports across fly.toml, the
Dockerfile and runtime.exs, proxies in the image, umbrellas, and precision on env references."""

from __future__ import annotations

import shutil

import pytest
from conftest import FIXTURES, write_project

from flylint.discover import discover
from flylint.engine import Selection, lint

MIX = """defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [app: :demo, version: "0.1.0", deps: [{:phoenix, "~> 1.8.1"}, {:dns_cluster, "~> 0.2"}]]
  end
end
"""

RUNTIME = """import Config

if System.get_env("PHX_SERVER") do
  config :demo, DemoWeb.Endpoint, server: true
end

config :demo, DemoWeb.Endpoint,
  http: [port: String.to_integer(System.get_env("PORT", "4000"))]

if config_env() == :prod do
  host = System.get_env("PHX_HOST") || "example.com"

  config :demo, DemoWeb.Endpoint,
    url: [host: host, port: 443, scheme: "https"],
    http: [ip: {0, 0, 0, 0, 0, 0, 0, 0}]
end
"""
PORT_DEFAULT_LINE = 8  # the `System.get_env("PORT", "4000")` line above

ENDPOINT = """defmodule DemoWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :demo

  plug DemoWeb.Router
end
"""

DOCKERFILE = """FROM debian:bookworm-20250407-slim
WORKDIR /app
COPY _build/prod/rel/demo ./
CMD ["/app/bin/server"]
"""

FLY = """app = "demo"

[env]
  PHX_HOST = "demo.fly.dev"
  PORT = "8080"

[http_service]
  internal_port = 8080
  force_https = true
"""


def base(**overrides: str | None) -> dict[str, str]:
    files = {
        "fly.toml": FLY,
        "mix.exs": MIX,
        "config/config.exs": "import Config\n",
        "config/runtime.exs": RUNTIME,
        "lib/demo_web/endpoint.ex": ENDPOINT,
        "Dockerfile": DOCKERFILE,
    }
    for name, content in overrides.items():
        path = name.replace("__", "/").replace("_DOT_", ".")
        if content is None:
            files.pop(path, None)
        else:
            files[path] = content
    return files


def run(tmp_path, files: dict[str, str], rule: str):
    root = write_project(tmp_path / "p", files)
    found = []
    for project in discover([str(root)]):
        found += [f for f in lint(project, Selection(select=(rule,))) if f.rule == rule]
    return found


def lines(findings) -> list[str]:
    return sorted(f"{f.path}:{f.location.line}" for f in findings)


FLY_NO_PORT = FLY.replace('  PORT = "8080"\n', "")


# -- FLY307 ---------------------------------------------------------------------------------------


def test_fly307_runtime_default_names_the_value_and_relates_it(tmp_path):
    [f] = run(tmp_path, base(fly_DOT_toml=FLY_NO_PORT), "FLY307")
    assert (f.path, f.location.line) == ("fly.toml", 7)
    assert f.message.startswith(
        f"internal_port 8080 but the app listens on 4000 (default of PORT in "
        f"config/runtime.exs:{PORT_DEFAULT_LINE})"
    )
    assert [(r.path, r.line) for r in f.related] == [("config/runtime.exs", PORT_DEFAULT_LINE)]
    assert f.severity == "error"
    assert 'PORT = "8080"' in f.fix
    assert f.docs  # catalogue URLs attached


def test_fly307_env_port_matching_is_clean(tmp_path):
    assert run(tmp_path, base(), "FLY307") == []


def test_fly307_env_wins_over_dockerfile_env(tmp_path):
    docker = DOCKERFILE.replace("WORKDIR /app\n", "WORKDIR /app\nENV PORT=4000\n")
    assert run(tmp_path, base(Dockerfile=docker), "FLY307") == []
    [f] = run(tmp_path, base(Dockerfile=docker, fly_DOT_toml=FLY_NO_PORT), "FLY307")
    assert "ENV PORT=4000 in Dockerfile:3" in f.message
    assert f.related[0].path == "Dockerfile"


def test_fly307_env_sh_export_wins_and_expansions_are_unknown(tmp_path):
    script = "#!/bin/sh\nexport PORT=4000\n"
    [f] = run(tmp_path, base(rel__env_DOT_sh_DOT_eex=script), "FLY307")
    assert "export PORT=4000 in rel/env.sh.eex:2" in f.message
    expanded = '#!/bin/sh\nexport PORT="${PORT:-4000}"\n'
    assert run(tmp_path, base(rel__env_DOT_sh_DOT_eex=expanded), "FLY307") == []


def test_fly307_silent_on_env_refs_it_cannot_resolve(tmp_path):
    runtime = RUNTIME.replace(
        'String.to_integer(System.get_env("PORT", "4000"))',
        'String.to_integer(System.fetch_env!("PORT"))',
    )
    assert (
        run(tmp_path, base(fly_DOT_toml=FLY_NO_PORT, config__runtime_DOT_exs=runtime), "FLY307")
        == []
    )
    computed = RUNTIME.replace(
        'String.to_integer(System.get_env("PORT", "4000"))', "Demo.Config.port()"
    )
    files = base(fly_DOT_toml=FLY_NO_PORT, config__runtime_DOT_exs=computed)
    assert run(tmp_path, files, "FLY307") == []


def test_fly307_silent_for_a_prebuilt_image_that_may_set_port(tmp_path):
    fly = FLY_NO_PORT.replace(
        'app = "demo"\n', 'app = "demo"\n\n[build]\n  image = "ghcr.io/acme/demo:1"\n'
    )
    assert run(tmp_path, base(fly_DOT_toml=fly, Dockerfile=None), "FLY307") == []


def test_fly307_undecidable_condition_is_silent(tmp_path):
    runtime = RUNTIME.replace(
        "config :demo, DemoWeb.Endpoint,\n  http: [port:",
        'if System.get_env("LISTEN") do\nconfig :demo, DemoWeb.Endpoint,\n  http: [port:',
    ).replace('"4000"))]\n', '"4000"))]\nend\n', 1)
    assert (
        run(tmp_path, base(fly_DOT_toml=FLY_NO_PORT, config__runtime_DOT_exs=runtime), "FLY307")
        == []
    )


def test_fly307_literal_port_and_legacy_system_tuple(tmp_path):
    literal = RUNTIME.replace('String.to_integer(System.get_env("PORT", "4000"))', "4000")
    [f] = run(tmp_path, base(config__runtime_DOT_exs=literal), "FLY307")
    assert "listens on 4000 (http: [port: 4000] in config/runtime.exs:8)" in f.message
    legacy = RUNTIME.replace(
        'String.to_integer(System.get_env("PORT", "4000"))', '{:system, "HTTP_PORT"}'
    )
    fly = FLY.replace('PORT = "8080"', 'HTTP_PORT = "4000"')
    [f] = run(tmp_path, base(config__runtime_DOT_exs=legacy, fly_DOT_toml=fly), "FLY307")
    assert '[env] HTTP_PORT = "4000"' in f.message


LITEFS = """fuse:
  dir: "/litefs"
proxy:
  addr: ":8080"
  target: "localhost:{target}"
  db: "demo.db"
"""
LITEFS_DOCKER = """FROM debian:bookworm-20250407-slim
COPY --from=flyio/litefs:0.5 /usr/local/bin/litefs /usr/local/bin/litefs
COPY config/litefs.yml /etc/litefs.yml
WORKDIR /app
COPY _build/prod/rel/demo ./
ENTRYPOINT ["litefs", "mount"]
"""


def test_fly307_litefs_proxy_exception(tmp_path):
    fly = FLY.replace('PORT = "8080"', 'PORT = "8081"')
    files = base(
        fly_DOT_toml=fly,
        config__litefs_DOT_yml=LITEFS.format(target=8081),
        Dockerfile=LITEFS_DOCKER,
    )
    assert run(tmp_path, files, "FLY307") == []


def test_fly307_litefs_proxy_forwarding_to_the_wrong_port(tmp_path):
    files = base(
        fly_DOT_toml=FLY_NO_PORT,
        config__litefs_DOT_yml=LITEFS.format(target=8081),
        Dockerfile=LITEFS_DOCKER,
    )
    [f] = run(tmp_path, files, "FLY307")
    assert "LiteFS proxy, which forwards to port 8081, but the app listens on 4000" in f.message
    assert f.related[0].path == "config/litefs.yml"
    assert f.related[0].line == 5


def test_fly307_other_sidecar_makes_it_silent(tmp_path):
    docker = DOCKERFILE.replace("WORKDIR", "RUN apt-get install -y caddy\nWORKDIR")
    assert run(tmp_path, base(fly_DOT_toml=FLY_NO_PORT, Dockerfile=docker), "FLY307") == []


def test_fly307_worker_group_service_not_judged(tmp_path):
    fly = """app = "demo"

[processes]
  app = "/app/bin/server"
  jobs = "/app/bin/demo eval Demo.Jobs.run"

[env]
  PORT = "8080"

[http_service]
  internal_port = 8080
  processes = ["app"]

[[services]]
  internal_port = 9000
  protocol = "tcp"
  processes = ["jobs"]
  [[services.ports]]
    port = 9000
    handlers = ["http"]
"""
    assert run(tmp_path, base(fly_DOT_toml=fly), "FLY307") == []


def _umbrella(tmp_path, fly_text: str | None = None):
    root = tmp_path / "umbrella"
    shutil.copytree(FIXTURES / "umbrella", root)
    (root / "README.md").unlink()
    if fly_text is not None:
        (root / "fly.toml").write_text(fly_text)
    return root


def _lint_dir(root, rule):
    found = []
    for project in discover([str(root)]):
        found += [f for f in lint(project, Selection(select=(rule,))) if f.rule == rule]
    return found


def test_fly307_umbrella_endpoint_in_child_app(tmp_path):
    root = _umbrella(tmp_path)
    assert _lint_dir(root, "FLY307") == []  # [env] PORT matches
    text = (root / "fly.toml").read_text()
    root2 = _umbrella(tmp_path / "b", text.replace("PORT = '8080'", "PORT = '4000'"))
    [f] = _lint_dir(root2, "FLY307")
    assert "internal_port 8080 but the app listens on 4000" in f.message
    assert f.related[0].path == "fly.toml"


def test_fly307_umbrella_second_endpoint_port_counts(tmp_path):
    files = {
        "fly.toml": """app = "acme"

[env]
  PORT = "4000"

[http_service]
  internal_port = 4000

[[services]]
  internal_port = 4001
  protocol = "tcp"
  [[services.ports]]
    port = 8443
    handlers = ["tls", "http"]
""",
        "mix.exs": """defmodule Acme.Umbrella.MixProject do
  use Mix.Project

  def project do
    [apps_path: "apps", version: "0.1.0", releases: [acme: [applications: [web: :permanent, admin: :permanent]]]]
  end
end
""",
        "apps/web/mix.exs": "defmodule Web.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :web]\n  end\nend\n",
        "apps/admin/mix.exs": "defmodule Admin.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :admin]\n  end\nend\n",
        "apps/web/lib/web/endpoint.ex": "defmodule Web.Endpoint do\n  use Phoenix.Endpoint, otp_app: :web\nend\n",
        "apps/admin/lib/admin/endpoint.ex": "defmodule Admin.Endpoint do\n  use Phoenix.Endpoint, otp_app: :admin\nend\n",
        "config/config.exs": "import Config\n",
        "config/runtime.exs": """import Config

config :web, Web.Endpoint, http: [port: String.to_integer(System.get_env("PORT") || "4000")]
config :admin, Admin.Endpoint, http: [port: 4001]
""",
        "Dockerfile": DOCKERFILE.replace("demo", "acme"),
    }
    assert run(tmp_path, files, "FLY307") == []
    files["fly.toml"] = files["fly.toml"].replace("internal_port = 4001", "internal_port = 4002")
    [f] = run(tmp_path / "x", files, "FLY307")
    assert f.location.line == 10


# -- FLY309 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip", ["{127, 0, 0, 1}", "{127, 0, 1, 1}", "{0, 0, 0, 0, 0, 0, 0, 1}", ":loopback"]
)
def test_fly309_loopback_forms(tmp_path, ip):
    runtime = RUNTIME.replace("{0, 0, 0, 0, 0, 0, 0, 0}", ip)
    [f] = run(tmp_path, base(config__runtime_DOT_exs=runtime), "FLY309")
    assert (f.path, f.location.line) == ("config/runtime.exs", 15)
    assert f.related[0].path == "fly.toml"


@pytest.mark.parametrize(
    "ip", ["{0, 0, 0, 0}", "{0, 0, 0, 0, 0, 0, 0, 0}", 'System.get_env("BIND") || {127, 0, 0, 1}']
)
def test_fly309_clean_or_undecidable(tmp_path, ip):
    runtime = RUNTIME.replace("{0, 0, 0, 0, 0, 0, 0, 0}", ip)
    assert run(tmp_path, base(config__runtime_DOT_exs=runtime), "FLY309") == []


def test_fly309_silent_without_a_service(tmp_path):
    runtime = RUNTIME.replace("{0, 0, 0, 0, 0, 0, 0, 0}", "{127, 0, 0, 1}")
    fly = 'app = "demo"\n'
    assert run(tmp_path, base(config__runtime_DOT_exs=runtime, fly_DOT_toml=fly), "FLY309") == []


# -- FLY310 ---------------------------------------------------------------------------------------

START_DOCKER = DOCKERFILE.replace('CMD ["/app/bin/server"]', 'CMD ["/app/bin/demo", "start"]')


def test_fly310_fires_and_relates_the_gated_server_line(tmp_path):
    [f] = run(tmp_path, base(Dockerfile=START_DOCKER), "FLY310")
    assert (f.path, f.location.line) == ("Dockerfile", 4)
    assert [(r.path, r.line) for r in f.related] == [("config/runtime.exs", 4)]
    assert "/app/bin/demo start" in f.message


@pytest.mark.parametrize(
    "override",
    [
        {"Dockerfile": START_DOCKER.replace("WORKDIR", "ENV PHX_SERVER=true\nWORKDIR")},
        {"rel/env.sh.eex": "#!/bin/sh\nexport PHX_SERVER=true\n"},
        {
            "Dockerfile": DOCKERFILE.replace(
                'CMD ["/app/bin/server"]',
                'CMD ["/bin/sh", "-c", "PHX_SERVER=true exec /app/bin/demo start"]',
            )
        },
        {"config/config.exs": "import Config\nconfig :phoenix, :serve_endpoints, true\n"},
        {"Dockerfile": DOCKERFILE.replace('CMD ["/app/bin/server"]', "CMD /app/entry start")},
    ],
)
def test_fly310_clean_variants(tmp_path, override):
    files = base(Dockerfile=START_DOCKER)
    files.update(override)
    assert run(tmp_path, files, "FLY310") == []


def test_fly310_undecidable_server_condition_is_silent(tmp_path):
    runtime = RUNTIME.replace('if System.get_env("PHX_SERVER") do', "if Demo.Boot.serve?() do")
    files = base(Dockerfile=START_DOCKER, config__runtime_DOT_exs=runtime)
    assert run(tmp_path, files, "FLY310") == []


# -- FLY317 ---------------------------------------------------------------------------------------

INTERNAL_REPO = (
    RUNTIME
    + """
config :demo, ecto_repos: [Demo.Repo]
config :demo, Demo.Repo, url: "ecto://demo@demo-db.flycast:5432/demo"
"""
)


def test_fly317_database_on_flycast(tmp_path):
    [f] = run(tmp_path, base(config__runtime_DOT_exs=INTERNAL_REPO), "FLY317")
    assert (f.path, f.location.line) == ("config/runtime.exs", 19)
    assert "demo-db.flycast" in f.message


@pytest.mark.parametrize(
    "override",
    [
        {"Dockerfile": DOCKERFILE.replace("WORKDIR", "ENV ECTO_IPV6=true\nWORKDIR")},
        {
            "config/runtime.exs": INTERNAL_REPO.replace(
                '5432/demo"', '5432/demo", socket_options: [:inet6]'
            )
        },
    ],
)
def test_fly317_database_satisfied(tmp_path, override):
    files = base(config__runtime_DOT_exs=INTERNAL_REPO)
    files.update(override)
    assert run(tmp_path, files, "FLY317") == []


def test_fly317_cluster_query_needs_inet6_distribution(tmp_path):
    runtime = RUNTIME + 'config :demo, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")\n'
    fly = FLY.replace('PORT = "8080"', 'PORT = "8080"\n  DNS_CLUSTER_QUERY = "demo.internal"')
    [f] = run(tmp_path, base(config__runtime_DOT_exs=runtime, fly_DOT_toml=fly), "FLY317")
    assert f.path == "fly.toml"
    vm_args = "-proto_dist inet6_tcp\n"
    files = base(
        config__runtime_DOT_exs=runtime, fly_DOT_toml=fly, rel__vm_DOT_args_DOT_eex=vm_args
    )
    assert run(tmp_path / "b", files, "FLY317") == []


def test_fly317_libcluster_dns_strategy(tmp_path):
    config = """import Config

config :libcluster,
  topologies: [
    fly6pn: [
      strategy: Cluster.Strategy.DNSPoll,
      config: [polling_interval: 5_000, query: "demo.internal", node_basename: "demo"]
    ]
  ]
"""
    [f] = run(tmp_path, base(config__config_DOT_exs=config), "FLY317")
    assert (f.path, f.location.line) == ("config/config.exs", 6)


def test_fly317_dns_cluster_query_unused_is_silent(tmp_path):
    mix = MIX.replace(', {:dns_cluster, "~> 0.2"}', "")
    fly = FLY.replace('PORT = "8080"', 'PORT = "8080"\n  DNS_CLUSTER_QUERY = "demo.internal"')
    assert run(tmp_path, base(mix_DOT_exs=mix, fly_DOT_toml=fly), "FLY317") == []


# -- FLY318 / FLY319 ------------------------------------------------------------------------------


def test_fly318_code_reloader_in_config_exs(tmp_path):
    config = "import Config\n\nconfig :demo, DemoWeb.Endpoint, code_reloader: true\n"
    [f] = run(tmp_path, base(config__config_DOT_exs=config), "FLY318")
    assert (f.path, f.location.line, f.severity) == ("config/config.exs", 3, "error")


def test_fly318_undecidable_condition_is_info_with_the_reason(tmp_path):
    config = (
        'import Config\n\nif System.get_env("DEBUG") do\n'
        "  config :demo, DemoWeb.Endpoint, debug_errors: true\nend\n"
    )
    [f] = run(tmp_path, base(config__config_DOT_exs=config), "FLY318")
    assert f.severity == "info"
    assert 'System.get_env("DEBUG")' in f.message


def test_fly318_env_reference_is_silent(tmp_path):
    config = 'import Config\n\nconfig :demo, DemoWeb.Endpoint, debug_errors: System.get_env("DBG") == "1"\n'
    assert run(tmp_path, base(config__config_DOT_exs=config), "FLY318") == []


def test_fly318_silent_when_a_config_file_does_not_parse(tmp_path):
    config = "import Config\n\nconfig :demo, DemoWeb.Endpoint, debug_errors: true\n\nif true do\n"
    assert run(tmp_path, base(config__config_DOT_exs=config), "FLY318") == []


def test_fly319_runtime_overrides_compile_time(tmp_path):
    config = "import Config\n\nconfig :logger, level: :debug\n"
    assert lines(run(tmp_path, base(config__config_DOT_exs=config), "FLY319")) == [
        "config/config.exs:3"
    ]
    runtime = RUNTIME + "config :logger, level: :info\n"
    files = base(config__config_DOT_exs=config, config__runtime_DOT_exs=runtime)
    assert run(tmp_path / "b", files, "FLY319") == []


# -- FLY320 ---------------------------------------------------------------------------------------

FLY_NO_HOST = FLY.replace('  PHX_HOST = "demo.fly.dev"\n', "")


def test_fly320_points_at_the_fallback(tmp_path):
    [f] = run(tmp_path, base(fly_DOT_toml=FLY_NO_HOST), "FLY320")
    assert (f.path, f.location.line, f.location.column) == ("config/runtime.exs", 11, 40)
    assert f.related[0].path == "fly.toml"


def test_fly320_host_from_dockerfile_env_or_other_name(tmp_path):
    docker = DOCKERFILE.replace("WORKDIR", "ENV PHX_HOST=demo.example.net\nWORKDIR")
    assert run(tmp_path, base(fly_DOT_toml=FLY_NO_HOST, Dockerfile=docker), "FLY320") == []
    runtime = RUNTIME.replace('"PHX_HOST"', '"APP_HOST"')
    [f] = run(tmp_path / "b", base(config__runtime_DOT_exs=runtime), "FLY320")
    assert "APP_HOST" in f.message


def test_fly320_secret_host_without_fallback_is_silent(tmp_path):
    runtime = RUNTIME.replace(
        'System.get_env("PHX_HOST") || "example.com"', 'System.fetch_env!("PHX_HOST")'
    )
    files = base(fly_DOT_toml=FLY_NO_HOST, config__runtime_DOT_exs=runtime)
    assert run(tmp_path, files, "FLY320") == []


def test_fly320_silent_when_fly_config_unreadable(tmp_path):
    files = base(fly_DOT_toml="app = 'demo\n")
    assert run(tmp_path, files, "FLY320") == []


def test_sidecar_app_in_a_subdirectory_is_not_the_phoenix_app(tmp_path):
    """A fly.toml under tools/grafana/ builds its own Dockerfile: the mix project above its build
    context is not what it deploys, so Phoenix rules stay silent for it."""
    files = base()
    files["tools/grafana/fly.toml"] = (
        'app = "demo-grafana"\n\n[http_service]\n  internal_port = 3000\n'
    )
    files["tools/grafana/Dockerfile"] = "FROM grafana/grafana:11.1.0\n"
    for rule in ("FLY307", "FLY320", "FLY316"):
        assert all(f.path != "tools/grafana/fly.toml" for f in run(tmp_path / rule, files, rule))
    assert run(tmp_path / "again", files, "FLY307") == []
