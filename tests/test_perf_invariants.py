"""Shortcuts taken for speed give the answers of the plain code they replace."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flylint.lazyre import LazyPattern, lazy
from flylint.sources import ProjectFS


def reference_inside(root: Path, path: Path) -> bool:
    """ProjectFS.inside as it was: Path.resolve() and relative_to."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    (root / "config").mkdir(parents=True)
    (root / "lib" / "app").mkdir(parents=True)
    outside.mkdir()
    (root / "config" / "runtime.exs").write_text("import Config\n")
    (root / "lib" / "app" / "endpoint.ex").write_text("defmodule A do\nend\n")
    (outside / "secret.txt").write_text("nope\n")
    links = {
        "config/inner_link.exs": root / "config" / "runtime.exs",
        "config/outer_link.txt": outside / "secret.txt",
        "linked_lib": root / "lib",
        "escape_dir": outside,
        "dangling": root / "missing",
        "loop_a": root / "loop_b",
        "loop_b": root / "loop_a",
    }
    for name, target in links.items():
        os.symlink(target, root / name)
    return root


CANDIDATES = [
    "config/runtime.exs",
    "config/inner_link.exs",
    "config/outer_link.txt",
    "linked_lib/app/endpoint.ex",
    "escape_dir/secret.txt",
    "escape_dir/../project/config/runtime.exs",
    "linked_lib/../config/runtime.exs",
    "config/../config/runtime.exs",
    "config/../../outside/secret.txt",
    "dangling",
    "loop_a",
    "loop_a/x",
    "loop_a/sub/x",
    "missing/dir/file",
    "config",
    ".",
    "lib/app/../../config/runtime.exs",
]


@pytest.mark.parametrize("rel", CANDIDATES)
def test_inside_agrees_with_resolve(tree: Path, rel: str):
    fs = ProjectFS(tree)
    for _ in range(2):  # the second time answers from the per-directory cache
        assert fs.inside(tree / rel) == reference_inside(tree, tree / rel), rel


def test_reads_through_the_cache_keep_their_verdicts(tree: Path):
    fs = ProjectFS(tree)
    src, problem = fs.read("config/runtime.exs")
    assert src is not None and problem is None
    src, problem = fs.read("config/inner_link.exs")
    assert src is not None and src.text == "import Config\n"
    for rel, message in (
        ("config/outer_link.txt", "symlink points outside the project"),
        ("escape_dir/secret.txt", "symlink points outside the project"),
        ("loop_a", "symlink loop"),
    ):
        src, problem = fs.read(rel)
        assert src is None and problem is not None and message in problem.message, rel
    assert fs.read("missing/file") == (None, None)


def test_lazy_pattern_behaves_as_the_compiled_one():
    source, flags = r"(?P<word>[a-z]+)-(\d+)", re.IGNORECASE
    real = re.compile(source, flags)
    fake = lazy(source, flags)
    assert isinstance(fake, LazyPattern)
    text = "Ab-12 cd-3 x-"
    assert fake.search(text).group("word") == real.search(text).group("word")
    assert fake.findall(text) == real.findall(text)
    assert [m.span() for m in fake.finditer(text)] == [m.span() for m in real.finditer(text)]
    assert fake.sub("#", text) == real.sub("#", text)
    assert fake.split(text) == real.split(text)
    assert fake.fullmatch("ab-1") and not fake.match(" ab-1")
    assert (fake.pattern, fake.flags, fake.groups, fake.groupindex) == (
        real.pattern,
        real.flags,
        real.groups,
        real.groupindex,
    )
    assert fake.compiled is real  # re's own cache: the very same pattern object


def reference_glob(fs: ProjectFS, pattern: str) -> list[str]:
    """project_glob as it was: one os.walk per call, the whole pattern as one regex."""
    import posixpath

    from flylint.parsers.elixir.project import MAX_LISTED, SKIP_DIRS

    def translate(p: str) -> re.Pattern[str]:
        out, i = [], 0
        while i < len(p):
            if p.startswith("**/", i):
                out.append("(?:.*/)?")
                i += 3
            elif p.startswith("**", i):
                out.append(".*")
                i += 2
            elif p[i] in "*?":
                out.append("[^/]*" if p[i] == "*" else "[^/]")
                i += 1
            else:
                out.append(re.escape(p[i]))
                i += 1
        return re.compile("".join(out) + r"\Z")

    pattern = posixpath.normpath(pattern)
    if pattern.startswith(("..", "/")):
        return []
    segments = pattern.split("/")
    fixed = []
    for seg in segments:
        if any(c in seg for c in "*?["):
            break
        fixed.append(seg)
    base = "/".join(fixed[:-1] if len(fixed) == len(segments) else fixed) or "."
    regex, recursive, start = translate(pattern), "**" in pattern, fs.abs(base)
    if not fs.inside(start) or not start.is_dir():
        return []
    found, listed = [], 0
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        rel_dir = fs.rel(Path(dirpath))
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        depth = 0 if rel_dir == "." else rel_dir.count("/") + 1
        if not recursive and depth >= len(segments) - 1:
            dirnames[:] = []
        for name in sorted(filenames):
            listed += 1
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if regex.match(rel):
                p = fs.abs(rel)
                if not p.is_symlink() or fs.inside(p):
                    found.append(rel)
        if listed > MAX_LISTED:
            break
    return found


def test_project_glob_finds_what_a_fresh_walk_finds(tree: Path):
    from flylint.parsers.elixir.project import project_glob

    for rel in (
        "lib/app/web",
        "lib/deps/x",
        "apps/one/lib/one",
        "apps/two/lib",
        "rel/overlays/bin",
    ):
        (tree / rel).mkdir(parents=True, exist_ok=True)
    for rel in (
        "lib/app/web/router.ex",
        "lib/app/web/page.html.heex",
        "lib/app/repo.ex",
        "lib/deps/x/skipped.ex",
        "apps/one/mix.exs",
        "apps/one/lib/one/endpoint.ex",
        "apps/two/mix.exs",
        "apps/two/lib/two.ex",
        "rel/overlays/bin/server",
        "rel/vm.args.eex",
        "top.ex",
    ):
        (tree / rel).write_text("x\n")
    os.symlink(tree / "config" / "runtime.exs", tree / "lib" / "app" / "linked.ex")
    os.symlink(tree.parent / "outside" / "secret.txt", tree / "lib" / "app" / "leak.ex")
    os.symlink(tree / "lib" / "app", tree / "lib" / "again")
    patterns = [
        "lib/**/*.ex",
        "lib/**/*.heex",
        "**/*.ex",
        "*.ex",
        "apps/*/mix.exs",
        "apps/*/lib/**/*.ex",
        "rel/overlays/bin/*",
        "rel/*vm.args*",
        "./lib/../lib/app/*.ex",
        "config/runtime.exs",
        "linked_lib/**/*.ex",
        "escape_dir/*",
        "../outside/*",
        "missing/**/*.ex",
        "l?b/app/*.ex",
    ]
    fs = ProjectFS(tree)
    glob = project_glob(fs)
    seen: dict[str, list[str]] = {}
    for _ in range(2):  # the second round lists nothing again
        for pattern in patterns:
            expected = reference_glob(ProjectFS(tree), pattern)
            assert glob(pattern) == expected, pattern
            seen[pattern] = expected
    # The link leaving the project is dropped, the one inside kept; deps/ and lib/again skipped.
    assert seen["lib/**/*.ex"] == [
        "lib/app/endpoint.ex",
        "lib/app/linked.ex",
        "lib/app/repo.ex",
        "lib/app/web/router.ex",
    ]
    assert seen["apps/*/mix.exs"] == ["apps/one/mix.exs", "apps/two/mix.exs"]
    assert len(seen["**/*.ex"]) == 7 and seen["escape_dir/*"] == []


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab1 \t\r=$'\"\\#;|&(){}*-_é\x0b\x1f\x85")), max_size=20)
)
def test_release_script_words_split_as_shlex_does(text: str):
    import shlex

    from flylint.parsers.elixir.rel import _words

    try:
        expected = shlex.split(text, posix=True)
    except ValueError:
        expected = text.split()
    assert _words(text) == expected
