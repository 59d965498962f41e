"""The tree-sitter front end: syntax errors as FLY001 with editor positions, never raising."""

from __future__ import annotations

from pathlib import Path

import pytest

from flylint.parsers.elixir.syntax import _parser, call_name, first_error, named, parse
from flylint.sources import SourceFile

CASES = Path(__file__).resolve().parent / "elixir_cases"
ELIXIR_FILES = sorted(p for p in CASES.rglob("*") if p.suffix in (".ex", ".exs"))


def src(text: str, path: str = "config/config.exs") -> SourceFile:
    return SourceFile.from_text(path, text)


@pytest.mark.parametrize("path", ELIXIR_FILES, ids=lambda p: str(p.relative_to(CASES)))
def test_every_fixture_parses_cleanly(path: Path) -> None:
    parsed = parse(src(path.read_text(encoding="utf-8"), path.name))
    assert parsed.error is None, parsed.error


def test_valid_file_has_no_finding() -> None:
    parsed = parse(src('import Config\nconfig :app, key: "value"\n'))
    assert parsed.error is None
    assert [call_name(parsed, n) for n in named(parsed.root)] == ["import", "config"]


def test_unclosed_list_is_fly001_at_its_position() -> None:
    parsed = parse(src("import Config\nconfig :app, a: [1, 2\nconfig :app, b: 2\n"))
    f = parsed.error
    assert f is not None and f.rule == "FLY001"
    assert f.path == "config/config.exs"
    assert (f.location.line, f.location.column) == (2, 21)
    assert "syntax error" in f.message


def test_missing_end_is_reported_as_missing() -> None:
    parsed = parse(src("import Config\nif config_env() == :prod do\n  config :app, b: 2\n"))
    assert parsed.error is not None
    assert 'missing "end"' in parsed.error.message
    assert parsed.error.location.line == 4


def test_one_finding_per_file_even_with_many_errors() -> None:
    parsed = parse(src("config :a, b: )\nconfig :c, d: ]\nconfig :e, f: }\n"))
    assert parsed.error is not None
    assert parsed.error.location.line == 1


def test_error_message_never_echoes_string_contents() -> None:
    text = 'config :app, secret_key_base: "s3cr3t-value-that-must-not-leak" "x"\n'
    parsed = parse(src(text))
    assert parsed.error is not None
    assert "s3cr3t" not in parsed.error.message


def test_columns_count_characters_not_bytes() -> None:
    # "日本語" is 9 bytes but 3 columns; the error must be at the editor's column.
    parsed = parse(src('x = "日本語" )\n'))
    assert parsed.error is not None
    assert parsed.error.location.column == 11
    node = next(named(parsed.root))
    assert parsed.span(node) == (1, 1, 1, 10)


def test_emoji_and_japanese_comments_parse() -> None:
    parsed = parse(src("# 🚀 本番 🎉\nimport Config # コメント\nconfig :app, a: 1 # ✅\n"))
    assert parsed.error is None
    assert [call_name(parsed, n) for n in named(parsed.root)] == ["import", "config"]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "[" * 5000,
        "if a do\n" * 5000,
        "(" * 5000 + "1" + ")" * 4000,
        '"' + "#{" * 3000,
        "fn -> " * 5000,
        "%{" * 5000,
    ],
    ids=["balanced", "open-lists", "open-ifs", "parens", "interpolations", "fns", "maps"],
)
def test_deep_nesting_never_raises(text: str) -> None:
    parsed = parse(src(text))
    if parsed.root.has_error:
        assert parsed.error is not None
        node = first_error(parsed.root)
        assert node is not None


def test_binary_garbage_does_not_raise() -> None:
    parsed = parse(src("\x01\x02 config :a, \ufffd\ufffd )))) do end end \\"))
    assert parsed.error is not None


def test_parser_is_built_once() -> None:
    assert _parser() is _parser()
