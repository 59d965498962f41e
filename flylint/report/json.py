"""Machine-readable JSON: a versioned envelope of findings and a summary."""

from __future__ import annotations

import json

from flylint.findings import Finding, Location
from flylint.report import ReportContext, count_by_severity


def location_dict(loc: Location) -> dict:
    return {
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "label": loc.label,
    }


def finding_dict(f: Finding) -> dict:
    loc = f.location
    return {
        "rule": f.rule,
        "slug": f.slug,
        "severity": f.severity,
        "message": f.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "related": [location_dict(r) for r in f.related],
        "fix": f.fix,
        "docs": list(f.docs),
    }


def render(findings: list[Finding], ctx: ReportContext) -> str:
    summary = count_by_severity(findings)
    summary.update({"files": ctx.files, "apps": ctx.apps})
    doc = {"version": 1, "findings": [finding_dict(f) for f in findings], "summary": summary}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
