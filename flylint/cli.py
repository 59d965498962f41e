"""Command line: `flylint check`, `flylint rules`, `flylint rule ID`.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage, config or
internal error. Never a traceback unless --debug.
"""

from __future__ import annotations

import os
import sys

import click

from flylint import __version__

OUTPUT_FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab")  # = report.FORMATS
FAIL_ON = ("error", "warning", "info", "never")


def split_list(values: tuple[str, ...]) -> tuple[str, ...]:
    """Selectors may be repeated or comma-separated: --select FLY1,FLY3 --select FLY701."""
    return tuple(part.strip() for v in values for part in v.split(",") if part.strip())


def want_color(choice: str, stream) -> bool:
    """--color beats NO_COLOR, which beats FORCE_COLOR, which beats TERM=dumb and isatty."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or os.environ.get("CLICOLOR_FORCE"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def fail(message: str) -> None:
    """A usage/config problem: one line on stderr, exit 2."""
    click.echo(f"flylint: error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="flylint")
def cli() -> None:
    """Lint a Phoenix application's Fly.io deployment: fly.toml, Dockerfile, Elixir config, CI."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--app-config", "app_config", metavar="FILE", help="Lint only this fly config.")
@click.option(
    "--select",
    multiple=True,
    metavar="RULES",
    help="Rules to run (IDs, slugs, prefixes like FLY3, ALL).",
)
@click.option("--ignore", multiple=True, metavar="RULES", help="Rules to skip.")
@click.option(
    "--extend-select", multiple=True, metavar="RULES", help="Rules to add to the selection."
)
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    help="Output format (default: full, or $FLYLINT_OUTPUT_FORMAT, or the config file's).",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the output here instead of stdout.",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT:FILE",
    help="Also write FORMAT to FILE (repeatable), e.g. sarif:flylint.sarif.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default=None,
    help="Lowest severity that makes the exit code 1 (default: warning).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="FLYLINT_CONFIG",
    help="Use this config file (else .flylint.toml found upwards).",
)
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option(
    "--severity",
    multiple=True,
    metavar="RULE=LEVEL",
    help="Override a rule's severity (repeatable).",
)
@click.option(
    "--per-file-ignores",
    multiple=True,
    metavar="GLOB:RULES",
    help="Ignore rules in matching files (repeatable).",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Paths not to lint (repeatable).")
@click.option(
    "--no-inline-ignores",
    is_flag=True,
    help="Disregard '# flylint: ignore[...]' comments (audits).",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Hide findings recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record the current findings in a baseline file and exit 0.",
)
@click.option("--statistics", is_flag=True, help="Add counts per rule after the summary.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only (no summary line).")
@click.option(
    "--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(
    paths,
    app_config,
    select,
    ignore,
    extend_select,
    output_format,
    output_file,
    reports,
    fail_on,
    config_file,
    isolated,
    severity,
    per_file_ignores,
    exclude,
    no_inline_ignores,
    baseline,
    write_baseline,
    statistics,
    quiet,
    color,
    debug,
) -> None:
    """Lint the Fly.io apps found below PATHS (default: the current directory)."""
    from flylint.run import CheckOptions, run_check

    fmt = output_format or os.environ.get("FLYLINT_OUTPUT_FORMAT") or None
    if fmt is not None and fmt not in OUTPUT_FORMATS:
        fail(f"FLYLINT_OUTPUT_FORMAT={fmt!r} is not one of {', '.join(OUTPUT_FORMATS)}")
    options = CheckOptions(
        paths=list(paths) or ["."],
        app_config=app_config,
        select=split_list(select),
        ignore=split_list(ignore),
        extend_select=split_list(extend_select),
        output_format=fmt,
        output_file=output_file,
        reports=parse_reports(reports, output_file),
        fail_on=fail_on,
        color=want_color(color, sys.stdout) and output_file is None,
        config=config_file,
        isolated=isolated,
        severity=tuple(severity),
        per_file_ignores=tuple(per_file_ignores),
        exclude=tuple(exclude),
        inline_ignores=not no_inline_ignores,
        baseline=baseline,
        write_baseline=write_baseline,
        quiet=quiet,
        statistics=statistics,
    )
    guarded(lambda: run_check(options), debug)


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing .flylint.toml.")
def init(force: bool) -> None:
    """Write a commented starter .flylint.toml in the current directory."""
    from pathlib import Path

    from flylint.config import render_starter_config

    target = Path(".flylint.toml")
    if target.exists() and not force:
        fail(".flylint.toml already exists (use --force to overwrite it)")
    target.write_text(render_starter_config(), encoding="utf-8")
    click.echo("wrote .flylint.toml")


def parse_reports(values: tuple[str, ...], output_file: str | None) -> tuple[tuple[str, str], ...]:
    """--report FORMAT:FILE entries, validated (exit 2 on a bad one)."""
    reports = []
    seen = {output_file} if output_file else set()
    for value in values:
        fmt, sep, path = value.partition(":")
        if not sep or not path:
            fail(f"--report {value!r}: expected FORMAT:FILE, e.g. sarif:flylint.sarif")
        if fmt not in OUTPUT_FORMATS:
            fail(f"--report {value!r}: unknown format {fmt!r} (one of {', '.join(OUTPUT_FORMATS)})")
        if path in seen:
            fail(f"--report {value!r}: {path} is written twice")
        seen.add(path)
        reports.append((fmt, path))
    return tuple(reports)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--output-format", type=click.Choice(("text", "json")), default="text", show_default=True
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def inspect(paths, output_format: str, debug: bool) -> None:
    """Print the model flylint builds of each app (fly config, image, Elixir config, routes)."""
    from flylint.inspect import run_inspect

    guarded(lambda: run_inspect(list(paths) or ["."], output_format), debug)


@cli.command("rules")
@click.option(
    "--output-format", type=click.Choice(("text", "json")), default="text", show_default=True
)
def rules_command(output_format: str) -> None:
    """List every rule: ID, slug, severity and title."""
    from flylint.explain import list_rules

    guarded(lambda: list_rules(output_format), False)


@cli.command("rule")
@click.argument("name")
@click.option(
    "--output-format", type=click.Choice(("text", "json")), default="text", show_default=True
)
def rule_command(name: str, output_format: str) -> None:
    """Explain one rule (by ID like FLY302 or slug like health-check-redirected)."""
    from flylint.explain import explain_rule

    guarded(lambda: explain_rule(name, output_format, want_color("auto", sys.stdout)), False)


def guarded(action, debug: bool) -> None:
    """Run a command body; turn any internal failure into one line and exit 2."""
    try:
        code = action()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("flylint: interrupted", err=True)
        sys.exit(2)
    except Exception as err:
        from flylint.errors import describe

        if debug:
            raise
        click.echo(f"flylint: error: {describe(err)}", err=True)
        sys.exit(2)
    sys.exit(code or 0)


def main() -> None:
    cli(prog_name="flylint")
