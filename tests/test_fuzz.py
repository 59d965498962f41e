"""Fuzzing: random and mutated input files never make a parser or the pipeline raise or hang.

Seeds are the real files of `fixtures/*/` (fly.toml, Dockerfile, config/*.exs, endpoint and router
modules, workflows). Mutations are byte- and line-level edits of the kind a broken merge, an editor
or a bad encoding produces: deletions, duplications, truncation, and insertions of quotes,
brackets, `do`/`end`, backslashes, heredoc openers, NUL, CR and invalid UTF-8.

Every parser must return findings instead of raising, with well-formed locations. The whole
pipeline (discover + lint) runs in-process on a temp project; a few runs go through the installed
console script and must exit 0 or 1 without a traceback. Example counts and deadlines keep the
file well under a minute on two cores.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURES, fake_secret, flylint_executable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flylint.discover import discover
from flylint.engine import Selection, lint
from flylint.findings import Finding, Location
from flylint.inspect import app_json, render_tree
from flylint.parsers.dockerfile import parse_dockerfile, parse_dockerignore
from flylint.parsers.elixir.endpoint import scan_endpoints
from flylint.parsers.elixir.evaluator import evaluate_config
from flylint.parsers.elixir.mixfile import parse_lock, scan_mixfile
from flylint.parsers.elixir.rel import parse_shell
from flylint.parsers.elixir.router import scan_routers
from flylint.parsers.elixir.syntax import parse as parse_elixir
from flylint.parsers.flytoml import parse_fly_config
from flylint.parsers.workflows import parse_workflow
from flylint.sources import SourceFile, decode

RULE_ID = re.compile(r"^FLY\d{3}$")

# -- seeds ----------------------------------------------------------------------------------------


def _seed_files(pattern: str) -> list[bytes]:
    """Distinct contents of fixture files matching a glob (relative to each fixture)."""
    seen: dict[bytes, None] = {}
    for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for path in sorted(fixture.glob(pattern)):
            if path.is_file() and not path.is_symlink():
                seen.setdefault(path.read_bytes(), None)
    return list(seen)


SEEDS: dict[str, list[bytes]] = {
    "fly.toml": _seed_files("fly*.toml"),
    "Dockerfile": _seed_files("Dockerfile"),
    "config": _seed_files("config/*.exs"),
    "module": _seed_files("**/lib/**/*_web/endpoint.ex") + _seed_files("**/lib/**/*_web/router.ex"),
    "workflow": _seed_files(".github/workflows/*.yml"),
    "mix.exs": _seed_files("mix.exs"),
    "mix.lock": _seed_files("mix.lock"),
    "dockerignore": _seed_files(".dockerignore"),
    "shell": _seed_files("rel/env.sh.eex") + _seed_files("rel/overlays/bin/server"),
}

# Where a kind lives in a project, for pipeline runs.
TARGET_PATH = {
    "fly.toml": "fly.toml",
    "Dockerfile": "Dockerfile",
    "config": "config/prod.exs",
    "runtime": "config/runtime.exs",
    "module": "lib/upload_portal_web/router.ex",
    "workflow": ".github/workflows/fly-deploy.yml",
    "mix.exs": "mix.exs",
    "mix.lock": "mix.lock",
    "dockerignore": ".dockerignore",
    "shell": "rel/env.sh.eex",
}
# The fixture with every kind of file, used as the project the mutated file is dropped into.
BASE_FIXTURE = FIXTURES / "hardened"

TOKENS = [
    b'"',
    b"'",
    b'"""',
    b"'''",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"{",
    b"}",
    b"(",
    b")",
    b"%{",
    b"#{",
    b"${",
    b"$",
    b"=",
    b":",
    b",",
    b"#",
    b" do\n",
    b"\nend\n",
    b" do: ",
    b"fn -> ",
    b"\\",
    b"\\\n",
    b"<<EOF\n",
    b"<<-EOF\n",
    b"\nEOF\n",
    b"~s(",
    b'~S"""\n',
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",  # an encoded surrogate: invalid UTF-8
    b"\xef\xbb\xbf",
    b"\r",
    b"\r\n",
    b"\t",
    b"\n",
    b"- ",
    b"  ",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!python/object/apply:os.system ",
    b"|\n",
    b">-\n",
    b"---\n",
    b"FROM ",
    b"RUN ",
    b"# syntax=docker/dockerfile:1\n",
    b"# escape=`\n",
    b"ARG ",
    b"[[services]]\n",
    b"[http_service]\n",
    b"import_config ",
    b"config :app, ",
    b"if config_env() == :prod do\n",
    b"System.get_env(",
    b"9" * 40,
    b"-1",
    "é∂😀".encode(),
]

# -- mutations ------------------------------------------------------------------------------------


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed file with a few byte- or line-level edits."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(
            st.sampled_from(
                ["insert", "insert", "insert", "delete", "duplicate", "truncate", "lines", "byte"]
            )
        )
        size = len(data)
        pos = draw(st.integers(0, size))
        if op == "insert":
            data[pos:pos] = draw(st.sampled_from(TOKENS)) * draw(st.integers(1, 3))
        elif op == "delete" and size:
            end = min(size, pos + draw(st.integers(1, 200)))
            del data[pos:end]
        elif op == "duplicate" and size:
            end = min(size, pos + draw(st.integers(1, 400)))
            data[end:end] = data[pos:end]
        elif op == "truncate":
            del data[pos:]
        elif op == "byte" and size:
            data[min(pos, size - 1)] = draw(st.integers(0, 255))
        elif op == "lines":
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            how = draw(st.sampled_from(["drop", "dup", "swap", "indent", "dedent"]))
            if how == "drop":
                del lines[i]
            elif how == "dup":
                lines.insert(i, lines[i])
            elif how == "swap":
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            elif how == "indent":
                lines[i] = b"    " + lines[i]
            else:
                lines[i] = lines[i].lstrip()
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def any_input(kind: str):
    """Mutated seeds mostly, with some purely random text and bytes."""
    return st.one_of(
        mutated(SEEDS[kind]),
        mutated(SEEDS[kind]),
        mutated(SEEDS[kind]),
        st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.binary(max_size=300),
    )


def source_of(path: str, data: bytes) -> SourceFile | None:
    """What the parsers would be given: decode() drops files that are not UTF-8 text."""
    src, problem = decode(path, data)
    if problem is not None:
        assert_well_formed([problem], path)
    return src


# -- checks of the output -------------------------------------------------------------------------


def assert_location(loc: Location, path: str | None = None) -> None:
    assert isinstance(loc, Location)
    assert isinstance(loc.line, int) and loc.line >= 1, loc
    assert isinstance(loc.column, int) and loc.column >= 1, loc
    assert loc.path, loc
    assert not loc.path.startswith("/") and "\\" not in loc.path, loc
    if path is not None:
        assert loc.path == path, loc


def assert_well_formed(findings: list[Finding], path: str | None = None) -> None:
    for f in findings:
        assert isinstance(f, Finding)
        assert RULE_ID.match(f.rule), f
        assert f.message and "\n" not in f.message, f
        assert_location(f.location, path)
        for rel in f.related:
            assert_location(rel)


FUZZ = settings(
    max_examples=60,
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_every_kind_has_seeds():
    for kind, seeds in SEEDS.items():
        assert seeds, f"no fixture file to seed {kind} from"


# -- (a) each parser on its own ------------------------------------------------------------------


@FUZZ
@given(any_input("fly.toml"))
def test_fly_toml_parser_never_raises(data):
    src = source_of("fly.toml", data)
    if src is None:
        return
    fly, findings = parse_fly_config(src)
    assert_well_formed(findings, "fly.toml")
    if fly is None:
        assert any(f.rule == "FLY001" for f in findings)


@FUZZ
@given(any_input("Dockerfile"), st.sampled_from([None, "builder", "runner", "nope"]))
def test_dockerfile_parser_never_raises(data, target):
    src = source_of("Dockerfile", data)
    if src is None:
        return
    _, findings = parse_dockerfile(src, target)
    assert_well_formed(findings, "Dockerfile")
    _, findings = parse_dockerfile(src, None, {"MIX_ENV": "prod", "ELIXIR_VERSION": '"'})
    assert_well_formed(findings, "Dockerfile")


@FUZZ
@given(any_input("Dockerfile"))
def test_dockerignore_parser_never_raises(data):
    src = source_of(".dockerignore", data)
    if src is None:
        return
    ignore = parse_dockerignore(src.text)
    for name in (".env", "_build", "deps/x", ".git", "a/b/c"):
        ignore.excludes(name)


@FUZZ
@given(any_input("config"), any_input("config"))
def test_elixir_config_evaluator_never_raises(config_data, prod_data):
    files = {
        "config/config.exs": source_of("config/config.exs", config_data),
        "config/prod.exs": source_of("config/prod.exs", prod_data),
        "config/runtime.exs": source_of("config/runtime.exs", prod_data),
    }
    if files["config/config.exs"] is not None:
        # Make sure the second file is reached through an import, as in a real project.
        text = files["config/config.exs"].text + '\nimport_config "#{config_env()}.exs"\n'
        files["config/config.exs"] = SourceFile.from_text("config/config.exs", text)

    model = evaluate_config(
        files.get, ".", "prod", glob=lambda pattern: sorted(k for k in files if files[k])
    )
    assert_well_formed(model.findings)
    assert model.internal_errors == []
    for view in ("compile", "runtime", "effective"):
        assert isinstance(model.view(view), dict)


@FUZZ
@given(any_input("module"))
def test_elixir_syntax_and_scanners_never_raise(data):
    path = "lib/app_web/endpoint.ex"
    src = source_of(path, data)
    if src is None:
        return
    parsed = parse_elixir(src)
    if parsed.error is not None:
        assert_well_formed([parsed.error], path)
    scan_endpoints(parsed)
    scan_routers(parsed)
    scan_mixfile(parsed)


@FUZZ
@given(any_input("config"))
def test_mix_lock_and_shell_readers_never_raise(data):
    src = source_of("mix.lock", data)
    if src is None:
        return
    parse_lock(src)
    parse_shell(SourceFile.from_text("rel/env.sh.eex", src.text))
    scan_mixfile(parse_elixir(SourceFile.from_text("mix.exs", src.text)))


@FUZZ
@given(any_input("workflow"))
def test_workflow_parser_never_raises(data):
    path = ".github/workflows/deploy.yml"
    src = source_of(path, data)
    if src is None:
        return
    wf, findings = parse_workflow(src)
    assert_well_formed(findings, path)
    for line in (1, len(src.lines)):
        wf.in_service(line)


@settings(max_examples=40, deadline=2000, database=None)
@given(st.text(max_size=400))
def test_every_parser_on_random_text(text):
    """Straight text, NUL and lone CRs included (decode() would refuse some of it)."""
    # Lone surrogates cannot be encoded as UTF-8 (tree-sitter's input): decode() never yields them.
    text = "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)
    _, findings = parse_fly_config(SourceFile.from_text("fly.toml", text))
    assert_well_formed(findings, "fly.toml")
    _, findings = parse_dockerfile(SourceFile.from_text("Dockerfile", text))
    assert_well_formed(findings, "Dockerfile")
    parsed = parse_elixir(SourceFile.from_text("config/config.exs", text))
    scan_routers(parsed)
    model = evaluate_config({"config/config.exs": parsed.source}.get)
    assert_well_formed(model.findings)
    _, findings = parse_workflow(SourceFile.from_text("w.yml", text))
    assert_well_formed(findings, "w.yml")


# -- (b) the whole pipeline in-process -----------------------------------------------------------


@pytest.fixture(scope="module")
def base_project():
    """One copy of a complete fixture; each example overwrites one file and restores it."""
    with tempfile.TemporaryDirectory(prefix="flylint-fuzz-") as tmp:
        root = Path(tmp) / "app"
        shutil.copytree(BASE_FIXTURE, root, symlinks=True)
        (root / TARGET_PATH["module"]).parent.mkdir(parents=True, exist_ok=True)
        yield root


def lint_project(root: Path) -> list[Finding]:
    """discover + lint, and the model `flylint inspect` renders of every app."""
    findings: list[Finding] = []
    for project in discover([str(root)]):
        findings.extend(lint(project, Selection()))
        for app in project.apps:
            tree = app_json(app)
            json.dumps(tree)
            render_tree(tree)
    return findings


PIPELINE = settings(
    max_examples=25,
    deadline=5000,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


PIPELINE_KINDS = [
    "fly.toml",
    "Dockerfile",
    "config",
    "runtime",
    "module",
    "workflow",
    "mix.exs",
    "mix.lock",
    "dockerignore",
    "shell",
]


@pytest.mark.parametrize("kind", PIPELINE_KINDS)
def test_pipeline_never_raises_on_a_mutated_file(kind, base_project):
    seeds = SEEDS["config" if kind == "runtime" else kind]
    target = base_project / TARGET_PATH[kind]
    original = target.read_bytes() if target.exists() else None

    @PIPELINE
    @given(mutated(seeds))
    def run(data):
        target.write_bytes(data)
        findings = lint_project(base_project)
        assert_well_formed(findings)
        assert all(str(base_project) not in f.message for f in findings)

    try:
        run()
    finally:
        if original is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(original)


# -- (c) a few runs of the installed console script ----------------------------------------------


@settings(max_examples=6, deadline=None, database=None)
@given(
    st.sampled_from(["fly.toml", "Dockerfile", "config", "module", "workflow"]).flatmap(
        lambda kind: st.tuples(st.just(kind), mutated(SEEDS[kind]))
    ),
    st.sampled_from(["full", "json", "sarif"]),
)
def test_cli_on_mutated_projects_exits_0_or_1(kind_and_data, fmt):
    kind, data = kind_and_data
    with tempfile.TemporaryDirectory(prefix="flylint-fuzz-cli-") as tmp:
        root = Path(tmp) / "app"
        shutil.copytree(BASE_FIXTURE, root, symlinks=True)
        target = root / TARGET_PATH[kind]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        result = subprocess.run(
            [flylint_executable(), "check", ".", "--output-format", fmt, "--color", "never"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert tmp not in result.stdout


# -- regressions found by the fuzzer --------------------------------------------------------------


def test_messages_stay_one_line_when_a_stray_quote_makes_a_multiline_key(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(BASE_FIXTURE, root, symlinks=True)
    (root / "config/runtime.exs").write_text(
        "import Config\n"
        "config :upload_portal, UploadPortal.Repo,\n"
        '  password: "postgres",localhost",\n'
        "  pool_size: 10,\n"
        f'  secret_key_base: "{fake_secret(603)}"\n',
        encoding="utf-8",
    )
    assert_well_formed(lint_project(root))
