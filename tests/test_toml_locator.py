"""The TOML locator: key paths to line/column spans, on real fly.toml shapes and on junk."""

from __future__ import annotations

import time

import pytest

from flylint.parsers.toml_locator import ORIGIN, Span, TomlLocator, format_path, parse_path

FLY_TOML = """\
# fly.toml app configuration file generated for demo
app = 'demo'   # trailing comment with = and [brackets]
"quoted key" = "x"
'single.quoted' = 1

[build]
  build_target = "runner"

[env]
  PORT = '8080'
  NOTES = \"\"\"
not_a_key = 1
[not_a_table]
\"\"\"
  LITERAL = '''
[[also_not]]
'''
  AFTER = "y"

[http_service]
  internal_port = 8080
  concurrency.soft_limit = 5
  tls_options = {versions = ["TLSv1.2", "TLSv1.3"], alpn = ["h2"]}

  [[http_service.checks]]
    path = "/health"

  [[http_service.checks]]
    path = "/ready"
    headers = {X-Forwarded-Proto = "https"}

[[services]]
  internal_port = 4000
  ports = [
    {port = 80, handlers = ["http"], force_https = true},  # comment inside an array
    {port = 443, handlers = [
      "tls",
      "http",
    ]},
  ]

[[services]]
  internal_port = 5432
  [[services.ports]]
    port = 5432
  [[services.ports]]
    port = 5433

[mounts]
  source = "data"
  destination = "/data"

[checks.alive]
  interval = "10s"
"""


@pytest.fixture(scope="module")
def loc() -> TomlLocator:
    return TomlLocator(FLY_TOML)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("app", "app = 'demo'"),
        ('"quoted key"', '"quoted key"'),
        ("'single.quoted'", "'single.quoted'"),
        ("build", "[build]"),
        ("build.build_target", "build_target"),
        ("build.build-target", "build_target"),  # flyctl's spelling finds the legacy one
        ("env.PORT", "PORT = '8080'"),
        ("env.NOTES", "NOTES ="),
        ("env.AFTER", "AFTER"),
        ("http_service", "[http_service]"),
        ("http_service.internal_port", "internal_port = 8080"),
        ("http_service.concurrency.soft_limit", "concurrency.soft_limit"),
        ("http_service.concurrency", "concurrency.soft_limit"),
        ("http_service.tls_options.versions", "tls_options ="),
        ("http_service.checks[0]", "[[http_service.checks]]"),
        ("http_service.checks[0].path", '"/health"'),
        ("http_service.checks[1].path", '"/ready"'),
        ("http_service.checks[1].headers.X-Forwarded-Proto", "X-Forwarded-Proto"),
        ("services[0].internal_port", "internal_port = 4000"),
        ("services[0].ports[0].force_https", "{port = 80"),
        ("services[0].ports[1].handlers[1]", '"http",'),
        ("services[1]", "internal_port = 5432"),  # header line is just before
        ("services[1].ports[1].port", "port = 5433"),
        ("mounts[0].destination", 'destination = "/data"'),
        ("mounts.destination", 'destination = "/data"'),
        ("checks.alive.interval", 'interval = "10s"'),
    ],
)
def test_paths_point_at_their_line(loc, path, needle):
    span = loc.find(path)
    assert span is not None, path
    expected = line_of(FLY_TOML, needle)
    if path == "services[1]":
        expected -= 1
    assert span.line == expected


def test_key_value_span_covers_key_and_value(loc):
    span = loc.find("http_service.internal_port")
    line = FLY_TOML.split("\n")[span.line - 1]
    assert line[span.column - 1 : span.end_column - 1] == "internal_port = 8080"


def test_header_span_is_the_header(loc):
    span = loc.find("http_service.checks[1]")
    line = FLY_TOML.split("\n")[span.line - 1]
    assert line[span.column - 1 : span.end_column - 1] == "[[http_service.checks]]"


def test_inline_array_element_spans(loc):
    span = loc.find("http_service.tls_options.versions[1]")
    line = FLY_TOML.split("\n")[span.line - 1]
    assert line[span.column - 1 : span.end_column - 1] == '"TLSv1.3"'


def test_multiline_value_span_ends_on_closing_line(loc):
    span = loc.find("env.NOTES")
    assert span.end_line == line_of(FLY_TOML, "[not_a_table]") + 1


def test_inner_lines_of_multiline_strings_are_not_keys(loc):
    assert loc.find("env.not_a_key") is None
    assert loc.find("not_a_table") is None
    assert loc.find("also_not") is None


def test_missing_key_falls_back_to_nearest_parent(loc):
    assert loc.find("http_service.force_https") is None
    assert loc.locate("http_service.force_https") == loc.find("http_service")
    assert loc.locate("services[1].ports[1].handlers") == loc.find("services[1].ports[1]")
    assert loc.locate("services[7].ports") == loc.find("services")
    assert loc.locate("nowhere.at.all") == ORIGIN


def test_env_written_as_list_of_tables():
    loc = TomlLocator('[[env]]\n  A = "1"\n[[env]]\n  B = "2"\n')
    assert loc.find("env.B") == Span(4, 3, 4, 10)


def test_singular_legacy_sections_resolve():
    loc = TomlLocator('[mount]\nsource = "d"\ndestination = "/d"\n[vm]\nmemory = 512\n')
    assert loc.find("mounts[0].destination").line == 3
    assert loc.find("vm[0].memory").line == 5


def test_headers_without_indentation_and_dotted_headers():
    loc = TomlLocator('[http_service.http_options.response.headers]\nX-Frame-Options = "DENY"\n')
    assert loc.find("http_service.http_options.response.headers.X-Frame-Options").line == 2
    # the implied parents point at the header that created them
    assert loc.find("http_service").line == 1


def test_nested_arrays_of_tables_count_per_parent():
    text = "[[a]]\n[[a.b]]\nx=1\n[[a.b]]\nx=2\n[[a]]\n[[a.b]]\nx=3\n"
    loc = TomlLocator(text)
    assert loc.find("a[0].b[1].x").line == 5
    assert loc.find("a[1].b[0].x").line == 8
    assert loc.find("a[1].b[1]") is None


def test_quoted_key_with_dots_and_escapes():
    loc = TomlLocator('[env]\n"A.B" = 1\n"q\\"uote" = 2\n')
    assert loc.find('env."A.B"').line == 2
    assert loc.find(("env", 'q"uote')).line == 3


@pytest.mark.parametrize(
    "path",
    [("a",), ("a", 0, "b"), ("env", "A.B"), ("x", "with space", 3), ("h", 'q"t')],
)
def test_format_and_parse_path_round_trip(path):
    assert parse_path(format_path(path)) == path


def test_format_path_examples():
    assert format_path(("http_service", "checks", 0, "path")) == "http_service.checks[0].path"
    assert format_path(("env", "A.B")) == 'env."A.B"'


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "\n\n\n",
        "# only a comment",
        "[",
        "[[",
        "[a",
        "a = ",
        "a = [1, 2",
        "a = {b = [",
        'a = "unterminated',
        "a = '''never closed",
        'a = """never closed',
        "= 1",
        "]]]]]",
        "a.b.c.d.e.f.g = 1\n" * 3,
        "[a]]]\nb = }{",
        "a = [" * 500,
        "a = {" * 500,
        "x = [{y = [{z = [1, {w = 2}]}]}]",
        "\x00\x01\x02 = \x03",
        "key = value with spaces # comment\n[t]\n  k = 1979-05-27 07:32:00Z",
        "💥 = 1\n[💥]\nx = '💥'",
    ],
)
def test_never_raises_on_junk(junk):
    loc = TomlLocator(junk)
    assert isinstance(loc.locate("a.b[0].c"), Span)
    assert loc.find("") is None or isinstance(loc.find(""), Span)


def test_deep_nesting_is_skipped_not_recursed():
    text = "a = " + "[" * 5000 + "]" * 5000 + "\nb = 1\n"
    loc = TomlLocator(text)
    assert loc.find("b").line == 2


def test_linear_on_a_large_file():
    chunk = '[[services]]\n  internal_port = 1\n  ports = [{port = 80, handlers = ["http"]}]\n'
    text = chunk * 5000
    start = time.perf_counter()
    loc = TomlLocator(text)
    elapsed = time.perf_counter() - start
    assert loc.find("services[4999].ports[0].port").line == 3 * 5000
    assert elapsed < 5.0
