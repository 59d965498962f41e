"""One line per finding: `path:line:col: RULE severity: message` (editor- and grep-friendly)."""

from __future__ import annotations

from flylint.findings import Finding
from flylint.report import ReportContext, summary_line


def format_line(f: Finding) -> str:
    loc = f.location
    return f"{loc.path}:{loc.line}:{loc.column}: {f.rule} {f.severity}: {f.message}"


def render(findings: list[Finding], ctx: ReportContext) -> str:
    lines = [format_line(f) for f in findings]
    lines.append(summary_line(findings, ctx))
    lines.extend(ctx.notes)
    return "\n".join(lines) + "\n"
