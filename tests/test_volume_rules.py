"""FLY404-FLY406: where the app keeps its data, joined with fly.toml's mounts and release_command."""

from __future__ import annotations

import textwrap

import pytest
from conftest import FIXTURES, write_project

from flylint.checks import volumes
from flylint.discover import discover
from flylint.engine import Selection, lint

VOLUME_RULES = ("FLY404", "FLY405", "FLY406")

MIX = """\
defmodule Notes.MixProject do
  use Mix.Project

  def project do
    [app: :notes, version: "0.1.0", deps: deps()]
  end

  defp deps do
    [{:ecto_sql, "~> 3.12"}, {:DEP, ">= 0.0.0"}]
  end
end
"""
SQLITE_LOCK = (
    '%{\n  "ecto_sqlite3": {:hex, :ecto_sqlite3, "0.22.0", "00", [:mix], [], "hexpm", "11"},\n}\n'
)
PG_LOCK = '%{\n  "postgrex": {:hex, :postgrex, "0.22.0", "00", [:mix], [], "hexpm", "11"},\n}\n'

FLY = """\
app = "notes"

[deploy]
  release_command = "/app/bin/migrate"

[env]
  DATABASE_PATH = "/mnt/data/notes.db"

[[mounts]]
  source = "data"
  destination = "/mnt/data"

[http_service]
  internal_port = 8080
"""
SQLITE_REPO = 'config :notes, Notes.Repo,\n  database: System.fetch_env!("DATABASE_PATH")\n'


def files_for(fly: str = FLY, body: str = SQLITE_REPO, db: str = "sqlite", **extra) -> dict:
    runtime = "import Config\n\nif config_env() == :prod do\n"
    runtime += textwrap.indent(body, "  ") + "end\n"
    files = {
        "fly.toml": fly,
        "mix.exs": MIX.replace("DEP", "ecto_sqlite3" if db == "sqlite" else "postgrex"),
        "mix.lock": SQLITE_LOCK if db == "sqlite" else PG_LOCK,
        "config/config.exs": "import Config\n\nconfig :notes, ecto_repos: [Notes.Repo]\n",
        "config/runtime.exs": runtime,
    }
    files.update(extra)
    return files


def run(tmp_path, files, rules=VOLUME_RULES):
    root = write_project(tmp_path / "p", files)
    out = []
    for project in discover([str(root)]):
        out.extend(f for f in lint(project, Selection(select=tuple(rules))) if f.rule in rules)
    return out


def brief(findings):
    return sorted(f"{f.rule} {f.path}:{f.location.line} {f.severity}" for f in findings)


def without_release_command(fly: str) -> str:
    return fly.replace('[deploy]\n  release_command = "/app/bin/migrate"\n\n', "")


# -- FLY404 ---------------------------------------------------------------------------------------


def test_fly404_sqlite_on_volume_with_release_command(tmp_path):
    found = run(tmp_path, files_for(), ("FLY404",))
    assert brief(found) == ["FLY404 fly.toml:4 error"]
    [f] = found
    assert '"/app/bin/migrate"' in f.message and "/mnt/data/notes.db" in f.message
    assert "/mnt/data" in f.message
    assert [(r.path, r.line, r.label) for r in f.related] == [
        ("fly.toml", 9, "volume mounted at /mnt/data"),
        ("fly.toml", 7, "database path"),
        ("config/runtime.exs", 5, "Notes.Repo database:"),
    ]


@pytest.mark.parametrize(
    "command",
    ["/app/bin/notes eval Notes.Release.migrate", "/app/bin/migrate", "mix ecto.migrate"],
)
def test_fly404_recognises_migrating_commands(tmp_path, command):
    fly = FLY.replace('"/app/bin/migrate"', f'"{command}"')
    assert [f.rule for f in run(tmp_path, files_for(fly), ("FLY404",))] == ["FLY404"]


def test_fly404_literal_database_path(tmp_path):
    body = 'config :notes, Notes.Repo, database: "/mnt/data/prod.sqlite3"\n'
    fly = FLY.replace('  DATABASE_PATH = "/mnt/data/notes.db"\n', '  PHX_HOST = "x"\n')
    [f] = run(tmp_path, files_for(fly, body), ("FLY404",))
    assert ("config/runtime.exs", 4) in [(r.path, r.line) for r in f.related]


@pytest.mark.parametrize(
    ("fly", "body"),
    [
        (without_release_command(FLY), SQLITE_REPO),  # migrates at boot
        (FLY.replace("/app/bin/migrate", "/app/bin/seed_cache"), SQLITE_REPO),  # not a migration
        (FLY.replace('"/mnt/data/notes.db"', '"/var/notes.db"'), SQLITE_REPO),  # not on a volume
        (  # the path is only a default: DATABASE_PATH may be a secret
            FLY.replace('  DATABASE_PATH = "/mnt/data/notes.db"\n', '  PHX_HOST = "x"\n'),
            'config :notes, Notes.Repo,\n  database: System.get_env("DATABASE_PATH") || '
            '"/mnt/data/notes.db"\n',
        ),
    ],
)
def test_fly404_silent(tmp_path, fly, body):
    assert run(tmp_path, files_for(fly, body), ("FLY404",)) == []


def test_fly404_postgres_app_with_a_volume_is_silent(tmp_path):
    body = 'config :notes, Notes.Repo, url: System.fetch_env!("DATABASE_URL")\n'
    fly = FLY.replace('  DATABASE_PATH = "/mnt/data/notes.db"\n', '  PHX_HOST = "x"\n')
    assert run(tmp_path, files_for(fly, body, db="postgres"), ("FLY404",)) == []


# -- FLY405 ---------------------------------------------------------------------------------------

NO_MOUNT = 'app = "notes"\n\n[env]\n  DATABASE_PATH = "/app/notes.db"\n\n[http_service]\n  internal_port = 8080\n'


def test_fly405_database_path_without_any_mount(tmp_path):
    found = run(tmp_path, files_for(NO_MOUNT), ("FLY405",))
    assert brief(found) == ["FLY405 fly.toml:4 warning"]
    assert "fly.toml has no [[mounts]]" in found[0].message and "/app/notes.db" in found[0].message


@pytest.mark.parametrize(
    ("config", "line"),
    [
        ('config :notes, :uploads_dir, "/var/lib/notes/uploads"\n', 6),
        ('config :notes, upload_path: "/srv/uploads/files"\n', 6),
        ('config :notes, :uploads, directory: "/uploads"\n', 6),
        ('config :notes, Notes.Uploads, dir: "/srv/uploads"\n', 6),
        ('config :notes, Notes.Attachments,\n  uploads_dir: "/srv/attachments"\n', 7),
        ('config :waffle, storage: Waffle.Storage.Local, storage_dir_prefix: "/srv/waffle"\n', 6),
        ('config :mnesia, dir: ~c"/var/mnesia"\n', 6),
        ("config :mnesia, dir: '/var/mnesia'\n", 6),
    ],
)
def test_fly405_write_paths_outside_the_mount(tmp_path, config, line):
    files = files_for(without_release_command(FLY), SQLITE_REPO + config)
    found = run(tmp_path, files, ("FLY405",))
    assert brief(found) == [f"FLY405 config/runtime.exs:{line} warning"]
    assert "(mounts: /mnt/data)" in found[0].message


@pytest.mark.parametrize(
    "config",
    [
        'config :notes, :uploads_dir, "/mnt/data/uploads"\n',  # on the volume
        'config :notes, :uploads_dir, "priv/static/uploads"\n',  # relative: not judged
        'config :notes, :uploads, path: "/uploads"\n',  # one segment: likely a URL prefix
        "config :notes, :max_upload_size, 10_000_000\n",
        'config :notes, :export_dir, "/var/exports"\n',  # not a listed kind of data
        'config :notes, :uploads_dir, Path.join(System.get_env("DATA"), "up")\n',  # computed
    ],
)
def test_fly405_silent(tmp_path, config):
    files = files_for(without_release_command(FLY), SQLITE_REPO + config)
    assert run(tmp_path, files, ("FLY405",)) == []


def test_fly405_env_default_is_info(tmp_path):
    body = 'config :notes, :uploads_dir, System.get_env("UPLOADS_DIR") || "/srv/uploads"\n'
    files = files_for(without_release_command(FLY), SQLITE_REPO + body)
    [f] = run(tmp_path, files, ("FLY405",))
    assert f.severity == "info" and "default of UPLOADS_DIR" in f.message


def test_fly405_env_value_from_fly_toml(tmp_path):
    fly = without_release_command(FLY).replace("[env]\n", '[env]\n  UPLOADS_DIR = "/srv/up"\n')
    body = 'config :notes, :uploads_dir, System.fetch_env!("UPLOADS_DIR")\n'
    [f] = run(tmp_path, files_for(fly, SQLITE_REPO + body), ("FLY405",))
    assert (f.path, f.location.line, f.severity) == ("fly.toml", 4, "warning")
    assert [(r.path, r.line) for r in f.related] == [("config/runtime.exs", 6)]


def test_fly405_undecidable_condition_is_info(tmp_path):
    body = 'if System.get_env("LOCAL_UPLOADS") do\n  config :notes, :uploads_dir, "/srv/up"\nend\n'
    files = files_for(without_release_command(FLY), SQLITE_REPO + body)
    [f] = run(tmp_path, files, ("FLY405",))
    assert f.severity == "info" and "LOCAL_UPLOADS" in f.message


ENDPOINT = """\
defmodule NotesWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :notes

  plug Plug.Static, at: "/", from: :notes, gzip: false
  plug Plug.Static, at: "/files", from: "FROM"
  plug NotesWeb.Router
end
"""


@pytest.mark.parametrize(
    ("source", "fires"),
    [("/srv/files", True), ("/mnt/data/files", False), ("/app/lib/notes-0.1.0/priv/x", False)],
)
def test_fly405_plug_static_from(tmp_path, source, fires):
    files = files_for(
        without_release_command(FLY),
        **{"lib/notes_web/endpoint.ex": ENDPOINT.replace("FROM", source)},
    )
    found = run(tmp_path, files, ("FLY405",))
    assert [(f.path, f.location.line) for f in found] == (
        [("lib/notes_web/endpoint.ex", 5)] if fires else []
    )


def test_fly405_litefs_fuse_dir_is_persistent(tmp_path):
    fly = without_release_command(FLY).replace("/mnt/data/notes.db", "/litefs/notes.db")
    fly = fly.replace('destination = "/mnt/data"', 'destination = "/var/lib/litefs"')
    litefs = 'fuse:\n  dir: "/litefs"\n\ndata:\n  dir: "/var/lib/litefs"\n'
    files = files_for(fly, **{"litefs.yml": litefs})
    assert run(tmp_path, files) == []


# -- FLY406 ---------------------------------------------------------------------------------------


def test_fly406_database_on_unreplicated_volume(tmp_path):
    found = run(tmp_path, files_for(without_release_command(FLY)), ("FLY406",))
    assert brief(found) == ["FLY406 fly.toml:6 info"]
    assert '"data" at /mnt/data' in found[0].message and "/mnt/data/notes.db" in found[0].message


def test_fly406_uploads_on_the_volume_of_a_postgres_app(tmp_path):
    fly = without_release_command(FLY).replace('  DATABASE_PATH = "/mnt/data/notes.db"\n', "")
    body = 'config :notes, Notes.Repo, url: System.fetch_env!("DATABASE_URL")\n'
    body += 'config :notes, :uploads_dir, "/mnt/data/uploads"\n'
    [f] = run(tmp_path, files_for(fly, body, db="postgres"), ("FLY406",))
    assert "upload directory" in f.message


@pytest.mark.parametrize(
    "extra",
    [
        {"litestream.yml": "dbs:\n  - path: /mnt/data/notes.db\n"},
        {"Dockerfile": "FROM litestream/litestream:0.3 AS ls\nFROM alpine:3.20\n"},
        {"Dockerfile": "FROM alpine:3.20\nRUN wget https://example.com/litestream.tar.gz\n"},
        {"Dockerfile": "FROM alpine:3.20\nCOPY --from=flyio/litefs:0.5 /usr/local/bin/litefs /b\n"},
    ],
)
def test_fly406_replication_recognised(tmp_path, extra):
    files = files_for(without_release_command(FLY), **extra)
    assert run(tmp_path, files, ("FLY406",)) == []


def test_fly406_silent_without_data_on_the_volume(tmp_path):
    fly = without_release_command(FLY).replace("/mnt/data/notes.db", "/var/notes.db")
    assert run(tmp_path, files_for(fly), ("FLY406",)) == []


# -- helpers and fixtures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "dest", "expected"),
    [
        ("/data/x.db", "/data", True),
        ("/data", "/data", True),
        ("/data/x.db", "/data/", True),
        ("/database/x.db", "/data", False),
        ("/x.db", "/", False),
        ("/data/x.db", "data", False),
        ("/data/x.db", None, False),
    ],
)
def test_under(path, dest, expected):
    assert volumes._under(path, dest) is expected


def test_fixture_sqlite_volume():
    [project] = discover([str(FIXTURES / "sqlite-volume")])
    found = lint(project, Selection(select=VOLUME_RULES))
    assert brief(found) == [
        "FLY404 fly.toml:13 error",
        "FLY405 config/runtime.exs:83 warning",
        "FLY406 fly.toml:20 info",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("insecure", ["FLY405 config/runtime.exs:55 warning"]),
        ("hardened", []),
        ("generated-app", []),
        ("legacy-v1", []),
        ("umbrella", []),
    ],
)
def test_fixtures(name, expected):
    found = []
    for project in discover([str(FIXTURES / name)]):
        found.extend(lint(project, Selection(select=VOLUME_RULES)))
    assert brief(found) == expected
