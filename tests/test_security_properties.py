"""Security properties of flylint itself, each a test.

(a) It never follows a symlink out of the project root: files and directories that lead outside
    are reported as FLY001 and their contents never reach any output, nor are they even opened.
(b) It never executes or imports project code: no subprocess, no exec/eval/compile of project
    text, no import of project modules, no write into the project.
(c) Paths in every output format (related locations included) are project-relative, or
    repository-relative for the formats code hosts read.
(d) The --write-baseline file and every --report file hold no absolute path.

In-process runs use click's CliRunner under a `sys.addaudithook` recorder; the other runs go
through the installed console script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, flylint_executable

from flylint.cli import cli
from flylint.report import FORMATS

MARKER = "PLANTED-MARKER-c0ffee-4d2b"
SECRET = "sk_live_" + "9fQ2xLm4Tz8RvW1nYb6KcD3h"  # a planted secret-looking value
TIMEOUT = 60

# -- audit hook -----------------------------------------------------------------------------------

# sys.addaudithook cannot be removed: one hook for the whole session, recording only while a test
# holds the recorder open.
_RECORDING: list[list[tuple[str, tuple]]] = []
_WATCHED = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
    "compile",
    "exec",
    "import",
    "open",
    "ctypes.dlopen",
    "shutil.copyfile",
    "os.remove",
    "os.rename",
    "os.mkdir",
    "os.symlink",
)


def _hook(event: str, args: tuple) -> None:
    if _RECORDING and event in _WATCHED:
        _RECORDING[-1].append((event, args))


sys.addaudithook(_hook)


@contextmanager
def audited() -> Iterator[list[tuple[str, tuple]]]:
    events: list[tuple[str, tuple]] = []
    _RECORDING.append(events)
    try:
        yield events
    finally:
        _RECORDING.pop()


def mentions(value: object, needles: tuple[str, ...], depth: int = 0) -> bool:
    """True when value (an audit argument: str, bytes, path, code object, tuple) mentions a
    needle."""
    if depth > 4 or value is None:
        return False
    if isinstance(value, (str, bytes, os.PathLike)):
        text = os.fsdecode(value) if not isinstance(value, str) else value
        return any(n in text for n in needles)
    if hasattr(value, "co_filename"):
        return mentions(value.co_filename, needles, depth + 1) or any(
            mentions(c, needles, depth + 1) for c in value.co_consts
        )
    if isinstance(value, (tuple, list)):
        return any(mentions(v, needles, depth + 1) for v in value)
    return False


def is_write(args: tuple) -> bool:
    """An `open` audit event (path, mode, flags) that may write."""
    _, mode, flags = (*args, None, None, None)[:3]
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    return isinstance(flags, int) and bool(flags & write_flags)


def invoke(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; (exit code, stdout + stderr)."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def run_cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("FLYLINT_OUTPUT_FORMAT", None)
    return subprocess.run(
        [flylint_executable(), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def copy_fixture(dest: Path, name: str) -> Path:
    shutil.copytree(FIXTURES / name, dest, symlinks=True)
    return dest


def report_args(out_dir: Path) -> list[str]:
    """--report FORMAT:FILE for every format, written outside the project."""
    return [arg for fmt in FORMATS for arg in ("--report", f"{fmt}:{out_dir / f'report.{fmt}'}")]


# -- (a) symlinks out of the project --------------------------------------------------------------

LINKED_FILES = [
    "Dockerfile",
    ".dockerignore",
    "mix.exs",
    "mix.lock",
    "config/config.exs",
    "config/prod.exs",
    "config/runtime.exs",
    "lib/upload_portal_web/endpoint.ex",
    "lib/upload_portal_web/router.ex",
    "rel/env.sh.eex",
    ".github/workflows/fly-deploy.yml",
]


@pytest.fixture
def outside(tmp_path) -> Path:
    """A copy of a project outside the one linted, every file carrying a marker and a secret."""
    out = copy_fixture(tmp_path / "outside-9e1c" / "app", "hardened")
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if path.name == "fly.toml":
                text = f'planted = "{MARKER}"\napi_key = "{SECRET}"\n' + text
            else:
                text += f"\n# {MARKER} {SECRET}\n"
            path.write_text(text, encoding="utf-8")
    return out


def linked_projects(tmp_path: Path, outside: Path) -> dict[str, Path]:
    """Three projects: fly.toml linked out; every other file linked out; directories linked out."""
    projects = {}
    root = copy_fixture(tmp_path / "fly-linked", "hardened")
    (root / "fly.toml").unlink()
    (root / "fly.toml").symlink_to(outside / "fly.toml")
    projects["fly-linked"] = root

    root = copy_fixture(tmp_path / "files-linked", "hardened")
    for rel in LINKED_FILES:
        (root / rel).unlink()
        (root / rel).symlink_to(outside / rel)
    projects["files-linked"] = root

    root = copy_fixture(tmp_path / "dirs-linked", "hardened")
    for rel in ("config", "lib", "rel", ".github"):
        shutil.rmtree(root / rel)
        (root / rel).symlink_to(outside / rel)
    projects["dirs-linked"] = root
    return projects


EXPECTED_NOT_FOLLOWED = {
    "fly-linked": ["fly.toml"],
    "files-linked": [
        rel
        for rel in LINKED_FILES
        # config.exs is not followed, so the files it would import are never asked for.
        if rel not in ("config/prod.exs",)
        # lib files are globbed without following symlinks: never read, never reported.
        and not rel.startswith("lib/")
    ],
    "dirs-linked": [
        "config/config.exs",
        "config/runtime.exs",
        ".github/workflows",
        "rel/env.sh.eex",
    ],
}


def test_symlinks_out_of_the_root_are_never_followed(tmp_path, outside):
    projects = linked_projects(tmp_path, outside)
    for name, root in projects.items():
        out_dir = tmp_path / f"reports-{name}"
        out_dir.mkdir()
        texts = {}
        result = run_cli(
            "check", ".", "--output-format", "concise", *report_args(out_dir), cwd=root
        )
        assert result.returncode == 1, result.stderr
        texts["concise"] = result.stdout + result.stderr
        for fmt in FORMATS:
            texts[f"report.{fmt}"] = (out_dir / f"report.{fmt}").read_text(encoding="utf-8")
        for fmt in ("text", "json"):
            inspected = run_cli("inspect", ".", "--output-format", fmt, cwd=root)
            assert inspected.returncode == 0, inspected.stderr
            texts[f"inspect.{fmt}"] = inspected.stdout + inspected.stderr
        baseline = out_dir / "baseline.json"
        result = run_cli("check", ".", "--write-baseline", str(baseline), cwd=root)
        assert result.returncode == 0, result.stderr
        texts["baseline"] = baseline.read_text(encoding="utf-8")

        for what, text in texts.items():
            for needle in (MARKER, SECRET, SECRET[:12], str(outside), "outside-9e1c"):
                assert needle not in text, f"{name}: {needle!r} in {what}"
        for rel in EXPECTED_NOT_FOLLOWED[name]:
            lines = [ln for ln in texts["concise"].splitlines() if ln.startswith(f"{rel}:")]
            assert any("FLY001" in ln and "not followed" in ln for ln in lines), (
                name,
                rel,
                texts["concise"],
            )


def test_files_outside_the_root_are_never_even_opened(tmp_path, outside):
    projects = linked_projects(tmp_path, outside)
    outside_dir = str(outside.resolve())
    for name, root in projects.items():
        with audited() as events:
            code, output = invoke("check", str(root), "--output-format", "json")
            invoke("inspect", str(root), "--output-format", "json")
        assert code == 1, output
        opened = [a[0] for e, a in events if e == "open" and mentions(a[:1], (outside_dir,))]
        assert opened == [], f"{name}: opened {opened}"
        assert MARKER not in output


# -- (b) no execution or import of project code ---------------------------------------------------


def harmful_project(root: Path, touched: Path) -> Path:
    """A project whose files would create `touched/<name>` if anything ran or imported them."""
    copy_fixture(root, "hardened")
    touch = str(touched)
    mix = (root / "mix.exs").read_text(encoding="utf-8")
    mix = mix.replace(
        "  def project do",
        f'  System.cmd("touch", ["{touch}/mix-module-body"])\n'
        f'  Code.eval_string(~s(File.write!("{touch}/eval", "x")))\n'
        "  def project do",
        1,
    )
    (root / "mix.exs").write_text(mix, encoding="utf-8")
    with (root / "config/config.exs").open("a", encoding="utf-8") as f:
        f.write(
            f'\nSystem.cmd("touch", ["{touch}/config-exs"])\n'
            f'File.write!("{touch}/config-write", "{MARKER}")\n'
            f':os.cmd(~c"touch {touch}/os-cmd")\n'
            f'config :upload_portal, hook: System.shell("touch {touch}/shell")\n'
        )
    python = f"open({touch + '/python-'!r} + __name__, 'w').write({MARKER!r})\n"
    for name in (
        "sitecustomize.py",
        "usercustomize.py",
        "conftest.py",
        "setup.py",
        "flylint_plugins.py",
        "lib/upload_portal_web/router.py",
    ):
        (root / name).write_text(python, encoding="utf-8")
    (root / "flylint").mkdir()
    (root / "flylint/__init__.py").write_text(python, encoding="utf-8")
    (root / "flylint/report").mkdir()
    (root / "flylint/report/__init__.py").write_text(python, encoding="utf-8")
    with (root / ".github/workflows/fly-deploy.yml").open("a", encoding="utf-8") as f:
        f.write(f'\nx-hook: !!python/object/apply:os.system ["touch {touch}/yaml-tag"]\n')
    with (root / "Dockerfile").open("a", encoding="utf-8") as f:
        f.write(f"\nRUN touch {touch}/dockerfile-run\n")
    (root / "rel/env.sh.eex").write_text(f"#!/bin/sh\ntouch {touch}/env-sh\n", encoding="utf-8")
    (root / ".flylint.toml").write_text(
        f'# {MARKER}\noutput-format = "concise"\nselect = ["ALL"]\n', encoding="utf-8"
    )
    return root


def fake_tools(bin_dir: Path, touched: Path) -> None:
    """Executables named like what a linter might shell out to; each leaves a trace if run."""
    bin_dir.mkdir()
    for tool in ("mix", "elixir", "erl", "iex", "git", "docker", "fly", "flyctl", "hadolint", "sh"):
        path = bin_dir / tool
        path.write_text(f"#!/bin/sh\n: > {touched}/tool-{tool}\n", encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def test_project_code_is_never_run_or_imported_by_the_console_script(tmp_path):
    touched = tmp_path / "touched"
    touched.mkdir()
    root = harmful_project(tmp_path / "app", touched)
    fake_tools(tmp_path / "bin", touched)
    env = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": "",  # the project is the cwd; nothing may put it on sys.path
    }
    before = {p.name for p in root.rglob("*")}
    for args in (
        ("check",),
        ("check", ".", "--output-format", "json"),
        ("check", "fly.toml"),
        ("inspect", "."),
    ):
        result = run_cli(*args, cwd=root, env=env)
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in touched.iterdir()) == []
    assert {p.name for p in root.rglob("*")} == before, "flylint wrote into the project"


def test_project_code_is_never_run_or_imported_in_process(tmp_path):
    touched = tmp_path / "touched"
    touched.mkdir()
    root = harmful_project(tmp_path / "app", touched)
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    needles = (str(root), str(root.resolve()), MARKER)
    modules_before = set(sys.modules)

    with audited() as events:
        for args in (
            ("check", str(root), "--output-format", "sarif", *report_args(out_dir)),
            ("check", str(root / "fly.toml")),
            ("check", str(root), "--write-baseline", str(out_dir / "baseline.json")),
            ("inspect", str(root), "--output-format", "json"),
            ("inspect", str(root)),
        ):
            code, output = invoke(*args)
            assert code in (0, 1), output

    # The recorder works: it saw the project's files being read.
    assert any(e == "open" and not is_write(a) and mentions(a[:1], needles) for e, a in events)
    spawned = [
        (e, a)
        for e, a in events
        if e.startswith(("subprocess", "os.system", "os.exec", "os.posix_spawn", "os.spawn"))
        or e in ("os.fork", "os.forkpty", "pty.spawn")
    ]
    assert spawned == [], spawned
    code_events = [(e, a) for e, a in events if e in ("compile", "exec") and mentions(a, needles)]
    assert code_events == [], code_events
    # (module, filename, sys.path, ...): nothing imported from, or with sys.path holding, the project
    imports = [
        (e, a[:2])
        for e, a in events
        if e in ("import", "ctypes.dlopen") and mentions(a[:3], (str(root), str(root.resolve())))
    ]
    assert imports == [], imports
    writes = [
        a[0]
        for e, a in events
        if e == "open" and is_write(a) and mentions(a[:1], (str(root), str(root.resolve())))
    ]
    assert writes == [], writes
    changed = [
        e
        for e, a in events
        if e.startswith(("os.remove", "os.rename", "os.mkdir", "os.symlink"))
        and mentions(a, (str(root),))
    ]
    assert changed == [], changed
    from_project = [
        name
        for name in set(sys.modules) - modules_before
        if mentions(getattr(sys.modules[name], "__file__", None), (str(root),))
    ]
    assert from_project == []
    assert sorted(p.name for p in touched.iterdir()) == []


# -- (c)/(d) paths in every output are relative ---------------------------------------------------

ABSOLUTE = re.compile(r"^(/|[A-Za-z]:[\\/]|file:|~)")


def assert_relative(path: str, base: Path, what: str) -> None:
    assert path, what
    assert not ABSOLUTE.match(path), f"{what}: absolute path {path!r}"
    assert "\\" not in path and ".." not in path.split("/"), f"{what}: {path!r}"
    assert (base / path).exists() or path == ".", f"{what}: {path!r} is not below {base}"


# Keys of the JSON formats whose values are file paths (inspect's "path" is a route path).
PATH_KEYS = {
    "json": {"path"},
    "sarif": {"uri"},
    "gitlab": {"path"},
    "baseline": {"path"},
    "inspect": {"file", "workflows", "compile", "runtime", "config_path", "context", "mix_root"},
}


def paths_in(fmt: str, text: str) -> list[str]:
    """Every file path a report names, related locations included."""
    if fmt == "concise":
        return re.findall(r"^(\S+?):\d+:\d+: FLY", text, re.M)
    if fmt == "full":
        return re.findall(r"^(\S+?):\d+:\d+: FLY", text, re.M) + re.findall(
            r"^\s*::: (\S+?):\d+:\d+", text, re.M
        )
    if fmt == "github":
        return re.findall(r"^::\w+ file=([^,]+),", text, re.M)
    data = json.loads(text)
    found: list[str] = []

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif key in PATH_KEYS[fmt] and isinstance(node, str):
            found.append(node)

    walk(data)
    return found


REPO_RELATIVE = {"sarif", "github", "gitlab"}  # read by code hosts: paths from the repo root


@pytest.mark.parametrize("in_repo", [False, True], ids=["own-root", "subdir-of-a-repo"])
def test_every_output_names_files_relative_to_the_project(tmp_path, in_repo):
    repo = tmp_path / "repo"
    root = repo / "deploy" / "photo-drop" if in_repo else repo
    copy_fixture(root, "insecure")
    if in_repo:
        (repo / ".git").mkdir()
    out_dir = tmp_path / "reports"
    result = run_cli(
        "check",
        str(root),
        "--output-format",
        "full",
        "--color",
        "never",
        *report_args(out_dir),
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    texts = {fmt: (out_dir / f"report.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS}
    assert texts["full"] == result.stdout
    baseline = out_dir / "baseline.json"
    assert (
        run_cli("check", str(root), "--write-baseline", str(baseline), cwd=tmp_path).returncode == 0
    )
    texts["baseline"] = baseline.read_text(encoding="utf-8")
    for fmt in ("text", "json"):
        inspected = run_cli("inspect", str(root), "--output-format", fmt, cwd=tmp_path)
        assert inspected.returncode == 0, inspected.stderr
        texts[f"inspect-{fmt}"] = inspected.stdout

    for what, text in texts.items():
        for needle in (str(tmp_path), str(tmp_path.resolve()), str(Path.home()) + "/"):
            assert needle not in text, f"{what} contains {needle!r}"
    for fmt in (*FORMATS, "baseline"):
        paths = paths_in(fmt, texts[fmt])
        assert len(paths) >= 20, f"{fmt}: too few paths found to check"
        base = repo if (in_repo and fmt in REPO_RELATIVE) else root
        for path in paths:
            assert_relative(path, base, fmt)
        if in_repo and fmt in REPO_RELATIVE:
            assert all(p.startswith("deploy/photo-drop/") for p in paths), fmt
    # related locations are there to be checked
    assert "relatedLocations" in texts["sarif"] and re.search(r"^\s*::: ", texts["full"], re.M)
    for path in paths_in("inspect", texts["inspect-json"]):
        assert_relative(path, root, "inspect-json")
