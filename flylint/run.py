"""The `check` command's flow: discover -> parse -> rules -> report -> exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from flylint.engine import Selection, lint, severity_at_least
from flylint.report import ReportContext, render


@dataclass(frozen=True)
class CheckOptions:
    paths: list[str]
    app_config: str | None = None
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    output_format: str = "full"
    fail_on: str = "warning"
    color: bool = False


def run_check(options: CheckOptions) -> int:
    from flylint.discover import discover

    selection = Selection(options.select, options.ignore, options.extend_select)
    projects = discover(options.paths, options.app_config)
    findings = []
    apps = files = 0
    for project in projects:
        findings.extend(lint(project, selection))
        apps += len(project.apps)
        files += project.fs.files_read
    sources = {}
    for project in projects:
        sources.update({path: project for path in project.fs.read_paths()})

    def source(path: str):
        project = sources.get(path)
        return project.fs.read(path)[0] if project else None

    ctx = ReportContext(source=source, color=options.color, apps=apps, files=files, fail_on=options.fail_on)
    sys.stdout.write(render(options.output_format, findings, ctx))
    failing = any(severity_at_least(f.severity or "info", options.fail_on) for f in findings)
    return 1 if failing else 0
