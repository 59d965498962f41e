"""Hostile inputs: huge, deep, binary, oddly encoded files, special files and symlink tricks.

Each must give a clear finding (or an unchanged result where nothing is wrong) through the
installed console script, exit 0 or 1, and finish. The time and memory bounds are deliberately
loose "does not hang, does not blow up" bounds, not performance tests (the benchmark is `bench/`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, flylint_executable

from flylint.parsers.workflows import MAX_FLOW_DEPTH, MAX_WORKFLOW_BYTES, parse_workflow
from flylint.sources import MAX_FILE_BYTES, ProjectFS, SourceFile

TIME_LIMIT = 20.0  # seconds per run: a hang, not a slowdown, fails
MEMORY_LIMIT_MB = 512  # peak RSS per run

# Every kind of file flylint reads in the hardened fixture (which has no findings of its own).
KINDS = [
    "Dockerfile",
    ".dockerignore",
    "mix.exs",
    "mix.lock",
    "config/prod.exs",
    "config/runtime.exs",
    "lib/upload_portal_web/endpoint.ex",
    "lib/upload_portal_web/router.ex",
    "rel/env.sh.eex",
    ".github/workflows/fly-deploy.yml",
]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def findings(self) -> list[dict]:
        return json.loads(self.stdout)["findings"]


def run_bounded(*args: str, cwd: Path, timeout: float = TIME_LIMIT) -> Run:
    """The installed CLI under a wall-clock limit, with its own peak RSS (os.wait4)."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("FLYLINT_OUTPUT_FORMAT", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [flylint_executable(), *args], cwd=cwd, stdout=out, stderr=err, env=env
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                proc.kill()
                proc.wait()
                pytest.fail(f"flylint {' '.join(args)} did not finish within {timeout:.0f} s")
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        run = Run(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            usage.ru_maxrss / 1024,  # KiB on Linux
        )
    assert run.peak_mb < MEMORY_LIMIT_MB, f"peak RSS {run.peak_mb:.0f} MB"
    assert "Traceback" not in run.stderr, run.stderr
    return run


def check(root: Path, fmt: str = "concise", *extra: str) -> Run:
    run = run_bounded("check", ".", "--output-format", fmt, "--color", "never", *extra, cwd=root)
    assert run.returncode in (0, 1), run.stderr
    return run


def copy_fixture(tmp_path: Path, name: str = "hardened") -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root, symlinks=True)
    return root


def fly001(run: Run, path: str) -> list[str]:
    return [line for line in run.lines() if line.startswith(f"{path}:") and " FLY001 " in line]


def replace_with_symlink(root: Path, rel: str, target: str | Path) -> None:
    path = root / rel
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.symlink_to(target)


# -- size -----------------------------------------------------------------------------------------


def test_ten_megabyte_fly_toml_is_reported_not_read(tmp_path):
    root = copy_fixture(tmp_path)
    with (root / "fly.toml").open("a", encoding="utf-8") as f:
        line = "# " + "x" * 1022 + "\n"
        for _ in range(10 * 1024):
            f.write(line)
    run = check(root)
    assert run.returncode == 1
    [line] = fly001(run, "fly.toml")
    assert line.startswith("fly.toml:1:1: FLY001") and "too large" in line, line


def test_fly_toml_just_under_the_size_limit_is_parsed(tmp_path):
    root = copy_fixture(tmp_path)
    text = (root / "fly.toml").read_text(encoding="utf-8")
    padding = ("# padding " + "x" * 100 + "\n") * ((MAX_FILE_BYTES - len(text) - 4096) // 111)
    text = text + padding + "unknown_top_level_key = 1\n"
    (root / "fly.toml").write_text(text, encoding="utf-8")
    run = check(root)
    last = text.count("\n")
    assert any(line.startswith(f"fly.toml:{last}:1: FLY002") for line in run.lines()), run.stdout


def test_fifty_thousand_line_dockerfile(tmp_path):
    root = copy_fixture(tmp_path)
    text = (root / "Dockerfile").read_text(encoding="utf-8")
    text += "".join(f"RUN echo step {i} && test -d /app\n" for i in range(50_000))
    text += "FROBNICATE now\n"
    (root / "Dockerfile").write_text(text, encoding="utf-8")
    run = check(root)
    last = text.count("\n")
    [line] = fly001(run, "Dockerfile")
    assert line.startswith(f"Dockerfile:{last}:1: FLY001") and "FROBNICATE" in line, line


# -- depth ----------------------------------------------------------------------------------------

DEEP = 5_000


def deep_elixir(n: int = DEEP) -> str:
    """Valid Elixir nested n levels deep in every way a config file can nest."""
    return (
        "\nconfig :upload_portal, deep_list: " + "[" * n + "1" + "]" * n + "\n"
        "config :upload_portal, deep_map: " + "%{a: " * n + "1" + "}" * n + "\n"
        "config :upload_portal, deep_tuple: " + "{" * n + "}" * n + "\n"
        "config :upload_portal, deep_call: " + "f(" * n + "1" + ")" * n + "\n"
        "config :upload_portal, deep_fn: " + "fn -> " * n + "1" + " end" * n + "\n"
        "config :upload_portal, chain: " + " <> ".join(['"a"'] * n) + "\n"
        "config :upload_portal, pipe: x"
        + " |> f()" * n
        + "\n"
        + "if config_env() == :prod do\n" * n
        + "config :upload_portal, inner: 1\n"
        + "end\n" * n
    )


def test_elixir_nested_five_thousand_levels_changes_nothing_else(tmp_path):
    """Deep nesting degrades to 'unknown value' inside the nest; the rest of the project is read
    exactly as before (same findings, same positions), with no internal error."""
    plain = copy_fixture(tmp_path / "plain", "insecure")
    deep = copy_fixture(tmp_path / "deep", "insecure")
    with (deep / "config/prod.exs").open("a", encoding="utf-8") as f:
        f.write(deep_elixir())
    router = deep / "lib/photo_drop_web/router.ex"
    text = router.read_text(encoding="utf-8")
    # Nested scopes (no routes, so no new findings) before the module's last `end`.
    cut = text.rstrip().rfind("end")
    nested_scopes = '  scope "/a" do\n' * DEEP + "  end\n" * DEEP
    router.write_text(text[:cut] + nested_scopes + text[cut:], encoding="utf-8")

    expected = check(plain, "json")
    got = check(deep, "json")
    assert got.returncode == expected.returncode
    assert got.findings() == expected.findings()
    inspected = run_bounded("inspect", ".", "--output-format", "json", cwd=deep)
    assert inspected.returncode == 0, inspected.stderr


def test_deep_nesting_in_toml_yaml_and_dockerfile_is_reported(tmp_path):
    root = copy_fixture(tmp_path)
    with (root / "fly.toml").open("a", encoding="utf-8") as f:
        f.write("\n[experimental_deep]\nv = " + "[" * DEEP + "]" * DEEP + "\n")
    run = check(root)
    [line] = fly001(run, "fly.toml")
    assert "nested too deeply" in line, line

    root = copy_fixture(tmp_path / "yaml")
    with (root / ".github/workflows/fly-deploy.yml").open("a", encoding="utf-8") as f:
        f.write("\nenv: {X: " + "[" * DEEP + "]" * DEEP + "}\n")
    run = check(root)
    [line] = fly001(run, ".github/workflows/fly-deploy.yml")
    assert "nested more than" in line, line

    # An exec form nested past json's recursion limit is shell form to Docker, not a parser crash
    # that would lose the rest of the file.
    root = copy_fixture(tmp_path / "docker")
    text = (root / "Dockerfile").read_text(encoding="utf-8")
    text += "CMD " + "[" * DEEP + "]" * DEEP + "\nUSER\n"
    (root / "Dockerfile").write_text(text, encoding="utf-8")
    run = check(root)
    [line] = fly001(run, "Dockerfile")
    assert line.startswith(f"Dockerfile:{text.count(chr(10))}:1: FLY001"), line
    assert "USER needs" in line


def test_workflow_limits_keep_the_yaml_loader_bounded():
    """ruamel's pure-Python loader is slow (and slower per byte as flow collections nest): past
    the limits a workflow is one FLY001, found without handing it to the loader."""
    big = "on: push\nenv:\n" + "".join(f'  K{i}: "v{i}"\n' for i in range(30_000))
    assert len(big) > MAX_WORKFLOW_BYTES
    _, findings = parse_workflow(SourceFile.from_text("w.yml", big))
    assert [(f.rule, f.location.line) for f in findings] == [("FLY001", 1)]
    assert "too large" in findings[0].message

    deep = "on: push\njobs:\n  a: " + "[" * (MAX_FLOW_DEPTH + 1) + "]" * (MAX_FLOW_DEPTH + 1)
    _, findings = parse_workflow(SourceFile.from_text("w.yml", deep))
    assert [(f.rule, f.location.line, f.location.column) for f in findings] == [
        ("FLY001", 3, 6 + MAX_FLOW_DEPTH)
    ]

    # GitHub expressions and ordinary flow lists stay well inside the bound.
    fine = "on: push\njobs:\n  a:\n    runs-on: ${{ matrix.os }}\n    strategy:\n" + (
        "      matrix: {os: [[a, b], [c, {d: [e]}]]}\n"
    )
    wf, findings = parse_workflow(SourceFile.from_text("w.yml", fine))
    assert findings == [] and wf.parsed


# -- encodings ------------------------------------------------------------------------------------


def insert_line_two(path: Path, line: bytes) -> None:
    data = path.read_bytes()
    first, _, rest = data.partition(b"\n")
    path.write_bytes(first + b"\n" + line + b"\n" + rest)


@pytest.mark.parametrize(
    ("bad", "what"),
    [(b"\xff", "invalid UTF-8"), (b"\xc3(", "invalid UTF-8"), (b"\x00", "binary")],
    ids=["ff", "truncated-sequence", "nul"],
)
def test_undecodable_bytes_in_every_kind_of_file(tmp_path, bad, what):
    root = copy_fixture(tmp_path)
    for rel in KINDS:
        insert_line_two(root / rel, b"# ab" + bad + b"cd")
    run = check(root)
    assert run.returncode == 1
    column = 1 if bad == b"\x00" else 5  # NUL: the file is binary, reported at its line
    for rel in KINDS:
        lines = fly001(run, rel)
        assert lines, f"{rel}: no FLY001 in\n{run.stdout}"
        assert lines[0].startswith(f"{rel}:2:{column}: FLY001"), lines
        assert what in lines[0], lines


@pytest.mark.parametrize("bad", [b"\xfe", b"\x00"], ids=["invalid-utf8", "nul"])
def test_undecodable_fly_toml(tmp_path, bad):
    root = copy_fixture(tmp_path)
    insert_line_two(root / "fly.toml", b"# " + bad)
    run = check(root)
    assert run.returncode == 1
    column = 1 if bad == b"\x00" else 3
    [line] = fly001(run, "fly.toml")
    assert line.startswith(f"fly.toml:2:{column}: FLY001"), line


def transform_every_file(root: Path, fn) -> None:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.write_bytes(fn(path.read_bytes()))


def test_bom_and_crlf_leave_every_finding_where_it_was(tmp_path):
    lf = copy_fixture(tmp_path / "lf", "insecure")
    bom = copy_fixture(tmp_path / "bom", "insecure")
    crlf = copy_fixture(tmp_path / "crlf", "insecure")
    transform_every_file(bom, lambda b: b"\xef\xbb\xbf" + b)
    transform_every_file(crlf, lambda b: b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))

    expected = check(lf, "json").findings()
    assert any(f["path"] == "fly.toml" and f["line"] > 1 for f in expected)
    for variant in (bom, crlf):
        assert check(variant, "json").findings() == expected, variant.name


# -- special files --------------------------------------------------------------------------------


def test_directory_named_fly_toml(tmp_path):
    root = copy_fixture(tmp_path)
    (root / "fly.staging.toml").mkdir()
    (root / "fly.staging.toml" / "fly.toml").write_text('app = "nested"\n', encoding="utf-8")
    run = check(root)
    [line] = fly001(run, "fly.staging.toml")
    assert line.startswith("fly.staging.toml:1:1: FLY001") and "directory" in line, line

    (root / "fly.toml").unlink()
    (root / "fly.toml").mkdir()
    run = check(root)
    assert run.returncode == 1
    assert "directory" in fly001(run, "fly.toml")[0]


@pytest.mark.parametrize("rel", ["Dockerfile", "config/prod.exs"])
def test_directory_where_a_file_is_expected(tmp_path, rel):
    root = copy_fixture(tmp_path)
    (root / rel).unlink()
    (root / rel).mkdir()
    run = check(root)
    assert run.returncode == 1
    [line] = fly001(run, rel)
    assert "found a directory" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_permissions(tmp_path):
    root = copy_fixture(tmp_path)
    (root / "Dockerfile").chmod(0)
    try:
        run = check(root)
    finally:
        (root / "Dockerfile").chmod(0o644)
    [line] = fly001(run, "Dockerfile")
    assert "cannot read file" in line


def test_named_pipes_are_reported_never_opened_for_a_blocking_read(tmp_path):
    """Files that cannot be read even by root: a FIFO would block a read forever."""
    root = copy_fixture(tmp_path)
    fifos = [
        "Dockerfile",
        "mix.exs",
        "config/prod.exs",
        "lib/upload_portal_web/router.ex",
        ".github/workflows/fly-deploy.yml",
    ]
    for rel in fifos:
        (root / rel).unlink()
        os.mkfifo(root / rel)
    run = check(root)
    assert run.returncode == 1
    for rel in fifos:
        [line] = fly001(run, rel)
        assert "not a regular file (a named pipe)" in line, line

    (root / "fly.toml").unlink()
    os.mkfifo(root / "fly.toml")
    run = check(root)
    [line] = fly001(run, "fly.toml")
    assert "named pipe" in line


def test_socket_and_broken_symlink(tmp_path):
    root = copy_fixture(tmp_path)
    (root / "Dockerfile").unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            sock.bind(str(root / "Dockerfile"))
        except OSError as err:  # a path longer than sun_path allows
            pytest.skip(f"cannot bind a unix socket here: {err}")
        replace_with_symlink(root, "config/prod.exs", "no-such-file.exs")
        run = check(root)
    finally:
        sock.close()
    [line] = fly001(run, "Dockerfile")
    assert "a socket" in line
    [line] = fly001(run, "config/prod.exs")
    assert "broken symlink" in line


# -- symlinks -------------------------------------------------------------------------------------


def test_symlink_loops(tmp_path):
    root = copy_fixture(tmp_path)
    replace_with_symlink(root, "Dockerfile", "Dockerfile")
    replace_with_symlink(root, "config/prod.exs", "prod_b.exs")
    (root / "config/prod_b.exs").symlink_to("prod.exs")
    replace_with_symlink(root, ".github/workflows/fly-deploy.yml", "fly-deploy.yml")
    run = check(root)
    for rel in ("Dockerfile", "config/prod.exs", ".github/workflows/fly-deploy.yml"):
        [line] = fly001(run, rel)
        assert "symlink loop" in line, line

    replace_with_symlink(root, "fly.toml", "fly.toml")
    run = check(root)
    [line] = fly001(run, "fly.toml")
    assert "symlink loop" in line


def test_directory_symlink_loops_are_not_walked(tmp_path):
    plain = copy_fixture(tmp_path / "plain")
    looped = copy_fixture(tmp_path / "looped")
    (looped / "lib/up").symlink_to("..")
    (looped / "lib/self").symlink_to(".")
    (looped / "config/again").symlink_to("../config")
    (looped / ".github/workflows/loop.yml").symlink_to(".")
    (looped / "deploy").symlink_to("deploy")
    got = check(looped, "json").findings()
    [extra] = [f for f in got if f["path"] == ".github/workflows/loop.yml"]
    assert extra["rule"] == "FLY001" and "directory" in extra["message"]
    got.remove(extra)
    assert got == check(plain, "json").findings()


@pytest.fixture
def outside(tmp_path) -> Path:
    """Files outside the project, holding a marker that must never show up in output."""
    out = tmp_path / "outside"
    shutil.copytree(FIXTURES / "insecure", out / "app")
    for path in (out / "app").rglob("*"):
        if path.is_file():
            with path.open("a", encoding="utf-8") as f:
                f.write("\n# OUTSIDE-MARKER-7f3a\n")
    return out / "app"


def test_symlinks_out_of_the_project_are_reported_not_followed(tmp_path, outside):
    root = copy_fixture(tmp_path)
    replace_with_symlink(root, "Dockerfile", "/etc/passwd")
    replace_with_symlink(root, "config", outside / "config")
    replace_with_symlink(root, ".github", outside / ".github")
    replace_with_symlink(root, "lib", outside / "lib")
    run = check(root, "full")
    assert "root:" not in run.stdout and "OUTSIDE-MARKER" not in run.stdout
    assert str(outside) not in run.stdout and str(tmp_path) not in run.stdout
    concise = check(root)
    for rel in ("Dockerfile", "config/config.exs", ".github/workflows"):
        [line] = fly001(concise, rel)
        assert "outside the project" in line, line


def test_fly_toml_symlinked_out_is_reported_however_it_is_named(tmp_path, outside):
    root = copy_fixture(tmp_path)
    replace_with_symlink(root, "fly.toml", outside / "fly.toml")
    for args in ((), ("fly.toml",), ("--app-config", "fly.toml")):
        paths = () if args else (".",)
        run = run_bounded("check", *paths, *args, "--output-format", "concise", cwd=root)
        assert run.returncode == 1, run.stderr
        assert "OUTSIDE-MARKER" not in run.stdout
        [line] = fly001(run, "fly.toml")
        assert "outside the project" in line, (args, line)


# -- ProjectFS directly ---------------------------------------------------------------------------


def read_in_thread(fs: ProjectFS, rel: str, timeout: float = 5.0):
    """fs.read(rel), failing (not hanging the suite) if it blocks."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(fs.read(rel)), daemon=True)
    worker.start()
    worker.join(timeout)
    assert result, f"reading {rel} blocked"
    return result[0]


def test_project_fs_never_blocks_or_leaves_the_root(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "ok.txt").write_text("hello\r\nworld\n", encoding="utf-8")
    os.mkfifo(root / "pipe")
    (root / "loop").symlink_to("loop")
    (root / "dangling").symlink_to("nowhere")
    (root / "out").symlink_to("/etc/passwd")
    (root / "outdir").symlink_to("/etc")
    (root / "sub").mkdir()
    fs = ProjectFS(root)

    src, problem = read_in_thread(fs, "ok.txt")
    assert problem is None and src.lines == ("hello", "world", "")
    expectations = {
        "pipe": "named pipe",
        "loop": "symlink loop",
        "dangling": "broken symlink",
        "out": "outside the project",
        "sub": "directory",
        "loop/x": "symlink loop",
        "outdir/passwd": "outside the project",
    }
    for rel, words in expectations.items():
        src, problem = read_in_thread(fs, rel)
        assert src is None and problem is not None, rel
        assert words in problem.message, (rel, problem.message)
        assert problem.location.path == rel and problem.location.line == 1
    for missing in ("nope", "ok.txt/child", "sub/nope", "out/x"):
        assert read_in_thread(fs, missing) == (None, None), missing
