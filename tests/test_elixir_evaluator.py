"""The static Config evaluator: what it decides for prod, what it refuses to guess, and that no
input makes it raise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flylint.inspect_json import config_json, value_node
from flylint.parsers.elixir.evaluator import evaluate_config
from flylint.parsers.elixir.project import project_glob
from flylint.parsers.elixir.values import (
    Atom,
    Charlist,
    EnvRef,
    KeywordList,
    ListValue,
    Literal,
    MapValue,
    TupleValue,
    Unknown,
    to_python,
)
from flylint.sources import ProjectFS, SourceFile

CASES = Path(__file__).resolve().parent / "elixir_cases"


def evaluate(files: dict[str, str], **kw):
    def read(path: str) -> SourceFile | None:
        text = files.get(path)
        return SourceFile.from_text(path, text) if text is not None else None

    return evaluate_config(read, ".", **kw)


def config(text: str, runtime: str | None = None, **extra: str):
    files = {"config/config.exs": text, **{f"config/{k}.exs": v for k, v in extra.items()}}
    if runtime is not None:
        files["config/runtime.exs"] = runtime
    model = evaluate(files)
    assert model.internal_errors == []
    return model


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# --------------------------------------------------------------------------- the generated app


@pytest.fixture(scope="module")
def stock():
    fs = ProjectFS(CASES / "phx18_stock")
    model = evaluate_config(fs.read, ".")
    assert model.internal_errors == []
    return model


def test_stock_reads_compile_then_runtime_files(stock) -> None:
    assert stock.compile_files == ["config/config.exs", "config/prod.exs"]
    assert stock.runtime_files == ["config/runtime.exs"]
    assert "config/dev.exs" not in stock.files
    assert stock.findings == []


def test_stock_force_ssl_is_compile_time_with_provenance(stock) -> None:
    force_ssl = stock.get("compile", "upload_portal", "UploadPortalWeb.Endpoint", "force_ssl")
    assert isinstance(force_ssl, KeywordList)
    assert to_python(force_ssl) == [
        ("rewrite_on", [":x_forwarded_proto"]),
        ("exclude", [("hosts", ["localhost", "127.0.0.1"])]),
    ]
    prod = CASES / "phx18_stock/config/prod.exs"
    assert force_ssl.file == "config/prod.exs"
    assert force_ssl.line == line_of(prod, "force_ssl: [")
    # the commented `# paths: ["/health"]` is not a value
    assert "paths" not in force_ssl.get("exclude")
    assert stock.get("runtime", "upload_portal", "UploadPortalWeb.Endpoint", "force_ssl") is None


def test_stock_endpoint_merges_config_and_prod(stock) -> None:
    endpoint = stock.app("compile", "upload_portal").get("Elixir.UploadPortalWeb.Endpoint")
    assert endpoint.keys() == [
        "url",
        "adapter",
        "render_errors",
        "pubsub_server",
        "live_view",
        "cache_static_manifest",
        "force_ssl",
    ]
    url = endpoint.get("url")
    assert to_python(url) == [("host", "localhost")]
    assert url.file == "config/config.exs"


def test_stock_runtime_endpoint(stock) -> None:
    runtime = CASES / "phx18_stock/config/runtime.exs"
    ep = stock.app("runtime", "upload_portal").get("Elixir.UploadPortalWeb.Endpoint")
    assert ep.keys() == ["server", "url", "http", "secret_key_base"]

    server = ep.get("server")
    assert server == Literal(True, **_pos(server))
    assert server.conditional == 'System.get_env("PHX_SERVER")'

    host = ep.get("url").get("host")
    assert isinstance(host, EnvRef) and host.name == "PHX_HOST"
    assert host.default.value == "example.com"
    assert host.line == line_of(runtime, "url: [host: host")
    assert host.default.line == line_of(runtime, 'host = System.get_env("PHX_HOST")')
    assert to_python(ep.get("url").get("scheme")) == "https"

    # http: the port from outside the prod block deep-merged with the ip from inside it
    http = ep.get("http")
    assert http.keys() == ["port", "ip"]
    port = http.get("port")
    assert (port.name, port.cast, port.default.value) == ("PORT", "integer", 4000)
    assert port.line == line_of(runtime, 'http: [port: String.to_integer(System.get_env("PORT"')
    assert to_python(http.get("ip")) == (0, 0, 0, 0, 0, 0, 0, 0)

    skb = ep.get("secret_key_base")
    assert isinstance(skb, EnvRef)
    assert (skb.name, skb.required, skb.default) == ("SECRET_KEY_BASE", True, None)
    assert skb.file == "config/runtime.exs"
    assert skb.line == line_of(runtime, "secret_key_base: secret_key_base")


def test_stock_repo(stock) -> None:
    repo = stock.app("runtime", "upload_portal").get("Elixir.UploadPortal.Repo")
    assert repo.keys() == ["url", "pool_size", "socket_options"]  # `# ssl: true` is a comment
    url = repo.get("url")
    assert (url.name, url.required) == ("DATABASE_URL", True)
    pool = repo.get("pool_size")
    assert (pool.name, pool.cast, pool.default.value) == ("POOL_SIZE", "integer", 10)
    sockets = repo.get("socket_options")
    assert isinstance(sockets, Unknown)
    assert sockets.source_text.startswith('if System.get_env("ECTO_IPV6") in ~w(true 1)')
    dns = stock.get("runtime", "upload_portal", "dns_cluster_query")
    assert isinstance(dns, EnvRef) and dns.default is None and not dns.required


def test_stock_inspect_json_shape(stock) -> None:
    data = config_json(stock)
    assert set(data) == {"compile", "runtime"}
    ep = data["runtime"]["upload_portal"]["Elixir.UploadPortalWeb.Endpoint"]
    skb = ep["value"]["keyword"]["secret_key_base"]
    assert {k: skb[k] for k in ("kind", "env", "default", "value", "source", "file")} == {
        "kind": "env",
        "env": "SECRET_KEY_BASE",
        "default": None,
        "value": None,
        "source": None,
        "file": "config/runtime.exs",
    }
    assert skb["required"] is True and skb["conditional"] is None
    ip = ep["value"]["keyword"]["http"]["value"]["keyword"]["ip"]
    assert ip["value"]["tuple"][0]["value"] == 0
    repos = data["compile"]["upload_portal"]["ecto_repos"]
    assert repos["value"] == {"list": [dict(repos["value"]["list"][0])]}
    assert repos["value"]["list"][0]["value"] == {"atom": "Elixir.UploadPortal.Repo"}
    host = ep["value"]["keyword"]["url"]["value"]["keyword"]["host"]
    assert host["default"]["value"] == "example.com"
    required = {"kind", "value", "env", "default", "source", "file", "line", "conditional"}
    assert required <= set(host) and required <= set(host["default"])


def test_value_node_literal_shapes() -> None:
    model = config(
        "import Config\n"
        'config :a, k: [s: "x", i: 1, f: 1.5, t: true, n: nil, at: :inet6, m: Foo.Bar,\n'
        '  l: [1, :b], e: [], tu: {1, 2}, mp: %{"a" => 1}, c: ~c"abc"]\n'
    )
    kw = value_node(model.get("compile", "a", "k"))["value"]["keyword"]
    values = {k: v["value"] for k, v in kw.items()}
    assert values["s"] == "x" and values["i"] == 1 and values["f"] == 1.5
    assert values["t"] is True and values["n"] is None
    assert values["at"] == {"atom": "inet6"}
    assert values["m"] == {"atom": "Elixir.Foo.Bar"}
    assert [n["value"] for n in values["l"]["list"]] == [1, {"atom": "b"}]
    assert values["e"] == {"list": []}
    assert [n["value"] for n in values["tu"]["tuple"]] == [1, 2]
    assert [[k["value"], v["value"]] for k, v in values["mp"]["map"]] == [["a", 1]]
    assert values["c"] == {"charlist": "abc"}


# --------------------------------------------------------------------------- conditions


def test_decided_conditions_keep_only_prod_branches() -> None:
    model = config(
        """import Config
if config_env() == :prod, do: config(:a, x: 1), else: config(:a, x: 2)
if Mix.env() != :prod, do: config(:a, y: :dev)
unless config_env() in [:dev, :test] do
  config :a, z: true
end
case config_env() do
  :dev -> config :a, c: 1
  env when env in [:prod] -> config :a, c: 2
end
cond do
  config_env() == :test -> config :a, d: 1
  true -> config :a, d: 2
end
if config_target() == :host and not (config_env() == :dev), do: config(:a, t: 1)
"""
    )
    assert to_python(model.app("compile", "a")) == [
        ("x", 1),
        ("z", True),
        ("c", 2),
        ("d", 2),
        ("t", 1),
    ]
    assert all(v.conditional is None for _, v in model.app("compile", "a").entries)


def test_undecidable_conditions_mark_values_with_their_text() -> None:
    model = config(
        """import Config
if System.get_env("FEATURE") == "on" do
  config :a, feature: true
else
  config :a, feature: false
end
unless System.get_env("QUIET"), do: config(:a, verbose: true)
if config_env() == :prod do
  if System.get_env("OUTER") do
    if System.get_env("INNER"), do: config(:a, nested: 1)
  end
end
"""
    )
    app = model.app("compile", "a")
    assert app.get("feature").value is False
    assert app.get("feature").conditional == 'not (System.get_env("FEATURE") == "on")'
    assert app.get("verbose").conditional == 'not (System.get_env("QUIET"))'
    assert app.get("nested").conditional == 'System.get_env("OUTER") and System.get_env("INNER")'


def test_case_on_unknown_subject_marks_each_clause() -> None:
    model = config(
        """import Config
case System.get_env("MODE") do
  "fast" -> config :a, mode: :fast
  _ -> config :a, other: true
end
"""
    )
    app = model.app("compile", "a")
    assert app.get("mode").conditional == 'System.get_env("MODE") matches "fast"'
    assert app.get("other").conditional.startswith('System.get_env("MODE") matches _')


def test_expression_level_if_is_unknown_when_undecided() -> None:
    model = config('import Config\nconfig :a, v: if(System.get_env("X"), do: 1, else: 2)\n')
    assert isinstance(model.get("compile", "a", "v"), Unknown)


# --------------------------------------------------------------------------- variables and envs


def test_variables_are_scoped_like_elixir() -> None:
    model = config(
        """import Config
host = "outer"
if config_env() == :prod do
  host = "inner"
  config :a, inside: host
end
config :a, outside: host
"""
    )
    assert to_python(model.app("compile", "a")) == [("inside", "inner"), ("outside", "outer")]


def test_env_reference_forms() -> None:
    model = config(
        """import Config
config :a,
  plain: System.get_env("A"),
  with_default: System.get_env("B", "b"),
  or_default: System.get_env("C") || "c",
  chain: System.get_env("D1") || System.get_env("D2") || "d",
  raises: System.get_env("E") || raise("E missing"),
  bang: System.fetch_env!("F"),
  cast: String.to_integer(System.get_env("G") || "7"),
  piped: System.get_env("H", "9") |> String.to_integer(),
  atom: String.to_existing_atom(System.get_env("I", "info")),
  fetch: (case System.fetch_env("J") do
    {:ok, v} -> v
    :error -> "j"
  end)
"""
    )
    app = model.app("compile", "a")

    def env(key):
        v = app.get(key)
        assert isinstance(v, EnvRef), key
        return v

    assert (env("plain").name, env("plain").default) == ("A", None)
    assert env("with_default").default.value == "b"
    assert env("or_default").default.value == "c"
    chain = env("chain")
    assert chain.name == "D1" and chain.default.name == "D2"
    assert chain.default.default.value == "d"
    assert env("raises").required and env("bang").required
    assert (env("cast").cast, env("cast").default.value) == ("integer", 7)
    assert (env("piped").cast, env("piped").default.value) == ("integer", 9)
    assert env("atom").default == Atom("info", **_pos(env("atom").default))
    assert (env("fetch").name, env("fetch").default.value) == ("J", "j")


def test_dotenvy_macros_are_env_references() -> None:
    model = config(
        'import Config\nimport Dotenvy\nconfig :a, port: env!("PORT", :integer, 4000), '
        'key: env!("KEY", :string!)\n'
    )
    port = model.get("compile", "a", "port")
    assert (port.name, port.cast, port.default.value, port.required) == (
        "PORT",
        "integer",
        4000,
        False,
    )
    key = model.get("compile", "a", "key")
    assert (key.name, key.cast, key.required) == ("KEY", None, True)


def test_literals_sigils_and_interpolation() -> None:
    model = config(
        '''import Config
name = "shop"
config :a,
  words: ~w(a b c),
  atoms: ~w(a b)a,
  chars: ~c"xy",
  s: ~s(x #{name}),
  raw: ~S(x #{name}),
  interp: "db-#{name}-#{1 + 2}",
  env_interp: "db-#{System.get_env("X")}",
  regex: ~r/x+/,
  heredoc: """
    first
      second
    """,
  fun: fn x -> x end,
  mfa: {Mod, :fun, [1]},
  system: {:system, "PORT"},
  math: 60 * 60 * 24
'''
    )
    app = model.app("compile", "a")
    assert to_python(app.get("words")) == ["a", "b", "c"]
    assert to_python(app.get("atoms")) == [":a", ":b"]
    assert isinstance(app.get("chars"), Charlist)
    assert to_python(app.get("s")) == "x shop"
    assert to_python(app.get("raw")) == "x #{name}"
    assert to_python(app.get("interp")) == "db-shop-3"
    assert isinstance(app.get("env_interp"), Unknown)
    assert app.get("regex").source_text == "~r/x+/"
    assert to_python(app.get("heredoc")) == "first\n  second\n"
    assert app.get("fun").source_text == "fn x -> x end"
    assert isinstance(app.get("mfa"), TupleValue)
    assert to_python(app.get("system")) == (":system", "PORT")
    assert to_python(app.get("math")) == 86400


def test_raise_heredoc_branch_is_required_env() -> None:
    model = config(
        '''import Config
secret =
  System.get_env("SECRET_KEY_BASE") ||
    raise """
    environment variable SECRET_KEY_BASE is missing.
    """
config :a, E, secret_key_base: secret
'''
    )
    skb = model.get("compile", "a", "E", "secret_key_base")
    assert isinstance(skb, EnvRef) and skb.required and skb.default is None


def test_project_module_call_is_unknown_not_a_crash() -> None:
    fs = ProjectFS(CASES / "project_module")
    model = evaluate_config(fs.read, ".")
    assert model.internal_errors == [] and model.findings == []
    jobs = model.get("compile", "notes", "Notes.Scheduler", "jobs")
    assert isinstance(jobs, Unknown) and jobs.source_text == "Notes.ConfigHelpers.jobs()"
    assert model.get("compile", "notes", "literal_after_unknowns").value == "still read"
    assert "config/config_helpers.exs" not in model.files


def test_japanese_comments_and_character_columns() -> None:
    model = config('import Config\n# 日本語 🚀\nconfig :a, k: "値", after: :x # コメント\n')
    app = model.app("compile", "a")
    assert app.get("k").value == "値"
    assert (app.get("after").line, app.get("after").column) == (3, 27)  # 29 in bytes


# --------------------------------------------------------------------------- merging


def test_deep_merge_like_config() -> None:
    model = config(
        """import Config
config :a, E, http: [port: 1, ip: {1, 1, 1, 1}], url: [host: "a"], list: [1]
config :a, E, http: [port: 2], url: "s", list: [2]
config :a, E, http: [opts: [x: 1]]
config :a, E, http: [opts: [y: 2]]
config :a, E, empty: [a: 1]
config :a, E, empty: []
"""
    )
    e = model.get("compile", "a", "E")
    assert to_python(e) == [
        ("url", "s"),
        ("list", [2]),
        ("http", [("ip", (1, 1, 1, 1)), ("port", 2), ("opts", [("x", 1), ("y", 2)])]),
        ("empty", [("a", 1)]),
    ]
    assert e.get("http").get("port").line == 3
    assert e.get("http").get("ip").line == 2


def test_conditional_override_keeps_the_condition() -> None:
    model = config(
        "import Config\nconfig :a, E, force_ssl: [hsts: true]\n"
        'if System.get_env("NO_SSL"), do: config(:a, E, force_ssl: false)\n'
    )
    fs = model.get("compile", "a", "E", "force_ssl")
    assert fs.value is False and fs.conditional == 'System.get_env("NO_SSL")'
    assert model.get("compile", "a", "E").conditional is None


def test_effective_view_merges_runtime_over_compile() -> None:
    model = config(
        "import Config\nconfig :a, E, http: [port: 1, compress: true]\n",
        runtime='import Config\nconfig :a, E, http: [port: String.to_integer(System.get_env("PORT"))]\n',
    )
    http = model.get("effective", "a", "E", "http")
    assert http.keys() == ["compress", "port"]
    assert isinstance(http.get("port"), EnvRef)
    assert model.get("compile", "a", "E", "http", "port").value == 1


# --------------------------------------------------------------------------- imports


def test_import_config_forms_and_missing_files() -> None:
    model = config(
        'import Config\nimport_config "#{config_env()}.exs"\n'
        'import_config Path.expand("extra/more.exs", __DIR__)\n'
        'import_config "missing.exs"\n',
        prod="import Config\nconfig :a, from_prod: true\n",
        **{"extra/more": "import Config\nconfig :a, from_extra: true\n"},
    )
    assert to_python(model.app("compile", "a")) == [("from_prod", True), ("from_extra", True)]
    assert [loc.label for loc in model.missing_imports] == ["config/missing.exs"]


def test_import_cycle_and_self_import_do_not_loop() -> None:
    model = config(
        'import Config\nconfig :a, k: 1\nimport_config "config.exs"\nimport_config "prod.exs"\n',
        prod='import Config\nimport_config "config.exs"\nconfig :a, p: 2\n',
    )
    assert to_python(model.app("compile", "a")) == [("k", 1), ("p", 2)]


def test_umbrella_wildcard_import() -> None:
    fs = ProjectFS(CASES / "umbrella")
    model = evaluate_config(fs.read, ".", glob=project_glob(fs))
    assert model.get("compile", "shop_core", "tax_rate").value == 0.2
    assert model.get("compile", "shop_core", "tax_rate").file == "apps/shop_core/config/config.exs"
    assert to_python(model.get("compile", "shop_web", "gettext_locales")) == ["en", "ja"]


def test_reads_through_project_fs_and_reports_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/config.exs").write_text('import Config\nimport_config "prod.exs"\n')
    (tmp_path / "config/prod.exs").write_bytes(b"import Config\nconfig :a, k: \xff\n")
    model = evaluate_config(ProjectFS(tmp_path).read, ".")
    assert [f.path for f in model.findings] == ["config/prod.exs"]
    assert "UTF-8" in model.findings[0].message


def test_syntax_error_keeps_the_readable_rest() -> None:
    model = config(
        "import Config\nconfig :a, before: 1\nconfig :a, broken: [1, 2\nconfig :a, after: 3\n"
    )
    assert [f.rule for f in model.findings] == ["FLY001"]
    assert model.findings[0].location.line == 3
    app = model.app("compile", "a")
    assert app.get("before").value == 1
    assert app.get("after").value == 3


# --------------------------------------------------------------------------- robustness

DEEP = [
    "import Config\nconfig :a, k: " + "[" * 5000 + "1" + "]" * 5000 + "\nconfig :a, after: 1\n",
    "import Config\n" + "if config_env() == :prod do\n" * 5000 + "end\n" * 5000,
    "import Config\nconfig :a, k: " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "import Config\nconfig :a, k: " + " + ".join(["1"] * 5000) + "\n",
    "import Config\nconfig :a, k: " + "{" * 5000 + "\nconfig :a, after: 1\n",
    "import Config\nx = " + "System.get_env(" * 3000 + '"X"' + ")" * 3000 + "\n",
    "import Config\nconfig :a, k: " + "%{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "import Config\nconfig :a, k: " + "fn -> " * 3000 + "\n",
]


@pytest.mark.parametrize("text", DEEP, ids=range(len(DEEP)))
def test_deep_nesting_never_raises(text: str) -> None:
    model = evaluate({"config/config.exs": text, "config/runtime.exs": text})
    assert model.internal_errors == []


TOKENS = [
    "import Config\n",
    "config",
    " :app",
    ", ",
    "key: ",
    "E.Ndpoint",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "%{",
    '"str"',
    '"#{',
    "}",
    "1",
    "0x1F",
    "1.5",
    ":atom",
    "do\n",
    "end\n",
    "if ",
    "unless ",
    "case ",
    "cond ",
    "->",
    "fn ",
    "&",
    "@attr",
    "x = ",
    "x",
    "||",
    "&&",
    " and ",
    " not ",
    " in ",
    "==",
    "|>",
    "System.get_env(",
    "System.fetch_env!(",
    "String.to_integer(",
    "config_env()",
    "Mix.env()",
    "import_config ",
    '"prod.exs"',
    "~w(a b)",
    "~s(",
    "~r/x/",
    "'c'",
    "?a",
    "\\",
    "\n",
    "#",
    " ",
    '"""\n',
    "when ",
    "_",
    "^",
    "..",
    "<-",
    "for ",
    "raise ",
    "<<",
    ">>",
    "::",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60), st.text(max_size=20))
def test_fuzzed_elixir_never_raises(tokens: list[str], noise: str) -> None:
    text = "".join(tokens) + noise
    model = evaluate(
        {"config/config.exs": text, "config/prod.exs": text, "config/runtime.exs": text}
    )
    assert model.internal_errors == []


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_mutated_fixtures_never_raise(case: str) -> None:
    rng = random.Random(case)
    files = {
        p.relative_to(CASES / case).as_posix(): p.read_text(encoding="utf-8")
        for p in (CASES / case / "config").rglob("*.exs")
    }
    for _ in range(40):
        mutated = {}
        for path, text in files.items():
            chars = list(text)
            for _ in range(rng.randint(1, 8)):
                if not chars:
                    break
                i = rng.randrange(len(chars))
                op = rng.random()
                if op < 0.4:
                    del chars[i]
                elif op < 0.8:
                    chars.insert(i, rng.choice('[]{}()"#,:\n\\%'))
                else:
                    chars[i : i + rng.randint(1, 40)] = []
            mutated[path] = "".join(chars)
        model = evaluate(mutated)
        assert model.internal_errors == []


def _pos(value) -> dict:
    return {
        "file": value.file,
        "line": value.line,
        "column": value.column,
        "end_line": value.end_line,
        "end_column": value.end_column,
        "conditional": value.conditional,
    }


def test_value_types_are_distinct() -> None:
    model = config("import Config\nconfig :a, l: [1], kw: [a: 1], t: {1}, m: %{}\n")
    app = model.app("compile", "a")
    assert isinstance(app.get("l"), ListValue)
    assert isinstance(app.get("kw"), KeywordList)
    assert isinstance(app.get("t"), TupleValue)
    assert isinstance(app.get("m"), MapValue)


def test_deep_nesting_across_a_chain_of_imports_never_raises() -> None:
    files = {}
    for i in range(20):
        name = "config/config.exs" if i == 0 else f"config/f{i}.exs"
        nest = "if config_env() == :prod do\n" * 70
        files[name] = (
            f"import Config\nconfig :a, k{i}: {i}\n{nest}"
            f'import_config "f{i + 1}.exs"\n' + "end\n" * 70
        )
    model = evaluate(files)
    assert model.internal_errors == []
    assert model.get("compile", "a", "k0").value == 0


def test_elixir_text_renders_values_for_messages() -> None:
    from flylint.parsers.elixir.values import elixir_text

    model = config(
        "import Config\nconfig :a, E, force_ssl: [rewrite_on: [:x_forwarded_proto], hsts: false],\n"
        '  port: String.to_integer(System.get_env("PORT") || "4000"), key: System.fetch_env!("K"),\n'
        '  m: %{"a" => {1, nil}}, s: :"odd atom", c: ~c"x", f: fn -> 1 end\n'
    )
    e = model.get("compile", "a", "E")
    assert elixir_text(e.get("force_ssl")) == "[rewrite_on: [:x_forwarded_proto], hsts: false]"
    assert elixir_text(e.get("port")) == 'String.to_integer(System.get_env("PORT") || "4000")'
    assert elixir_text(e.get("key")) == 'System.fetch_env!("K")'
    assert elixir_text(e.get("m")) == '%{"a" => {1, nil}}'
    assert elixir_text(e.get("s")) == ':"odd atom"'
    assert elixir_text(e.get("c")) == '~c"x"'
    assert elixir_text(e.get("f")) == "fn -> 1 end"
    assert elixir_text(e, limit=20).endswith("…") and len(elixir_text(e, limit=20)) == 20
