"""Command line: `flylint check`, `flylint rules`, `flylint rule ID`.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage, config or
internal error. Never a traceback unless --debug.

The commands are click commands (`cli_click.py`), but importing click costs about a tenth of a
`flylint check` run. `check`'s options are therefore declared once, in `CHECK_OPTIONS`: click
builds the command from that table, and `main()` reads an ordinary `flylint check ...` command
line with it directly. Anything out of the ordinary (help, a bad value, an unknown option, `--`,
joined short options, shell completion) goes to click, which gives its usual answer.
"""

from __future__ import annotations

import os
import stat
import sys

OUTPUT_FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab")  # = report.FORMATS
FAIL_ON = ("error", "warning", "info", "never")
COLOR_CHOICES = ("auto", "always", "never")


class CheckOption:
    """One option of `flylint check`: click's declaration, plus what the fast path needs."""

    __slots__ = ("choices", "click_kwargs", "dest", "flag", "multiple", "names", "path")

    def __init__(
        self,
        *names: str,
        dest: str | None = None,
        flag: bool = False,
        multiple: bool = False,
        choices: tuple[str, ...] | None = None,
        path: dict | None = None,  # click.Path(**path); {} for a plain click.Path()
        **click_kwargs,
    ) -> None:
        self.names = names
        self.dest = dest or names[-1].lstrip("-").replace("-", "_")
        self.flag = flag
        self.multiple = multiple
        self.choices = choices
        self.path = path
        self.click_kwargs = click_kwargs

    def default(self):
        if self.multiple:
            return ()
        if self.flag:
            return False
        return self.click_kwargs.get("default")


CHECK_OPTIONS = (
    CheckOption(
        "--app-config", dest="app_config", metavar="FILE", help="Lint only this fly config."
    ),
    CheckOption(
        "--select",
        multiple=True,
        metavar="RULES",
        help="Rules to run (IDs, slugs, prefixes like FLY3, ALL).",
    ),
    CheckOption("--ignore", multiple=True, metavar="RULES", help="Rules to skip."),
    CheckOption(
        "--extend-select", multiple=True, metavar="RULES", help="Rules to add to the selection."
    ),
    CheckOption(
        "--output-format",
        choices=OUTPUT_FORMATS,
        default=None,
        help="Output format (default: full, or $FLYLINT_OUTPUT_FORMAT, or the config file's).",
    ),
    CheckOption(
        "-o",
        "--output-file",
        path={"dir_okay": False},
        default=None,
        help="Write the output here instead of stdout.",
    ),
    CheckOption(
        "--report",
        dest="reports",
        multiple=True,
        metavar="FORMAT:FILE",
        help="Also write FORMAT to FILE (repeatable), e.g. sarif:flylint.sarif.",
    ),
    CheckOption(
        "--fail-on",
        choices=FAIL_ON,
        default=None,
        help="Lowest severity that makes the exit code 1 (default: warning).",
    ),
    CheckOption(
        "--config",
        dest="config_file",
        path={"dir_okay": False},
        default=None,
        envvar="FLYLINT_CONFIG",
        help="Use this config file (else .flylint.toml found upwards).",
    ),
    CheckOption("--isolated", flag=True, help="Ignore every config file."),
    CheckOption(
        "--severity",
        multiple=True,
        metavar="RULE=LEVEL",
        help="Override a rule's severity (repeatable).",
    ),
    CheckOption(
        "--per-file-ignores",
        multiple=True,
        metavar="GLOB:RULES",
        help="Ignore rules in matching files (repeatable).",
    ),
    CheckOption("--exclude", multiple=True, metavar="GLOB", help="Paths not to lint (repeatable)."),
    CheckOption(
        "--no-inline-ignores",
        flag=True,
        help="Disregard '# flylint: ignore[...]' comments (audits).",
    ),
    CheckOption(
        "--baseline",
        path={"dir_okay": False, "exists": True},
        default=None,
        help="Hide findings recorded in this baseline file.",
    ),
    CheckOption(
        "--write-baseline",
        path={"dir_okay": False},
        default=None,
        help="Record the current findings in a baseline file and exit 0.",
    ),
    CheckOption("--statistics", flag=True, help="Add counts per rule after the summary."),
    CheckOption("-q", "--quiet", flag=True, help="Print findings only (no summary line)."),
    CheckOption("--color", choices=COLOR_CHOICES, default="auto", show_default=True),
    CheckOption("--debug", flag=True, help="Show tracebacks of internal errors."),
)
CHECK_PATHS = {}  # the PATHS argument: click.Path(**CHECK_PATHS), any number of them

_BY_NAME = {name: opt for opt in CHECK_OPTIONS for name in opt.names}


def fast_check_params(argv: list[str]) -> dict | None:
    """The parameters click would pass to `check` for `flylint check ARGS`, read without click;
    None when click must see the command line (anything but plain `--opt value`, `--opt=value`,
    `-o value`, flags and paths; a value click would reject; completion; $FLYLINT_CONFIG)."""
    if not argv or argv[0] != "check" or "_FLYLINT_COMPLETE" in os.environ:
        return None
    if "FLYLINT_CONFIG" in os.environ:  # an option's envvar: click's rules for it apply
        return None
    params: dict = {opt.dest: opt.default() for opt in CHECK_OPTIONS}
    paths: list[str] = []
    args = iter(argv[1:])
    for arg in args:
        if not arg.startswith("-"):
            if not _path_ok(arg, CHECK_PATHS):
                return None
            paths.append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        opt = _BY_NAME.get(name)
        if opt is None:
            return None
        if opt.flag:
            if eq:
                return None
            params[opt.dest] = True
            continue
        if not eq:
            value = next(args, None)
            if value is None or value.startswith("-"):
                return None
        if not value:
            return None
        if opt.choices is not None and value not in opt.choices:
            return None
        if opt.path is not None and not _path_ok(value, opt.path):
            return None
        params[opt.dest] = params[opt.dest] + (value,) if opt.multiple else value
    params["paths"] = tuple(paths)
    return params


def _path_ok(value: str, spec: dict) -> bool:
    """True when click.Path(**spec) would accept value as it is (it then returns it unchanged)."""
    try:
        st = os.stat(value)
    except OSError:
        return not spec.get("exists", False)
    except ValueError:  # an embedded NUL: let click report it
        return False
    if not spec.get("dir_okay", True) and stat.S_ISDIR(st.st_mode):
        return False
    return os.access(value, os.R_OK)


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


def echo_error(message: str) -> None:
    import click

    click.echo(message, err=True)


def fail(message: str) -> None:
    """A usage/config problem: one line on stderr, exit 2."""
    echo_error(f"flylint: error: {message}")
    sys.exit(2)


def run_check_command(
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


def guarded(action, debug: bool) -> None:
    """Run a command body; turn any internal failure into one line and exit 2."""
    try:
        code = action()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        echo_error("flylint: interrupted")
        sys.exit(2)
    except Exception as err:
        from flylint.errors import describe

        if debug:
            raise
        echo_error(f"flylint: error: {describe(err)}")
        sys.exit(2)
    sys.exit(code or 0)


def main() -> None:
    """The `flylint` command. A plain `flylint check` ends the process itself (see exit_now)."""
    import gc

    # A run allocates a few hundred thousand objects and frees almost all of them by reference
    # counting (about 200 objects an app end up in cycles). Collecting every 700 allocations,
    # Python's default, re-scans the growing heap for little: 3% of a run. Every 50,000 still
    # bounds what cycles can hold.
    gc.set_threshold(50_000)
    params = fast_check_params(sys.argv[1:])
    if params is None:
        from flylint.cli_click import cli

        cli(prog_name="flylint")
        return
    try:
        run_check_command(**params)
    except SystemExit as done:
        exit_now(done)
        raise


def exit_now(done: SystemExit) -> None:
    """End the process with done's exit code, skipping the interpreter's teardown: freeing every
    module and object one by one costs about a twentieth of a `flylint check`, and nothing needs
    it (reports are written and closed). Output is flushed first; when the code is not a number,
    atexit handlers or other threads exist, or flushing fails (a closed pipe), the normal exit
    runs instead."""
    import atexit

    code = 0 if done.code is None else done.code
    if not isinstance(code, int) or getattr(atexit, "_ncallbacks", lambda: 1)():
        return  # a message to print, or atexit work to do (coverage, a caller's handlers)
    if "threading" in sys.modules and sys.modules["threading"].active_count() > 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        return
    os._exit(code)


def __getattr__(name: str):
    """The click objects (`cli`, `check`, ...), built on first use."""
    if name in ("cli", "check", "init", "inspect", "rules_command", "rule_command"):
        from flylint import cli_click

        return getattr(cli_click, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
