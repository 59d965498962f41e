"""The click commands. `check`'s options come from `cli.CHECK_OPTIONS`, its body is
`cli.run_check_command`; `cli.main()` imports this module only when click must parse."""

from __future__ import annotations

import sys

import click

from flylint import __version__
from flylint.cli import (
    CHECK_OPTIONS,
    CHECK_PATHS,
    CheckOption,
    fail,
    guarded,
    run_check_command,
    want_color,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="flylint")
def cli() -> None:
    """Lint a Phoenix application's Fly.io deployment: fly.toml, Dockerfile, Elixir config, CI."""


def _click_option(opt: CheckOption):
    kwargs = dict(opt.click_kwargs)
    if opt.flag:
        kwargs["is_flag"] = True
    if opt.multiple:
        kwargs["multiple"] = True
    if opt.choices is not None:
        kwargs["type"] = click.Choice(opt.choices)
    if opt.path is not None:
        kwargs["type"] = click.Path(**opt.path)
    return click.option(*opt.names, opt.dest, **kwargs)


def _check_command(body):
    for opt in reversed(CHECK_OPTIONS):
        body = _click_option(opt)(body)
    body = click.argument("paths", nargs=-1, type=click.Path(**CHECK_PATHS))(body)
    return cli.command("check", help=run_check_command.__doc__)(body)


@_check_command
def check(**params) -> None:
    run_check_command(**params)


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
