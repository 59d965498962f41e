"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding.

GitHub shows at most 10 annotations of each level per step (knowledge/outputs.md §2) and drops
the rest silently, so errors come first, then warnings, then a summary notice when anything
overflowed (placed before the info notices so it is never itself dropped), then info notices.
Every finding is still printed, followed by the plain summary line for the log.
"""

from __future__ import annotations

from flylint.findings import SEVERITY_RANK, Finding
from flylint.report import ReportContext, summary_line
from flylint.report.sarif import repo_path

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
SHOWN_PER_LEVEL = 10


def escape_data(text: str) -> str:
    """A command's message: `%` first, then CR and LF (as @actions/core does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: like data, plus `:` and `,`, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, ctx: ReportContext) -> str:
    loc = f.location
    line = max(1, loc.line)
    end_line = max(line, loc.end_line or line)
    props = [("file", repo_path(loc.path, ctx)), ("line", str(line))]
    col = max(1, loc.column)
    end_col = loc.end_column or 0
    if end_line == line and end_col > col:
        props += [("col", str(col)), ("endLine", str(end_line)), ("endColumn", str(end_col))]
    else:
        props += [("col", str(col)), ("endLine", str(end_line))]
    title = f"{f.rule} {f.slug}".strip()
    props.append(("title", title))
    body = [f.message]
    if f.fix:
        body.append(f"help: {f.fix}")
    if f.docs:
        body.append(f"docs: {f.docs[0]}")
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    command = COMMANDS.get(f.severity or "info", "notice")
    return f"::{command} {head}::{escape_data(chr(10).join(body))}"


def overflow_notice(counts: dict[str, int]) -> str | None:
    extra = {level: n - SHOWN_PER_LEVEL for level, n in counts.items() if n > SHOWN_PER_LEVEL}
    if not extra:
        return None
    parts = ", ".join(f"{n} {COMMANDS[level]}s" for level, n in extra.items())
    text = (
        f"flylint: {sum(extra.values())} more findings are not annotated ({parts}; GitHub shows "
        f"{SHOWN_PER_LEVEL} per level); see the step log for all of them"
    )
    return f"::notice title=flylint::{escape_data(text)}"


def render(findings: list[Finding], ctx: ReportContext) -> str:
    ordered = sorted(
        findings, key=lambda f: (SEVERITY_RANK.get(f.severity or "info", 2), f.sort_key())
    )
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in ordered:
        counts[f.severity if f.severity in counts else "info"] += 1
    lines = [annotation(f, ctx) for f in ordered if f.severity in ("error", "warning")]
    notice = overflow_notice(counts)
    if notice:
        lines.append(notice)
    lines += [annotation(f, ctx) for f in ordered if f.severity not in ("error", "warning")]
    lines.append(summary_line(findings, ctx))
    lines.extend(ctx.notes)
    return "\n".join(lines) + "\n"
