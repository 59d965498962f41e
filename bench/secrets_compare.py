"""Compare flylint's secret detector with detect-secrets on the labelled corpus.

Every case of tests/secrets_corpus.py is written as the file it comes from (fly.toml, Dockerfile,
config/*.exs, mix.exs, rel/env.sh.eex, rel/vm.args.eex, .github/workflows/deploy.yml, …), one
directory per case, into a temporary directory. detect-secrets (`pip install detect-secrets`)
scans that tree with its default plugins and filters; a case counts as flagged when detect-secrets
reports anything in its file. flylint's numbers come from `classify` on the same cases (the
per-file extraction belongs to the FLY6xx checks, not to the detector).

    python bench/secrets_compare.py [--seed N] [--verbose]

Prints, for each tool, flagged must-flag cases and flagged decoys. Exits 0 (with a message) when
detect-secrets is not installed. Nothing leaves the machine; the temporary tree is deleted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flylint.secrets.detector import classify  # noqa: E402
from tests.secrets_corpus import Case, build_corpus, render  # noqa: E402


def write_corpus(cases: list[Case], root: Path) -> dict[str, int]:
    """Write each case under root/case_NNN/…; map the written relative path to its index."""
    where: dict[str, int] = {}
    for i, case in enumerate(cases):
        rel, text = render(case)
        path = root / f"case_{i:03d}" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        where[path.relative_to(root).as_posix()] = i
    return where


def run_detect_secrets(root: Path) -> dict[str, list[dict]]:
    cmd = [sys.executable, "-m", "detect_secrets", "scan", "--all-files", "."]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return json.loads(proc.stdout).get("results", {})


def _line(tool: str, flagged_must: int, n_must: int, flagged_decoys: int, n_decoys: int) -> str:
    return (
        f"{tool:<16} must-flag found {flagged_must:>3}/{n_must:<3}  "
        f"decoys flagged {flagged_decoys:>3}/{n_decoys}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=None, help="corpus seed (default: the tests')")
    ap.add_argument("--verbose", action="store_true", help="list the cases each tool got wrong")
    args = ap.parse_args(argv)

    cases = build_corpus() if args.seed is None else build_corpus(args.seed)
    must = [i for i, c in enumerate(cases) if c.expected]
    decoys = [i for i, c in enumerate(cases) if not c.expected]
    print(f"corpus: {len(cases)} cases, {len(must)} must-flag, {len(decoys)} decoys")

    ours = {i for i, c in enumerate(cases) if classify(c.name, c.value, c.context) is not None}
    print(_line("flylint", len(ours & set(must)), len(must), len(ours & set(decoys)), len(decoys)))

    if importlib.util.find_spec("detect_secrets") is None:
        print("detect-secrets: SKIPPED — not installed (pip install detect-secrets)")
        return 0
    with tempfile.TemporaryDirectory(prefix="flylint-secrets-") as tmp:
        root = Path(tmp)
        where = write_corpus(cases, root)
        results = run_detect_secrets(root)
    theirs = {where[p] for p, hits in results.items() if hits and p in where}
    unknown = sorted(p for p in results if p not in where)
    print(
        _line(
            "detect-secrets",
            len(theirs & set(must)),
            len(must),
            len(theirs & set(decoys)),
            len(decoys),
        )
    )
    if unknown:
        print(f"(detect-secrets reported {len(unknown)} paths outside the corpus map)")
    if args.verbose:
        for tool, got in (("flylint", ours), ("detect-secrets", theirs)):
            for i in must:
                if i not in got:
                    print(f"  {tool} missed: {cases[i].context} {cases[i].name} — {cases[i].note}")
            for i in decoys:
                if i in got:
                    print(
                        f"  {tool} flagged decoy: {cases[i].context} {cases[i].name} — "
                        f"{cases[i].note}"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
