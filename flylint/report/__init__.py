"""Reporters: each turns the final, sorted findings into one output format. Nothing else."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import field

from flylint.findings import Finding
from flylint.records import record
from flylint.sources import SourceFile

FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab")


@record
class ReportContext:
    """What a reporter may know besides the findings."""

    source: Callable[[str], SourceFile | None]  # project-relative path -> decoded file
    color: bool = False
    apps: int = 0
    files: int = 0
    fail_on: str = "warning"
    notes: list[str] = field(default_factory=list)  # extra summary lines (baseline counts, ...)
    # (path, line number, line text) -> text safe to print; masks secret values in code frames.
    redact: Callable[[str, int, str], str] | None = None
    # The project root relative to its git repository root ("" when they are the same): formats
    # read by code hosts (SARIF, GitHub annotations, GitLab) need repository-relative paths.
    path_prefix: str = ""


def render(fmt: str, findings: list[Finding], ctx: ReportContext) -> str:
    """Render findings in a format; the module is imported only when that format is used."""
    module = importlib.import_module(f"flylint.report.{fmt}")
    return module.render(findings, ctx)


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.severity or "info"] = counts.get(f.severity or "info", 0) + 1
    return counts


def plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(findings: list[Finding], ctx: ReportContext) -> str:
    counts = count_by_severity(findings)
    apps = plural(ctx.apps, "app")
    if not findings:
        return f"No findings in {apps} ({plural(ctx.files, 'file')} read)."
    parts = ", ".join(plural(counts[s], s) for s in ("error", "warning", "info") if counts[s])
    return f"Found {parts} in {apps} ({plural(ctx.files, 'file')} read)."
