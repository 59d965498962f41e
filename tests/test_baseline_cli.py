"""Issue acceptance for baselines, through the installed CLI on the insecure fixture: a baseline
hides all its findings; after blank lines and comments are inserted at the top of every file it
still hides all; one new violation is then exactly what is reported."""

from __future__ import annotations

import json
import re
import shutil

from conftest import FIXTURES, run_cli

# Files of the fixture whose formats all take `#` comments (fly.toml, Dockerfile, Elixir, YAML, sh).
COMMENTABLE = (
    "fly.toml",
    "Dockerfile",
    ".exs",
    ".ex",
    ".yml",
    ".yaml",
    ".eex",
    "mix.lock",
    ".dockerignore",
)


def findings(root, *args):
    result = run_cli("check", ".", "--output-format", "json", "--fail-on", "never", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["findings"]


def test_baseline_survives_moved_lines_and_reports_only_the_new_violation(tmp_path):
    root = tmp_path / "insecure"
    shutil.copytree(FIXTURES / "insecure", root)
    before = findings(root)
    assert len(before) > 50

    baseline = tmp_path / "baseline.json"
    wrote = run_cli("check", ".", "--write-baseline", str(baseline), cwd=root)
    assert wrote.returncode == 0, wrote.stderr
    assert findings(root, "--baseline", str(baseline)) == []

    for path in root.rglob("*"):
        if path.is_file() and (path.name.endswith(COMMENTABLE)) and "README" not in path.name:
            text = path.read_text(encoding="utf-8")
            if text.startswith("# syntax=") or text.startswith("#!"):
                first, rest = text.split("\n", 1)
                path.write_text(first + "\n# moved by a test\n\n" + rest, encoding="utf-8")
            else:
                path.write_text(
                    "# moved by a test\n\n# another comment\n\n" + text, encoding="utf-8"
                )
    moved = findings(root)
    assert len(moved) == len(before)
    assert [f["line"] for f in moved] != [f["line"] for f in before]
    assert findings(root, "--baseline", str(baseline)) == []

    fly = root / "fly.toml"
    fly.write_text(
        fly.read_text().replace(
            'kill_signal = "SIGINT"', 'kill_signal = "SIGINT"\nkill_signl = "SIGTERM"'
        )
    )
    new = findings(root, "--baseline", str(baseline))
    assert [(f["rule"], f["path"]) for f in new] == [("FLY002", "fly.toml")]
    assert "kill_signl" in new[0]["message"]


def test_baseline_summary_line_counts_hidden_and_stale(tmp_path):
    root = tmp_path / "insecure"
    shutil.copytree(FIXTURES / "insecure", root)
    baseline = tmp_path / "baseline.json"
    run_cli("check", ".", "--write-baseline", str(baseline), cwd=root)
    total = sum(e["count"] for e in json.loads(baseline.read_text())["entries"])
    (root / ".dockerignore").write_text(
        "_build/\ndeps/\n.git\n.env*\n"
    )  # fixes FLY707 (and FLY703 W)
    result = run_cli(
        "check", ".", "--baseline", str(baseline), "--output-format", "concise", cwd=root
    )
    match = re.search(
        r"^(\d+) hidden by baseline, (\d+) baseline entries no longer match\.$", result.stdout, re.M
    )
    assert match, result.stdout
    hidden, stale = int(match.group(1)), int(match.group(2))
    assert stale >= 1  # the fixed .dockerignore findings
    assert hidden + stale == total
