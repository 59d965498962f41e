"""The pre-commit hook: the manifest validates, its `files` pattern selects the right files, and the
real `pre-commit try-repo` installs this repository's working tree and runs the hook on a
throw-away git repository: it fails on an insecure project (showing the findings) and passes on a
hardened one.

The try-repo tests build a virtualenv and `pip install` flylint from the working tree, so they need
the package index (CI has it) and take a while. They are skipped only when pre-commit itself is
not installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / ".pre-commit-hooks.yaml"
# Directories of a working tree that never belong in the hook repository snapshot.
NOT_SHIPPED = {".git", ".venv", "venv", "build", "dist", "__pycache__", ".pytest_cache",
               ".ruff_cache", ".hypothesis", "node_modules"}  # fmt: skip


def pre_commit_command() -> list[str]:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    return [found]


def git(*args: str, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def isolated_env(tmp: Path) -> dict[str, str]:
    """pre-commit and git without the user's store, git config or flylint settings."""
    gitconfig = tmp / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = flylint tests\n\temail = tests@example.invalid\n"
        "[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYLINT_", "GIT_"))}
    env.update(
        PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        NO_COLOR="1",
    )
    return env


def test_manifest_validates():
    result = subprocess.run(
        [*pre_commit_command(), "validate-manifest", str(MANIFEST)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def load_hook() -> dict:
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe", pure=True).load(MANIFEST.read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["flylint"]
    return hooks[0]


def test_hook_runs_once_on_the_whole_project():
    hook = load_hook()
    assert hook["pass_filenames"] is False
    assert hook["require_serial"] is True
    assert hook["language"] == "python"
    assert hook["entry"] == "flylint check --output-format concise"


RELEVANT = [
    "fly.toml", "fly.staging.toml", "apps/web/fly.production.toml", "Dockerfile", "Dockerfile.prod",
    "prod.Dockerfile", "Containerfile", ".dockerignore", "config/runtime.exs", "config/prod.exs",
    "apps/core/config/config.exs", "lib/demo_web/endpoint.ex", "lib/demo_web/router.ex",
    "apps/demo_web/lib/demo_web/router.ex", "mix.exs", "mix.lock", "rel/env.sh.eex",
    "rel/overlays/bin/migrate", "rel/vm.args.eex", ".github/workflows/deploy.yml",
    ".github/workflows/ci.yaml", ".flylint.toml", ".flylint-baseline.json",
]  # fmt: skip
IRRELEVANT = [
    "pyproject.toml", "README.md", "lib/demo/repo.ex", "lib/demo/endpoint.ex",
    "lib/demo_web/controllers/page_controller.ex", "config/dev/extra.exs", "notfly.toml",
    "fly.toml.bak", "assets/js/app.js", "docs/Dockerfile.md", "release/notes.txt",
    ".github/dependabot.yml",
]  # fmt: skip


def test_files_pattern_selects_deploy_inputs_only():
    pattern = re.compile(load_hook()["files"])  # pre-commit uses re.search on the relative path
    assert [p for p in RELEVANT if not pattern.search(p)] == []
    assert [p for p in IRRELEVANT if pattern.search(p)] == []


def test_docs_pre_commit_snippet_is_a_valid_config(tmp_path):
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- ci:pre-commit -->\n```yaml\n(.*?)\n```", text, re.DOTALL)
    assert match, "docs/ci.md has no pre-commit snippet"
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(match.group(1) + "\n", encoding="utf-8")
    result = subprocess.run(
        [*pre_commit_command(), "validate-config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "id: flylint" in match.group(1) and load_hook()["id"] == "flylint"


# --- the real pre-commit ---------------------------------------------------------------------

INSECURE = {
    # Public HTTP without any service check, HTTPS enforced nowhere; the image runs as root.
    "fly.toml": (
        'app = "insecure-demo"\n'
        'primary_region = "ams"\n'
        "\n"
        "[http_service]\n"
        "  internal_port = 8080\n"
        '  auto_stop_machines = "stop"\n'
        "  auto_start_machines = true\n"
        "  min_machines_running = 0\n"
    ),
    "Dockerfile": (
        "FROM debian:bookworm-20241016-slim\n"
        "WORKDIR /app\n"
        "COPY _build/prod/rel/demo ./\n"
        'CMD ["/app/bin/server"]\n'
    ),
    ".dockerignore": "_build/\ndeps/\n.git\n.env*\n",
    "README.md": "insecure demo\n",
}

HARDENED = {
    "fly.toml": (
        'app = "hardened-demo"\n'
        'primary_region = "ams"\n'
        'kill_signal = "SIGTERM"\n'
        'kill_timeout = "30s"\n'
        "\n"
        "[env]\n"
        '  PHX_HOST = "hardened-demo.fly.dev"\n'
        '  PORT = "8080"\n'
        "\n"
        "[http_service]\n"
        "  internal_port = 8080\n"
        "  force_https = true\n"
        '  auto_stop_machines = "stop"\n'
        "  auto_start_machines = true\n"
        "  min_machines_running = 1\n"
        "\n"
        "  [http_service.concurrency]\n"
        '    type = "connections"\n'
        "    soft_limit = 1000\n"
        "    hard_limit = 1500\n"
        "\n"
        "  [[http_service.checks]]\n"
        '    grace_period = "10s"\n'
        '    interval = "15s"\n'
        '    method = "GET"\n'
        '    timeout = "5s"\n'
        '    path = "/health"\n'
        "    [http_service.checks.headers]\n"
        '      X-Forwarded-Proto = "https"\n'
        "\n"
        "  [http_service.http_options.response.headers]\n"
        '    Strict-Transport-Security = "max-age=63072000; includeSubDomains"\n'
        "    Content-Security-Policy = \"default-src 'self'; frame-ancestors 'self'\"\n"
    ),
    "Dockerfile": (
        "FROM debian:bookworm-20241016-slim\n"
        "ENV LANG=C.UTF-8 LC_ALL=C.UTF-8\n"
        "WORKDIR /app\n"
        "RUN useradd --system --uid 1000 --home /app app\n"
        "COPY --chown=app:app _build/prod/rel/demo ./\n"
        "USER app\n"
        "EXPOSE 8080\n"
        'CMD ["/app/bin/server"]\n'
    ),
    ".dockerignore": "_build/\ndeps/\n.git\n.env*\n",
    "README.md": "hardened demo\n",
}


def snapshot_files(root: Path) -> list[str]:
    """The working tree's files as git would commit them (tracked + untracked, minus ignored)."""
    try:
        listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=root)
        names = [n for n in listed.split("\0") if n]
    except (RuntimeError, OSError):
        names = [
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not NOT_SHIPPED & set(p.relative_to(root).parts)
        ]
    return sorted(n for n in names if (root / n).is_file() and not NOT_SHIPPED & set(n.split("/")))


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """This repository as pre-commit should see it.

    A clean checkout with a commit (CI) is used as is. Otherwise (uncommitted or untracked work,
    or no commit yet) the working tree is copied into a fresh repository and committed, because
    try-repo's shadow commit only picks up staged and tracked files."""
    pre_commit_command()
    tmp = tmp_path_factory.mktemp("hook")
    env = isolated_env(tmp)
    try:
        git("rev-parse", "--verify", "HEAD", cwd=REPO, env=env)
        clean = git("status", "--porcelain", "--untracked-files=all", cwd=REPO, env=env) == ""
    except (RuntimeError, OSError):
        clean = False
    if clean:
        return REPO
    snapshot = tmp / "flylint"
    for name in snapshot_files(REPO):
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    git("init", "-q", cwd=snapshot, env=env)
    git("add", "-A", cwd=snapshot, env=env)
    git("commit", "-q", "-m", "snapshot of the working tree", cwd=snapshot, env=env)
    return snapshot


def run_hook(hook_repo: Path, tmp: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    """Write files into a new git repository, stage and commit them, and try-repo the hook."""
    env = isolated_env(tmp)
    project = tmp / "project"
    for rel, content in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    git("init", "-q", cwd=project, env=env)
    git("add", "-A", cwd=project, env=env)
    git("commit", "-q", "-m", "app", cwd=project, env=env)
    command = [*pre_commit_command(), "try-repo", str(hook_repo), "flylint", "--all-files"]
    return subprocess.run(
        [*command, "--verbose", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def hook_duration(output: str) -> str:
    match = re.search(r"^- duration: ([\d.]+s)", output, re.MULTILINE)
    return match.group(1) if match else "?"


def test_try_repo_fails_on_insecure_project_and_shows_findings(hook_repo, tmp_path):
    result = run_hook(hook_repo, tmp_path, INSECURE)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # 3 would mean the hook environment failed to install
    assert re.search(r"^flylint \(Fly\.io \+ Phoenix deploy config\)\.+Failed$", out, re.MULTILINE)
    assert re.search(r"^fly\.toml:\d+:\d+: FLY301 warning: ", out, re.MULTILINE), out
    assert re.search(r"^Dockerfile:1:1: FLY701 warning: ", out, re.MULTILINE), out
    print(f"flylint hook duration (insecure project): {hook_duration(out)}")


def test_try_repo_passes_on_hardened_project(hook_repo, tmp_path):
    result = run_hook(hook_repo, tmp_path, HARDENED)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"^flylint \(Fly\.io \+ Phoenix deploy config\)\.+Passed$", out, re.MULTILINE)
    assert not re.search(r": FLY\d{3} (error|warning): ", out), out
    print(f"flylint hook duration (hardened project): {hook_duration(out)}")


def test_hook_is_skipped_when_no_relevant_file_is_staged(hook_repo, tmp_path):
    result = run_hook(hook_repo, tmp_path, {"README.md": "docs only\n", "lib/demo.ex": "x\n"})
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    skipped = r"^flylint \(Fly\.io \+ Phoenix deploy config\)\.+\(no files to check\)Skipped$"
    assert re.search(skipped, out, re.MULTILINE), out
