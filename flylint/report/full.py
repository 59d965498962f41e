"""The default human format: a header line, the source with a caret underline, related locations,
and `help:`/`docs:` lines. Colour only when the context says so (TTY, no NO_COLOR)."""

from __future__ import annotations

from flylint.findings import Finding, Location
from flylint.report import ReportContext, summary_line

SEVERITY_COLOR = {"error": "31", "warning": "33", "info": "36"}
MAX_FRAME_LINES = 3


class Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text


def frame(loc: Location, ctx: ReportContext, paint: Paint, mark: str, label: str) -> list[str]:
    """Source lines of a location with an underline; [] when the file has no such line."""
    src = ctx.source(loc.path)
    if src is None or not (1 <= loc.line <= len(src.lines)):
        return []
    last = min(loc.end_line or loc.line, loc.line + MAX_FRAME_LINES - 1, len(src.lines))
    width = len(str(last))
    gutter = paint(" " * width + " |", "1;34")
    out = [gutter]
    for number in range(loc.line, last + 1):
        text = src.line(number)
        if ctx.redact is not None:
            text = ctx.redact(loc.path, number, text)
        shown = text.expandtabs(4)
        out.append(f"{paint(str(number).rjust(width) + ' |', '1;34')} {shown}")
        if number == loc.line:
            start = len(text[: loc.column - 1].expandtabs(4))
            if loc.end_line == loc.line and loc.end_column and loc.end_column > loc.column:
                end = len(text[: loc.end_column - 1].expandtabs(4))
            else:
                end = len(shown)
            length = max(1, end - start)
            under = " " * start + mark * length
            tail = f" {label}" if label else ""
            out.append(
                f"{gutter} {paint(under + tail, SEVERITY_COLOR.get('error') if mark == '^' else '1;34')}"
            )
    return out


def render_finding(f: Finding, ctx: ReportContext, paint: Paint) -> list[str]:
    loc = f.location
    sev = f.severity or "info"
    head = (
        f"{paint(f'{loc.path}:{loc.line}:{loc.column}:', '1')} "
        f"{paint(f.rule, '1;' + SEVERITY_COLOR.get(sev, '0'))} "
        f"{paint(f'[{sev}]', SEVERITY_COLOR.get(sev, '0'))} {f.message}"
    )
    lines = [head]
    lines.extend(frame(loc, ctx, paint, "^", loc.label))
    for rel in f.related:
        note = f" ({rel.label})" if rel.label else ""
        lines.append(f"  {paint('::: ', '1;34')}{rel.path}:{rel.line}:{rel.column}{note}")
        lines.extend(frame(rel, ctx, paint, "-", ""))
    if f.fix:
        lines.append(f"  {paint('= help:', '1')} {f.fix}")
    for url in f.docs:
        lines.append(f"  {paint('= docs:', '1')} {url}")
    return lines


def render(findings: list[Finding], ctx: ReportContext) -> str:
    paint = Paint(ctx.color)
    blocks = ["\n".join(render_finding(f, ctx, paint)) for f in findings]
    tail = [summary_line(findings, ctx), *ctx.notes]
    return "\n\n".join([*blocks, "\n".join(tail)]) + "\n"
