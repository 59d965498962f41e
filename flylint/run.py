"""The `check` command's flow: config -> discover -> parse -> rules -> suppress -> report -> exit."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from flylint.engine import lint, severity_at_least
from flylint.findings import Finding
from flylint.records import record
from flylint.report import ReportContext, render


@record(frozen=True)
class CheckOptions:
    paths: list[str]
    app_config: str | None = None
    select: tuple[str, ...] = ()  # empty: the config file's selection (default ALL)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    output_format: str | None = None  # None: the config file's, else full
    output_file: str | None = None
    reports: tuple[tuple[str, str], ...] = ()  # (format, path) written besides the main output
    fail_on: str | None = None  # None: the config file's, else warning
    color: bool = False
    config: str | None = None
    isolated: bool = False
    severity: tuple[str, ...] = ()  # CODE=LEVEL
    per_file_ignores: tuple[str, ...] = ()  # GLOB:CODES
    exclude: tuple[str, ...] = ()
    inline_ignores: bool = True
    baseline: str | None = None
    write_baseline: str | None = None
    quiet: bool = False
    statistics: bool = False


class ReportWriteError(OSError):
    """An output file could not be written (exit 2)."""


def run_check(options: CheckOptions) -> int:
    from flylint.config import load_config
    from flylint.discover import discover

    start = Path(options.app_config or options.paths[0])
    config = load_config(
        start, Path(options.config) if options.config else None, options.isolated
    ).with_cli(
        select=options.select,
        ignore=options.ignore,
        extend_select=options.extend_select,
        fail_on=options.fail_on,
        output_format=options.output_format,
        severity=options.severity,
        per_file_ignores=options.per_file_ignores,
        exclude=options.exclude,
    )
    selection = config.selection()
    projects = discover(options.paths, options.app_config)
    findings: list[Finding] = []
    apps = files = 0
    for project in projects:
        project.apps = [
            a for a in project.apps if not config.is_excluded(project.root, a.config_path)
        ]
        kept, _unused_entries = config.apply(
            lint(project, selection, options.inline_ignores), project.root
        )
        findings.extend(kept)
        apps += len(project.apps)
        files += project.fs.files_read
    findings.sort(key=Finding.sort_key)
    owners = {path: project for project in projects for path in project.fs.read_paths()}

    def source(path: str):
        project = owners.get(path)
        return project.fs.read(path)[0] if project else None

    if options.write_baseline:
        from flylint.baseline import write_baseline

        count = write_baseline(findings, options.write_baseline, source)
        sys.stderr.write(f"flylint: wrote {count} finding(s) to {options.write_baseline}\n")
        return 0

    from flylint.secrets.redact import make_redactor

    ctx = ReportContext(
        source=source,
        redact=make_redactor(findings, source),
        color=options.color,
        apps=apps,
        files=files,
        fail_on=config.effective_fail_on,
        path_prefix=repo_prefix(projects),
    )
    if options.baseline:
        from flylint.baseline import apply_baseline, load_baseline

        findings, hidden, stale = apply_baseline(findings, load_baseline(options.baseline), source)
        ctx.notes.append(f"{hidden} hidden by baseline, {stale} baseline entries no longer match.")
    if options.statistics:
        ctx.notes.extend(statistics_lines(findings))

    fmt = config.effective_output_format
    text = render(fmt, findings, ctx)
    if options.quiet and fmt in ("full", "concise"):
        text = quiet_text(text, findings, ctx)
    if options.output_file:
        write_report(options.output_file, text)
    else:
        sys.stdout.write(text)
    plain = replace(ctx, color=False)
    for report_fmt, path in options.reports:
        write_report(path, render(report_fmt, findings, plain))
    failing = any(
        severity_at_least(f.severity or "info", config.effective_fail_on) for f in findings
    )
    return 1 if failing else 0


def statistics_lines(findings: list[Finding]) -> list[str]:
    """`count<TAB>rule<TAB>slug` per rule, most frequent first (ruff's --statistics shape)."""
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        counts[(f.rule, f.slug)] = counts.get((f.rule, f.slug), 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [f"{n}\t{rule}\t{slug}" for (rule, slug), n in ordered]


def quiet_text(text: str, findings: list[Finding], ctx: ReportContext) -> str:
    """--quiet: the findings only, without the summary and notes."""
    tail = len(ctx.notes) + 1
    lines = text.rstrip("\n").split("\n")
    kept = lines[:-tail] if len(lines) >= tail else []
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) + ("\n" if kept else "")


def write_report(path: str, text: str) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    except OSError as err:
        raise ReportWriteError(f"cannot write {path}: {err.strerror or err}") from err


def repo_prefix(projects) -> str:
    """The (single) project root relative to its git repository, for repository-relative paths."""
    if len(projects) != 1:
        return ""
    from flylint.discover import find_root

    root = projects[0].root
    repo = find_root(root)
    if repo == root:
        return ""
    return root.relative_to(repo).as_posix()
