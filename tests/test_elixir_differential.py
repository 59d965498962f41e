"""Differential test: flylint's static config evaluator against Elixir's own Config.Reader.

For every case under tests/elixir_cases, Elixir reads config.exs and runtime.exs with
`Config.Reader.read!(path, env: :prod, target: :host)` under a fixed environment; flylint
evaluates the same files statically. Every value flylint reports as a literal or as an env
reference (resolved against the same environment) must be what Elixir computed, key for key.
Values flylint marks unknown or conditional are not compared (conditional keys may be absent).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from flylint.inspect_json import config_view_json
from flylint.parsers.elixir.evaluator import evaluate_config
from flylint.parsers.elixir.project import project_glob
from flylint.sources import ProjectFS

CASES_DIR = Path(__file__).resolve().parent / "elixir_cases"
READER = CASES_DIR / "read_config.exs"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "config").is_dir())
# Obviously fake values; everything else the fixtures read is unset.
FIXED_ENV = {
    "PHX_HOST": "flylint.test",
    "PORT": "8123",
    "DATABASE_URL": "ecto://fake_user:fake_pass@db.invalid/fake_db",
    "SECRET_KEY_BASE": "fake-secret-key-base-for-the-flylint-differential-test-0000000000000",
}
MIN_COMPARED = 150


class Skip:
    """A value flylint does not claim to know; `maybe_absent` when it is conditional."""

    def __init__(self, maybe_absent: bool) -> None:
        self.maybe_absent = maybe_absent


SKIP_COND = Skip(True)
SKIP_UNKNOWN = Skip(False)


def _cast(kind: str | None, raw: str) -> Any:
    if kind is None:
        return raw
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return SKIP_UNKNOWN
    if kind in ("atom", "existing_atom"):
        return {"true": True, "false": False, "nil": None}.get(raw, {"atom": raw})
    if kind == "charlist":
        return {"list": [ord(c) for c in raw]}
    return SKIP_UNKNOWN


def tagged(node: dict[str, Any], env: dict[str, str]) -> Any:
    """A value node as the Elixir-side encoder would print the value, or a Skip."""
    if node["conditional"] is not None:
        return SKIP_COND
    if node["kind"] == "unknown":
        return SKIP_UNKNOWN
    if node["kind"] == "env":
        raw = env.get(node["env"])
        if raw is not None:
            return ("env", _cast(node["cast"], raw))
        if node["default"] is not None:
            return ("env", tagged(node["default"], env))
        return SKIP_UNKNOWN if node["required"] else ("env", None)
    value = node["value"]
    if not isinstance(value, dict):
        return value
    if "atom" in value:
        return value
    if "charlist" in value:
        return {"list": [ord(c) for c in value["charlist"]]}
    if "keyword" in value:
        if not value["keyword"]:
            return {"list": []}
        return {"keyword": [[k, tagged(v, env)] for k, v in value["keyword"].items()]}
    if "list" in value:
        return {"list": [tagged(v, env) for v in value["list"]]}
    if "tuple" in value:
        return {"tuple": [tagged(v, env) for v in value["tuple"]]}
    if "map" in value:
        return {"map": [[tagged(k, env), tagged(v, env)] for k, v in value["map"]]}
    raise AssertionError(f"unexpected literal {value!r}")


def maybe_absent(value: Any) -> bool:
    if isinstance(value, Skip):
        return value.maybe_absent
    if isinstance(value, dict) and "keyword" in value:
        return all(maybe_absent(v) for _, v in value["keyword"])
    return False


def same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if type(a) is not type(b):
            return False  # 1 and 1.0 are different Elixir terms
        return math.isclose(a, b) if isinstance(a, float) else a == b
    return a == b


class Comparison:
    def __init__(self) -> None:
        self.compared = 0
        self.errors: list[str] = []

    def fail(self, path: str, ours: Any, theirs: Any) -> None:
        self.errors.append(f"{path}: flylint {_show(ours)} != elixir {_show(theirs)}")

    def compare(self, ours: Any, theirs: Any, path: str, last_wins: bool = False) -> None:
        if isinstance(ours, Skip):
            return
        while isinstance(ours, tuple) and ours[0] == "env":
            ours = ours[1]
        if isinstance(ours, Skip):
            return
        if not isinstance(ours, dict) or "atom" in ours:
            self.compared += 1
            if isinstance(ours, dict) or isinstance(theirs, dict):
                if ours != theirs:
                    self.fail(path, ours, theirs)
            elif not same_scalar(ours, theirs):
                self.fail(path, ours, theirs)
            return
        if not isinstance(theirs, dict):
            self.fail(path, ours, theirs)
            return
        if "keyword" in ours:
            self.compare_keyword(ours["keyword"], theirs, path, last_wins)
            return
        if "list" in ours and "keyword" in theirs:
            theirs = {"list": [{"tuple": [{"atom": k}, v]} for k, v in theirs["keyword"]]}
        for kind in ("list", "tuple"):
            if kind in ours:
                if kind not in theirs or len(theirs[kind]) != len(ours[kind]):
                    self.fail(path, ours, theirs)
                    return
                for i, (a, b) in enumerate(zip(ours[kind], theirs[kind], strict=True)):
                    self.compare(a, b, f"{path}[{i}]")
                return
        if "map" in ours:
            if "map" not in theirs or len(theirs["map"]) != len(ours["map"]):
                self.fail(path, ours, theirs)
                return
            index = {json.dumps(k, sort_keys=True): v for k, v in theirs["map"]}
            for k, v in ours["map"]:
                if isinstance(k, Skip):
                    continue
                key = json.dumps(k, sort_keys=True)
                if key not in index:
                    self.fail(f"{path}{{{key}}}", "present", "absent")
                    continue
                self.compare(v, index[key], f"{path}{{{key}}}")
            return
        raise AssertionError(f"unexpected tagged value {ours!r}")

    def compare_keyword(self, ours: list, theirs: Any, path: str, last_wins: bool) -> None:
        if "keyword" not in theirs:
            self.fail(path, {"keyword": ours}, theirs)
            return
        their_pairs = theirs["keyword"]
        index: dict[str, Any] = {}
        for k, v in their_pairs:
            if last_wins or k not in index:
                index[k] = v
        our_keys = {k for k, _ in ours}
        for k in index:
            if k not in our_keys:
                self.errors.append(f"{path}.{k}: elixir has it, flylint does not")
        for k, v in ours:
            if k not in index:
                if not maybe_absent(v):
                    self.errors.append(f"{path}.{k}: flylint has it, elixir does not")
                continue
            self.compare(v, index[k], f"{path}.{k}")


def _show(value: Any) -> str:
    text = json.dumps(value, default=lambda o: "<skip>")
    return text if len(text) < 200 else text[:199] + "…"


@pytest.fixture(scope="module")
def elixir_results() -> dict[str, dict[str, Any]]:
    exe = shutil.which("elixir")
    if exe is None:
        pytest.skip(
            "elixir is not installed: the differential test against Elixir's Config.Reader "
            "did not run (apt-get install elixir)"
        )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        **FIXED_ENV,
    }
    started = time.monotonic()
    proc = subprocess.run(
        [exe, str(READER), *(str(CASES_DIR / c) for c in CASES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=CASES_DIR,
    )
    print(f"elixir read {len(CASES)} cases in {time.monotonic() - started:.1f}s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith('{"case":'):
            data = json.loads(line)
            results[Path(data["case"]).name] = data
    return results


def flylint_views(case: str) -> dict[str, Any]:
    fs = ProjectFS(CASES_DIR / case)
    model = evaluate_config(fs.read, ".", "prod", glob=project_glob(fs))
    assert model.internal_errors == []
    return {
        "compile": config_view_json(model.compile_time),
        "runtime": config_view_json(model.runtime),
    }


def compare_case(case: str, theirs: dict[str, Any]) -> Comparison:
    comparison = Comparison()
    views = flylint_views(case)
    for view in ("compile", "runtime"):
        their_view = theirs[view]
        if their_view is None:
            assert not views[view], f"{case}: flylint read a {view} config Elixir did not find"
            continue
        assert "error" not in their_view, f"{case} {view}: Elixir failed: {their_view['error']}"
        if "keyword" not in their_view:
            comparison.fail(f"{case}:{view}", "apps", their_view)
            continue
        their_apps = dict(their_view["keyword"])
        for app, keys in views[view].items():
            ours = [[k, tagged(v, FIXED_ENV)] for k, v in keys.items()]
            if app not in their_apps:
                if not all(maybe_absent(v) for _, v in ours):
                    comparison.errors.append(f"{case}:{view}.{app}: flylint has it, elixir not")
                continue
            # Mix applies an app's keys one by one: with duplicates, the last one wins.
            comparison.compare_keyword(
                ours, their_apps[app], f"{case}:{view}.{app}", last_wins=True
            )
        for app in their_apps:
            if app not in views[view]:
                comparison.errors.append(f"{case}:{view}.{app}: elixir has it, flylint not")
    return comparison


@pytest.mark.parametrize("case", CASES)
def test_matches_config_reader(case: str, elixir_results: dict[str, dict[str, Any]]) -> None:
    assert case in elixir_results, f"Elixir printed nothing for {case}"
    comparison = compare_case(case, elixir_results[case])
    print(f"{case}: {comparison.compared} values compared")
    assert comparison.errors == [], "\n".join(comparison.errors)
    assert comparison.compared > 0


def test_enough_values_compared(elixir_results: dict[str, dict[str, Any]]) -> None:
    total = sum(compare_case(c, elixir_results[c]).compared for c in CASES if c in elixir_results)
    print(f"{total} values compared against Config.Reader across {len(CASES)} cases")
    assert total >= MIN_COMPARED


def test_every_fixture_is_valid_elixir(elixir_results: dict[str, dict[str, Any]]) -> None:
    """Endpoint, router and mix files are not evaluated above; Elixir's parser checks them."""
    files = sorted(str(p) for p in CASES_DIR.rglob("*") if p.suffix in (".ex", ".exs"))
    proc = subprocess.run(
        [
            shutil.which("elixir") or "elixir",
            "-e",
            "for f <- System.argv(), do: Code.string_to_quoted!(File.read!(f), file: f)",
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
