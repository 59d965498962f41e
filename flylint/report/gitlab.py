"""GitLab Code Quality report (`artifacts:reports:codequality`): a JSON array, one issue each.

GitLab collapses issues that share a fingerprint, so each issue's fingerprint is the finding's
stable key (see `sarif.fingerprint`) made unique by its occurrence number among equal keys.
Severity: error -> major (critical for rules whose security-severity is critical), warning ->
minor, info -> info (knowledge/outputs.md §10).
"""

from __future__ import annotations

import hashlib
import json

from flylint.findings import Finding
from flylint.report import ReportContext
from flylint.report.sarif import fingerprint, repo_path, security_severity

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}
CRITICAL_SCORE = 9.0


def gitlab_severity(f: Finding) -> str:
    severity = f.severity or "info"
    if severity == "error":
        score = security_severity(f.rule, "error")
        if score is not None and float(score) >= CRITICAL_SCORE:
            return "critical"
    return SEVERITY.get(severity, "info")


def unique_fingerprints(findings: list[Finding]) -> list[str]:
    """The stable key of each finding; the 2nd, 3rd... finding with the same key gets a suffix."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        base = fingerprint(f)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(base if n == 0 else hashlib.sha256(f"{base}:{n}".encode()).hexdigest())
    return out


def issue(f: Finding, fp: str, ctx: ReportContext) -> dict:
    loc = f.location
    line = max(1, loc.line)
    return {
        "type": "issue",
        "check_name": f.rule,
        "description": f"{f.rule}: {f.message}",
        "severity": gitlab_severity(f),
        "fingerprint": fp,
        "location": {
            "path": repo_path(loc.path, ctx),
            "lines": {"begin": line, "end": max(line, loc.end_line or line)},
        },
    }


def render(findings: list[Finding], ctx: ReportContext) -> str:
    issues = [
        issue(f, fp, ctx) for f, fp in zip(findings, unique_fingerprints(findings), strict=True)
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
