"""FLY501-FLY505: database TLS of Ecto Repos, on whole small projects run through the engine."""

from __future__ import annotations

import textwrap

import pytest
from conftest import FIXTURES, write_project

from flylint.checks import database
from flylint.discover import discover
from flylint.engine import Selection, lint

DB_RULES = ("FLY501", "FLY502", "FLY503", "FLY504", "FLY505")

MIX = """\
defmodule Demo.MixProject do
  use Mix.Project

  def project do
    [app: :demo, version: "0.1.0", deps: deps()]
  end

  defp deps do
    [{:ecto_sql, "~> 3.12"}, {:postgrex, ">= 0.0.0"}]
  end
end
"""
FLY = 'app = "demo"\n\n[http_service]\n  internal_port = 8080\n  force_https = true\n'


def lock(postgrex: str) -> str:
    return (
        "%{\n"
        f'  "postgrex": {{:hex, :postgrex, "{postgrex}", "00", [:mix], [], "hexpm", "11"}},\n'
        "}\n"
    )


def project_files(repo: str, postgrex: str | None = "0.20.0", env: str = "", **extra) -> dict:
    """A Phoenix-shaped project whose runtime.exs prod block holds `repo` (line 4 = first line)."""
    runtime = "import Config\n\nif config_env() == :prod do\n"
    runtime += textwrap.indent(textwrap.dedent(repo), "  ") + "end\n"
    files = {
        "fly.toml": FLY + (f"\n[env]\n{env}" if env else ""),
        "mix.exs": MIX,
        "config/config.exs": "import Config\n\nconfig :demo, ecto_repos: [Demo.Repo]\n",
        "config/runtime.exs": runtime,
    }
    if postgrex is not None:
        files["mix.lock"] = lock(postgrex)
    files.update(extra)
    return files


def run(tmp_path, files, rules=DB_RULES):
    root = write_project(tmp_path / "p", files)
    out = []
    for project in discover([str(root)]):
        out.extend(f for f in lint(project, Selection(select=tuple(rules))) if f.rule in rules)
    return out


def brief(findings):
    return sorted(f"{f.rule} {f.path}:{f.location.line} {f.severity}" for f in findings)


URL = 'url: System.fetch_env!("DATABASE_URL"),\n'


# -- FLY501 ---------------------------------------------------------------------------------------


def test_fly501_verify_none_points_at_the_config_call(tmp_path):
    files = project_files("config :demo, Demo.Repo,\n  " + URL + "  ssl: [verify: :verify_none]\n")
    found = run(tmp_path, files)
    assert brief(found) == ["FLY501 config/runtime.exs:4 error"]
    [f] = found
    assert f.location.column == 3 and f.location.end_line == 4
    assert "Demo.Repo sets ssl: [verify: :verify_none]" in f.message
    assert [(r.path, r.line) for r in f.related] == [("config/runtime.exs", 6)]
    assert f.docs  # from the catalogue


def test_fly501_in_ssl_opts_and_fly502_is_superseded(tmp_path):
    files = project_files(
        "config :demo, Demo.Repo,\n  " + URL + "  ssl: true,\n  ssl_opts: [verify: :verify_none]\n",
        postgrex="0.22.0",
    )
    assert brief(run(tmp_path, files)) == ["FLY501 config/runtime.exs:4 error"]


def test_fly501_under_undecidable_condition_is_info(tmp_path):
    repo = (
        "config :demo, Demo.Repo, " + URL.rstrip(",\n") + "\n"
        'if System.get_env("DB_INSECURE") do\n'
        "  config :demo, Demo.Repo, ssl: [verify: :verify_none]\n"
        "end\n"
    )
    [f] = run(tmp_path, project_files(repo), ("FLY501",))
    assert f.severity == "info" and f.location.line == 6
    assert 'System.get_env("DB_INSECURE")' in f.message and "cannot decide" in f.message


def test_fly501_private_host_fix_suggests_dropping_ssl(tmp_path):
    repo = (
        "config :demo, Demo.Repo,\n"
        '  url: "ecto://demo@demo-db.internal:5432/demo",\n'
        "  ssl: [verify: :verify_none]\n"
    )
    [f] = run(tmp_path, project_files(repo), ("FLY501",))
    assert f.severity == "error" and "demo-db.internal" in f.fix


def test_fly501_secret_ssl_options_are_not_echoed(tmp_path):
    repo = (
        "config :demo, Demo.Repo,\n  "
        + URL
        + '  ssl: [verify: :verify_none, password: "hunter2hunter2"]\n'
    )
    [f] = run(tmp_path, project_files(repo), ("FLY501",))
    assert "hunter2" not in f.message and "password: …" in f.message


# -- FLY502 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postgrex", "expected"),
    [
        ("0.16.5", ["FLY502 config/runtime.exs:4 warning"]),
        ("0.17.5", ["FLY502 config/runtime.exs:4 warning"]),
        ("0.18.0", ["FLY502 config/runtime.exs:4 warning"]),
        ("0.20.0", ["FLY502 config/runtime.exs:4 warning"]),
        ("0.21.0", []),
        ("0.21.1", []),
        ("0.22.0", []),
        ("1.0.0-rc.1", []),
        (None, ["FLY502 config/runtime.exs:4 warning"]),
    ],
)
def test_fly502_ssl_true_by_postgrex_version(tmp_path, postgrex, expected):
    files = project_files("config :demo, Demo.Repo,\n  " + URL + "  ssl: true\n", postgrex=postgrex)
    found = run(tmp_path, files)
    assert brief(found) == expected
    if found:
        if postgrex:
            assert f"Postgrex {postgrex} (mix.lock)" in found[0].message
        else:
            assert "unknown version" in found[0].message and "assumed older" in found[0].message


def test_fly502_url_ssl_true_on_old_postgrex(tmp_path):
    repo = 'config :demo, Demo.Repo,\n  url: "ecto://demo@db.example.com/demo?ssl=true"\n'
    [f] = run(tmp_path, project_files(repo, postgrex="0.19.0"))
    assert f.rule == "FLY502" and "the URL's ssl=true" in f.message


@pytest.mark.parametrize(
    ("ssl", "postgrex", "fires"),
    [
        ('[server_name_indication: ~c"db.example.com"]', "0.21.1", True),
        ("[verify: :verify_peer]", "0.20.0", True),
        ("[]", "0.22.0", True),
        ("[cacerts: :public_key.cacerts_get()]", "0.20.0", False),
        ('[cacertfile: "/etc/ssl/certs/ca-certificates.crt"]', "0.18.0", False),
        ("[cacerts: :public_key.cacerts_get()]", None, False),
        # before 0.18 an ssl: list is only a truthy flag; its options are not read
        ("[cacerts: :public_key.cacerts_get()]", "0.17.5", True),
        ("AwsRdsCAStore.ssl_opts(database_url)", "0.20.0", False),  # computed: cannot tell
    ],
)
def test_fly502_keyword_lists(tmp_path, ssl, postgrex, fires):
    files = project_files(
        "config :demo, Demo.Repo,\n  " + URL + f"  ssl: {ssl}\n", postgrex=postgrex
    )
    found = run(tmp_path, files)
    assert [f.rule for f in found] == (["FLY502"] if fires else [])
    if fires:
        assert found[0].location.line == 4


@pytest.mark.parametrize(
    ("opts", "postgrex", "fires"),
    [
        # deprecated from 0.18 on, and replaces the secure defaults
        ("[verify: :verify_peer, cacerts: :public_key.cacerts_get()]", "0.22.0", True),
        ('[cacertfile: "/etc/ssl/cert.pem"]', "0.18.1", True),
        # the documented way before 0.18: fine when it verifies
        ("[verify: :verify_peer, cacerts: :public_key.cacerts_get()]", "0.17.5", False),
        ("[verify: :verify_peer, cacerts: :public_key.cacerts_get()]", None, False),
        ('[cacertfile: "/etc/ssl/cert.pem"]', "0.16.5", True),
    ],
)
def test_fly502_ssl_opts(tmp_path, opts, postgrex, fires):
    repo = "config :demo, Demo.Repo,\n  " + URL + f"  ssl: true,\n  ssl_opts: {opts}\n"
    found = run(tmp_path, project_files(repo, postgrex=postgrex))
    assert [f.rule for f in found] == (["FLY502"] if fires else [])
    if fires and postgrex >= "0.18":
        assert "deprecated since Postgrex 0.18" in found[0].message


def test_fly502_points_at_the_call_that_sets_ssl(tmp_path):
    files = project_files(
        "config :demo, Demo.Repo, " + URL.rstrip(",\n") + "\n",
        **{
            "config/prod.exs": "import Config\n\nconfig :demo, Demo.Repo,\n  ssl: true\n",
            "config/config.exs": "import Config\n\nconfig :demo, ecto_repos: [Demo.Repo]\n\n"
            'import_config "#{config_env()}.exs"\n',
        },
    )
    [f] = run(tmp_path, files)
    assert (f.rule, f.path, f.location.line) == ("FLY502", "config/prod.exs", 3)


def test_fly502_silent_when_tls_is_off(tmp_path):
    repo = "config :demo, Demo.Repo,\n  " + URL + '  ssl: false,\n  ssl_opts: [cacertfile: "x"]\n'
    assert [f.rule for f in run(tmp_path, project_files(repo))] == ["FLY503"]


# -- FLY503 ---------------------------------------------------------------------------------------

RDS = "demo.cluster-abc.eu-west-1.rds.amazonaws.com"


def test_fly503_literal_public_host_warns_with_related_host(tmp_path):
    repo = f'config :demo, Demo.Repo,\n  hostname: "{RDS}",\n  database: "demo"\n'
    [f] = run(tmp_path, project_files(repo))
    assert (f.rule, f.location.line, f.severity) == ("FLY503", 4, "warning")
    assert RDS in f.message and "no ssl option" in f.message
    assert [(r.path, r.line, r.label) for r in f.related] == [
        ("config/runtime.exs", 5, "database host")
    ]


def test_fly503_database_url_in_fly_env(tmp_path):
    files = project_files(
        "config :demo, Demo.Repo,\n  " + URL.rstrip(",\n") + "\n",
        env='  DATABASE_URL = "postgres://demo@db.neon.example.com/demo"\n',
    )
    [f] = run(tmp_path, files)
    assert (f.rule, f.path, f.location.line, f.severity) == (
        "FLY503",
        "config/runtime.exs",
        4,
        "warning",
    )
    assert "fly.toml [env] DATABASE_URL" in f.message
    assert [(r.path, r.line) for r in f.related] == [("fly.toml", 8)]


def test_fly503_secret_url_is_info_with_reason(tmp_path):
    [f] = run(tmp_path, project_files("config :demo, Demo.Repo,\n  " + URL + "  pool_size: 10\n"))
    assert (f.rule, f.severity) == ("FLY503", "info")
    assert "DATABASE_URL secret" in f.message


def test_fly503_dev_fallback_url_is_not_the_prod_host(tmp_path):
    repo = (
        "config :demo, Demo.Repo,\n"
        '  url: System.get_env("DATABASE_URL") || "ecto://postgres:postgres@db.example.com/demo"\n'
    )
    [f] = run(tmp_path, project_files(repo))
    assert f.severity == "info" and "db.example.com" not in f.message


@pytest.mark.parametrize(
    "host",
    [
        "demo-db.internal",
        "top2.nearest.of.demo-db.internal",
        "demo-db.flycast",
        "pgbouncer.q8m3zt5vw1k0.flympg.net",
        "[fdaa:0:1234:a7b:1f::2]",
        "localhost",
        "127.0.0.1",
    ],
)
def test_fly503_private_and_local_hosts_are_silent(tmp_path, host):
    repo = f'config :demo, Demo.Repo,\n  url: "ecto://demo@{host}:5432/demo?sslmode=disable"\n'
    assert run(tmp_path, project_files(repo)) == []


def test_fly503_ssl_false_in_url(tmp_path):
    repo = 'config :demo, Demo.Repo,\n  url: "ecto://demo@db.example.com/demo?ssl=false"\n'
    [f] = run(tmp_path, project_files(repo))
    assert f.rule == "FLY503" and "the URL sets ssl=false" in f.message


@pytest.mark.parametrize(
    "ssl",
    [
        'System.get_env("DB_SSL") == "true"',
        'String.to_existing_atom(System.get_env("DB_SSL", "false"))',
    ],
)
def test_fly503_env_controlled_ssl_is_silent(tmp_path, ssl):
    repo = f'config :demo, Demo.Repo,\n  hostname: "{RDS}",\n  ssl: {ssl}\n'
    assert run(tmp_path, project_files(repo), ("FLY503",)) == []


def test_fly503_conditional_repo_is_silent(tmp_path):
    repo = f'if System.get_env("USE_RDS") do\n  config :demo, Demo.Repo, hostname: "{RDS}"\nend\n'
    assert run(tmp_path, project_files(repo), ("FLY503",)) == []


def test_fly503_no_connection_settings_is_silent(tmp_path):
    assert run(tmp_path, project_files("config :demo, Demo.Repo, pool_size: 10\n")) == []


def test_sqlite_repo_gets_no_tls_findings(tmp_path):
    files = project_files('config :demo, Demo.Repo,\n  database: "/data/demo.db"\n')
    files["mix.exs"] = MIX.replace(":postgrex", ":ecto_sqlite3")
    files["mix.lock"] = lock("0.0.0").replace("postgrex", "ecto_sqlite3")
    assert run(tmp_path, files) == []


# -- FLY504 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["require", "verify-full", "verify-ca", "REQUIRE"])
def test_fly504_sslmode_wanting_tls(tmp_path, mode):
    repo = f'config :demo, Demo.Repo,\n  url: "ecto://demo@db.example.com/demo?sslmode={mode}"\n'
    found = run(tmp_path, project_files(repo))
    assert brief(found) == ["FLY504 config/runtime.exs:4 warning"]  # FLY503 stays quiet
    assert f"sslmode={mode}" in found[0].message and "db.example.com" in found[0].message


@pytest.mark.parametrize("mode", ["disable", "prefer", "allow"])
def test_fly504_other_sslmodes_are_silent(tmp_path, mode):
    repo = f'config :demo, Demo.Repo,\n  url: "ecto://demo@demo-db.internal/demo?sslmode={mode}"\n'
    assert run(tmp_path, project_files(repo)) == []


def test_fly504_from_fly_env_relates_the_env_line(tmp_path):
    files = project_files(
        "config :demo, Demo.Repo,\n  " + URL.rstrip(",\n") + "\n",
        env='  DATABASE_URL = "ecto://demo@demo-db.internal/demo?sslmode=require"\n',
    )
    [f] = run(tmp_path, files)
    assert (f.rule, f.path, f.location.line) == ("FLY504", "config/runtime.exs", 4)
    assert ("fly.toml", 8) in [(r.path, r.line) for r in f.related]


@pytest.mark.parametrize(
    "extra",
    ["  ssl: true\n", "  ssl: [cacerts: :public_key.cacerts_get()]\n"],
)
def test_fly504_silent_when_tls_is_on_anyway(tmp_path, extra):
    repo = (
        "config :demo, Demo.Repo,\n"
        '  url: "ecto://demo@db.example.com/demo?sslmode=require",\n' + extra
    )
    assert run(tmp_path, project_files(repo, postgrex="0.22.0")) == []


def test_fly504_secret_url_is_silent(tmp_path):
    assert run(tmp_path, project_files("config :demo, Demo.Repo,\n  " + URL), ("FLY504",)) == []


# -- FLY505 ---------------------------------------------------------------------------------------


def test_fly505_url_ssl_false_over_ssl_list(tmp_path):
    repo = (
        "config :demo, Demo.Repo,\n"
        '  url: "ecto://demo@db.example.com/demo?ssl=false",\n'
        '  ssl: [cacertfile: "/etc/ssl/certs/ca-certificates.crt"]\n'
    )
    found = run(tmp_path, project_files(repo))
    assert brief(found) == ["FLY505 config/runtime.exs:4 warning"]  # not also FLY503
    [f] = found
    assert "ssl=false" in f.message and "cacertfile" in f.message
    assert [(r.line, r.label) for r in f.related] == [(5, "database URL"), (6, "ssl set here")]


def test_fly505_url_from_fly_env(tmp_path):
    files = project_files(
        "config :demo, Demo.Repo,\n  " + URL + "  ssl: true\n",
        postgrex="0.21.1",
        env='  DATABASE_URL = "ecto://demo@db.example.com/demo?ssl=false"\n',
    )
    [f] = run(tmp_path, files)
    assert f.rule == "FLY505" and "fly.toml [env] DATABASE_URL" in f.message


def test_fly505_silent_with_url_ssl_true_or_no_ssl_options(tmp_path):
    repo = (
        'config :demo, Demo.Repo,\n  url: "ecto://demo@db.example.com/demo?ssl=true",\n'
        "  ssl: [cacerts: :public_key.cacerts_get()]\n"
    )
    assert run(tmp_path, project_files(repo), ("FLY505",)) == []
    repo = 'config :demo, Demo.Repo,\n  url: "ecto://demo@db.example.com/demo?ssl=false"\n'
    assert run(tmp_path, project_files(repo), ("FLY505",)) == []


# -- helpers and fixtures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("db.internal", "private"),
        ("DB.Flycast", "private"),
        ("direct.abc.flympg.net", "private"),
        ("fdaa:0:1::3", "private"),
        ("10.0.0.5", "private"),
        ("localhost", "local"),
        ("::1", "local"),
        ("db.example.com", "public"),
        ("34.1.2.3", "public"),
        ("db", "unknown"),
        (None, "unknown"),
    ],
)
def test_host_class(host, expected):
    assert database.host_class(host) == expected


def test_fixture_insecure_database_findings():
    [project] = discover([str(FIXTURES / "insecure")])
    found = lint(project, Selection(select=DB_RULES))
    assert brief(found) == [
        "FLY501 config/runtime.exs:26 error",
        "FLY504 config/runtime.exs:32 warning",
        "FLY505 config/runtime.exs:38 warning",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hardened", []),
        ("generated-app", ["FLY503 config/runtime.exs:53 info"]),
        ("legacy-v1", ["FLY502 config/runtime.exs:19 warning"]),
        ("multi-env", ["FLY503 config/runtime.exs:33 info"]),
        ("umbrella", ["FLY503 config/runtime.exs:38 warning"]),
        ("sqlite-volume", []),
    ],
)
def test_fixtures(name, expected):
    found = []
    for project in discover([str(FIXTURES / name)]):
        found.extend(lint(project, Selection(select=DB_RULES)))
    assert brief(found) == expected


def test_unreadable_url_overrides_a_local_hostname(tmp_path):
    files = project_files("config :demo, Demo.Repo,\n  " + URL.rstrip(",\n") + "\n")
    files["config/config.exs"] += '\nconfig :demo, Demo.Repo, hostname: "localhost"\n'
    [f] = run(tmp_path, files)
    assert (f.rule, f.severity) == ("FLY503", "info")
