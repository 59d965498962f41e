"""FLY3xx: health checks, ports, boot and deploy."""

from __future__ import annotations

from collections.abc import Iterable

from flylint.checks import rule
from flylint.findings import Finding
from flylint.model import App

# flyctl clamps service-check durations to 1 s .. 1 min (validation.go).
_MIN_S = 1.0
_MAX_S = 60.0


def _service_label(service) -> str:
    if service.is_http_service:
        return "[http_service]"
    ports = [str(p.port) for p in service.ports if p.port is not None]
    if not ports:
        return service.key
    return f"{service.key} (port{'s' if len(ports) > 1 else ''} {', '.join(ports)})"


@rule("FLY301")
def check_health_check_missing(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for service in fly.services:
        if not service.serves_http or service.checks or service.checks_malformed:
            continue
        section = (
            "[[http_service.checks]]" if service.is_http_service else "[[services.http_checks]]"
        )
        yield Finding(
            "FLY301",
            f"{_service_label(service)} serves HTTP but has no health checks: deploys move on as "
            "soon as Machines start, and the proxy routes to Machines that cannot answer yet",
            fly.locate(service.key),
            fix=f'add a {section} with path = "/health" (a route that answers 200 without auth)',
            key=service.key,
        )


def _timing_problem(attr: str, raw, seconds: float, bare: bool) -> tuple[str, str] | None:
    """(what is wrong, fix) for one service-check duration, or None when flyctl keeps it as is."""
    shown = _show(raw)
    if (
        bare
        and isinstance(raw, (int, float))
        and raw < 1000
        and not (attr == "grace_period" and raw == 0)
    ):
        return (
            f"{attr} = {raw} is {raw} ms (bare numbers are milliseconds), almost surely meant as "
            "seconds; flyctl raises it to 1 s",
            f'{attr} = "{raw}s"',
        )
    if attr == "grace_period":
        if 0 < seconds < _MIN_S:
            return f"{attr} = {shown} is under 1 s; flyctl raises it to 1 s", f'{attr} = "1s"'
    elif seconds < _MIN_S:
        return f"{attr} = {shown} is under 1 s; flyctl raises it to 1 s", f'{attr} = "1s"'
    if seconds > _MAX_S:
        return f"{attr} = {shown} is over 1 minute; flyctl lowers it to 60 s", f'{attr} = "60s"'
    return None


@rule("FLY305")
def check_health_check_timing(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for service in fly.services:
        for check in service.checks:
            for attr in ("interval", "timeout", "grace_period"):
                duration = getattr(check, attr, None)
                if duration is None or duration.seconds is None:
                    continue  # unset, or unparseable (FLY003)
                problem = _timing_problem(attr, duration.raw, duration.seconds, duration.bare_int)
                if problem is None:
                    continue
                message, fix = problem
                key = f"{check.key}.{attr}"
                yield Finding(
                    "FLY305",
                    f"{check.kind} check {message}",
                    fly.locate(key),
                    fix=fix,
                    key=key,
                )


def _show(raw) -> str:
    return f'"{raw}"' if isinstance(raw, str) else str(raw)


@rule("FLY306")
def check_bluegreen_without_checks(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None or fly.deploy.strategy != "bluegreen":
        return
    if any(service.checks for service in fly.services) or fly.machine_checks:
        return
    yield Finding(
        "FLY306",
        'strategy = "bluegreen" but no health checks are defined: flyctl aborts the deploy '
        '("You need to define at least 1 check in order to use blue-green deployments")',
        fly.locate("deploy.strategy"),
        fix="add [[http_service.checks]] (or [[services.tcp_checks]]), or use a rolling deploy",
        key="deploy.strategy",
    )


@rule("FLY311")
def check_kill_signal_not_sigterm(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None or app.mix_root is None:
        return
    raw = fly.data.get("kill_signal") if isinstance(fly.data, dict) else None
    if raw is not None and not isinstance(raw, str):
        return  # wrong type: FLY003 reports it
    if isinstance(raw, str) and raw.strip().upper() == "SIGTERM":
        return
    if isinstance(raw, str):
        message = (
            f'kill_signal = "{raw}" but an Elixir release shuts down gracefully only on SIGTERM; '
            "other signals cut off in-flight requests and jobs"
        )
        key = "kill_signal"
    else:
        message = (
            "no kill_signal: Fly sends SIGINT by default, which does not run the release's "
            "graceful shutdown (in-flight requests and jobs are cut off)"
        )
        key = "kill_signal" if fly.has_key("kill_signal") else "app"
    yield Finding(
        "FLY311",
        message,
        fly.locate(key),
        fix='kill_signal = "SIGTERM" (at the top of fly.toml, before any [table])',
        key="kill_signal",
    )


@rule("FLY315")
def check_autostart_autostop_mismatch(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for service in fly.services:
        stop, start = service.auto_stop, service.auto_start
        if stop in ("stop", "suspend") and start is False:
            key = f"{service.key}.auto_start_machines"
            yield Finding(
                "FLY315",
                f'auto_stop_machines = "{stop}" but auto_start_machines = false: Machines are '
                "stopped when traffic drops and never started again, so the app goes down",
                fly.locate(key),
                fix="auto_start_machines = true",
                key=key,
            )
        elif start is True and stop in ("off", None):
            written = fly.has_key(f"{service.key}.auto_stop_machines") and stop is not None
            key = (
                f"{service.key}.auto_stop_machines"
                if written
                else f"{service.key}.auto_start_machines"
            )
            detail = "is off" if written else 'is not set (defaults to "off")'
            yield Finding(
                "FLY315",
                f"auto_start_machines = true but auto_stop_machines {detail}: Machines are never "
                "stopped, so autostart only matters after a crash or a manual stop",
                fly.locate(key),
                fix='auto_stop_machines = "stop" (or remove auto_start_machines)',
                key=key,
            )
