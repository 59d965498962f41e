"""FLY3xx: health checks, ports, boot and deploy."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from flylint.checks import rule
from flylint.checks.phoenix_facts import (
    builds_mix_project,
    dependency_names,
    package_version,
    ssl_enforcement,
)
from flylint.checks.ports import (
    config_broken,
    file_broken,
    find_proxy,
    int_of,
    main_endpoint,
    phoenix_project,
    release_ports,
    web_services,
)
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.elixir.values import (
    Atom,
    KeywordList,
    ListValue,
    Literal,
    TupleValue,
    Value,
    children,
)

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
    # Only a config that deploys the mix project: a `[build] image` sidecar (Grafana) beside it
    # runs no Elixir release.
    if fly is None or app.mix_root is None or not builds_mix_project(app):
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


# -- Phoenix-aware checks: FLY302, FLY303, FLY304, FLY314, FLY316 ---------------------------------
# These join fly.toml with what the Phoenix app does. Shared helpers (environment lookups, the
# port the app listens on, a proxy in the image) live in flylint.checks.ports.


# Plugs from these namespaces never answer a request before an explicit Plug.SSL.
_LIBRARY_PLUG_PREFIXES = ("Plug.", "Phoenix.")


def _custom_plugs_before_ssl(ssl) -> list[str]:
    """Plugs an explicit `plug Plug.SSL` runs after that may answer a health check first
    (force_ssl runs before every user plug, so none)."""
    if ssl.kind != "plug":
        return []
    out = []
    for plug in ssl.endpoint.plugs:
        if plug.name == "Plug.SSL":
            break
        if not plug.is_module or not plug.name.startswith(_LIBRARY_PLUG_PREFIXES):
            out.append(plug.name)
    return out


def _header(headers: dict, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).strip().lower() == name:
            return str(value)
    return None


def _segments(path: str) -> list[str]:
    """Plug.Router.Utils.split: the path's segments, empty ones dropped."""
    return [s for s in path.split("?", 1)[0].split("#", 1)[0].split("/") if s]


def _exclude_entries(exclude: Value) -> list[tuple[str, Value]] | None:
    """(kind, value) pairs of an `exclude:` list: bare strings are hosts; None when unreadable."""
    if isinstance(exclude, KeywordList):
        return list(exclude.entries)
    if not isinstance(exclude, ListValue):
        return None
    out: list[tuple[str, Value]] = []
    for item in exclude.items:
        if isinstance(item, Literal) and isinstance(item.value, str):
            out.append(("host", item))
        elif (
            isinstance(item, TupleValue)
            and len(item.items) == 2
            and isinstance(item.items[0], Atom)
        ):
            out.append((item.items[0].name, item.items[1]))
        else:
            return None
    return out


def _str_list(value: Value | None) -> list[str] | None:
    if not isinstance(value, ListValue):
        return None
    out = []
    for item in value.items:
        if not (isinstance(item, Literal) and isinstance(item.value, str)):
            return None
        out.append(item.value)
    return out


def _excluded(
    options: Value | None, path: str, host: str | None, modern: bool | None
) -> tuple[bool | None, bool]:
    """(is the check request excluded from the redirect?, does the answer rest on assuming
    Plug < 1.19 because mix.lock does not say?). None when it cannot be known. modern: Plug is
    1.19 or later (None: unknown)."""
    exclude = options.get("exclude") if isinstance(options, KeywordList) else None
    if exclude is None:
        defaults = ["localhost", "127.0.0.1"] if modern else ["localhost"]
        return host in defaults, False
    if exclude.conditional is not None:
        return None, False
    entries = _exclude_entries(exclude)
    if entries is None:
        return None, False  # {m, f, a} or an expression
    keyword_form = any(kind != "host" for kind, _ in entries)
    if keyword_form and modern is False:
        return False, False  # Plug < 1.19 compares the tuples with conn.host: never equal
    hit = False
    for kind, value in entries:
        if kind == "host":
            hit = hit or (isinstance(value, Literal) and value.value == host)
        elif kind in ("hosts", "paths"):
            items = _str_list(value)
            if items is None:
                return None, False
            if kind == "hosts":
                hit = hit or host in items
            else:
                hit = hit or any(_segments(p) == _segments(path) for p in items)
        else:
            return None, False  # conn: {m, f, a}
    if keyword_form and modern is None:
        # no mix.lock: assume the older Plug, which ignores the keyword form
        return False, hit
    return hit, False


def _http_checks(fly) -> list[tuple[str, str | None, dict, str | None, str]]:
    """(key, path, headers, protocol, label) of every HTTP check: service-level and top-level."""
    out = []
    for service in fly.services:
        for check in service.checks:
            if check.kind == "http":
                out.append((check.key, check.path, check.headers, check.protocol, "http check"))
    for check in fly.machine_checks:
        if (check.type or "").lower() == "http":
            protocol = _top_check_raw(fly, check).get("protocol")
            protocol = protocol if isinstance(protocol, str) else None
            out.append((check.key, check.path, check.headers, protocol, f"[checks.{check.name}]"))
    return out


def _top_check_raw(fly, check) -> dict:
    """The TOML table of a top-level check (fields the model does not carry: protocol, method)."""
    table = fly.data.get("checks") if isinstance(fly.data, dict) else None
    raw = table.get(check.name) if isinstance(table, dict) else None
    return raw if isinstance(raw, dict) else {}


@rule("FLY302")
def check_health_check_redirected(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    checks = _http_checks(fly)
    if not checks:
        return
    proj = phoenix_project(app)
    if proj is None or config_broken(proj):
        return
    ssl = ssl_enforcement(app)
    if ssl is None or ssl.enabled is not True or _custom_plugs_before_ssl(ssl):
        return
    if ssl.kind == "force_ssl" and ssl.value is not None and ssl.options is None:
        return  # force_ssl: an expression flylint does not evaluate
    modern = package_version(proj, "plug").at_least((1, 19))
    rewrites = ssl.rewrites_proto()
    if rewrites is None:
        return
    for key, path, headers, protocol, label in checks:
        if (protocol or "").lower() == "https":
            continue  # the check speaks TLS to the app itself
        proto = _header(headers, "x-forwarded-proto")
        sends_https = proto is not None and proto.strip() == "https"
        if sends_https and rewrites:
            continue
        host = _header(headers, "host")
        host = host.split(":", 1)[0].strip() if host else None
        excluded, assumed = _excluded(ssl.options, path or "/", host, modern)
        if excluded is None or excluded:
            continue
        shown = f'"{path}"' if path else "(no path)"
        if sends_https:
            why = (
                "it sends X-Forwarded-Proto: https, but rewrite_on lacks :x_forwarded_proto, so "
                "Plug.SSL does not trust it"
            )
            fix = f"add :x_forwarded_proto to {ssl.what}'s rewrite_on"
        else:
            why = "it sends no X-Forwarded-Proto: https header and the path is not excluded"
            fix = 'add X-Forwarded-Proto = "https" to the check\'s headers'
            if not rewrites:
                fix += f" and :x_forwarded_proto to {ssl.what}'s rewrite_on"
        message = (
            f"{label} {shown} gets a redirect from {ssl.what} ({ssl.location.path}:"
            f"{ssl.location.line}) and fails (Fly checks never follow redirects): {why}"
        )
        severity = None
        if assumed:
            severity = "info"
            message += (
                "; mix.lock does not give the Plug version, so exclude: [paths: ...] is assumed "
                "to be ignored (Plug < 1.19)"
            )
        yield Finding(
            "FLY302",
            message,
            fly.locate(key),
            related=(ssl.location.with_label(f"{ssl.what} set here"),),
            fix=fix,
            severity=severity,
            key=key,
        )


# -- FLY303 ---------------------------------------------------------------------------------------

# Endpoint plugs that never answer a request themselves (Plug.Static is judged separately).
_PASS_THROUGH_PLUGS = frozenset(
    {
        "Plug.RequestId",
        "Plug.Telemetry",
        "Plug.Parsers",
        "Plug.MethodOverride",
        "Plug.Head",
        "Plug.Session",
        "Plug.SSL",
        "Plug.RewriteOn",
        "Plug.Logger",
        "Phoenix.LiveDashboard.RequestLogger",
        "Phoenix.CodeReloader",
        "Phoenix.LiveReloader",
        "Phoenix.Ecto.CheckRepoStatus",
        "Sentry.PlugContext",
        "RemoteIp",
    }
)
# `use` lines in a router that add no routes.
_HARMLESS_ROUTER_USES = frozenset(
    {
        "Phoenix.Router",
        "Plug.ErrorHandler",
        "Sentry.PlugCapture",
        "Honeybadger.Plug",
        "Appsignal.Plug",
        "Rollbax.Plug",
    }
)
_ROUTER_STATEMENTS = frozenset(
    {
        "import",
        "alias",
        "require",
        "plug",
        "pipeline",
        "pipe_through",
        "def",
        "defp",
        "if",
        "unless",
        "scope",
        "live_session",
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "options",
        "head",
        "connect",
        "trace",
        "match",
        "live",
        "forward",
        "resources",
        "live_dashboard",
    }
)
_BLOCK_STATEMENTS = frozenset({"if", "unless", "scope", "live_session"})
_VERB_ROUTES = frozenset({"get", "post", "put", "patch", "delete", "options", "head"})
_MAX_STATEMENTS = 20_000


def _router_opaque(app: App, router) -> bool:
    """True when the router module holds statements flylint cannot follow: macros from other
    libraries or the app (`health_routes()`, `use SomeLib.Routes`), which may add routes."""
    from flylint.parsers.elixir.modules import find_modules, module_uses
    from flylint.parsers.elixir.syntax import call_args, call_name, do_block, named, parse

    try:
        src, _ = app.fs.read(router.path)
    except Exception:
        return True
    if src is None:
        return True
    parsed = parse(src)
    if parsed.error is not None:
        return True
    module = next((m for m in find_modules(parsed) if m.name == router.module), None)
    if module is None:
        return True
    for used, args in module_uses(parsed, module):
        is_router_use = bool(args) and parsed.text(args[0]).strip() == ":router"
        if not is_router_use and used not in _HARMLESS_ROUTER_USES:
            return True
    stack = list(module.body)
    seen = 0
    while stack:
        seen += 1
        if seen > _MAX_STATEMENTS:
            return True
        node = stack.pop()
        if node.type in ("unary_operator", "comment", "string", "atom"):
            continue  # module attributes (@moduledoc, ...) and stray literals
        name = call_name(parsed, node)
        if name is None:
            return True
        if name == "use":
            continue  # judged above
        if name not in _ROUTER_STATEMENTS:
            args = call_args(node)
            if args and args[0].type == "string" and parsed.text(args[0]).startswith('"/'):
                continue  # a library route macro with a literal path: the scanner records it
            return True
        if name in _BLOCK_STATEMENTS:
            block = do_block(node)
            if block is not None:
                stack.extend(c for c in named(block) if c.type not in ("else_block",))
                for child in named(block):
                    if child.type == "else_block":
                        stack.extend(named(child))
    return False


def _route_matches(route_path: str, segs: list[str]) -> bool:
    pattern = _segments(route_path)
    for i, part in enumerate(pattern):
        if part.startswith("*"):
            return True
        if i >= len(segs):
            return False
        if part.startswith(":") or ":" in part or "*" in part:
            continue
        if part != segs[i]:
            return False
    return len(pattern) == len(segs)


def _prefix_of(route_path: str, segs: list[str]) -> list[str] | None:
    """The rest of segs after route_path when route_path is a prefix of it."""
    pattern = _segments(route_path)
    if len(pattern) > len(segs):
        return None
    for part, seg in zip(pattern, segs, strict=False):
        if not (part.startswith(":") or part == seg):
            return None
    return segs[len(pattern) :]


def _verb_ok(verb: str, method: str) -> bool:
    if verb.startswith("match"):
        return True
    if method in ("GET", "HEAD"):
        return verb in ("get", "live", "head") or verb not in _VERB_ROUTES
    return verb == method.lower() or verb not in _VERB_ROUTES | {"live"}


def _router_answers(proj, router, segs: list[str], method: str, depth: int = 0) -> bool:
    """True when some route of router (or a router it forwards to) may answer the request."""
    if depth > 8:
        return True
    for route in router.routes:
        verb = route.verb
        if verb == "forward":
            rest = _prefix_of(route.path, segs)
            if rest is None:
                continue
            target = next((r for r in proj.routers if r.module == route.target), None)
            if target is None or _router_answers(proj, target, rest, method, depth + 1):
                return True
            continue
        if verb in ("resources", "live_dashboard") or not (
            verb in _VERB_ROUTES or verb == "live" or verb.startswith("match")
        ):
            if _prefix_of(route.path, segs) is not None:
                return True  # many sub-paths, or a library macro
            continue
        if _verb_ok(verb, method) and _route_matches(route.path, segs):
            return True
    return False


def _static_may_serve(app: App, endpoint, plug, segs: list[str]) -> bool:
    options = plug.options
    if not isinstance(options, KeywordList):
        return True
    at = options.get("at")
    if not (isinstance(at, Literal) and isinstance(at.value, str)):
        return True
    rest = _prefix_of(at.value, segs)
    if not rest:
        return False
    only = options.get("only")
    if only is not None:
        listed = _str_list(only)
        if listed is not None:
            return rest[0] in listed
    if "." in rest[-1] or rest[0] in ("assets", "fonts", "images"):
        return True
    # a committed file without an extension under priv/static of the endpoint's application
    path = endpoint.path
    app_root = path.split("/lib/", 1)[0] if "/lib/" in path else "."
    if path.startswith("lib/"):
        app_root = "."
    candidate = posixpath.normpath(posixpath.join(app_root, "priv/static", *rest))
    try:
        return bool(app.fs.is_file(candidate))
    except Exception:
        return True


def _endpoint_answers(app: App, endpoint, router_module: str, segs: list[str]) -> bool:
    """True when an endpoint plug before the router may answer the path itself."""
    for plug in endpoint.plugs:
        if plug.is_module and plug.name == router_module:
            return False
        if plug.conditional is not None:
            return True
        if not plug.is_module:
            return True  # a function plug in the endpoint: it may answer anything
        if plug.name == "Plug.Static":
            if _static_may_serve(app, endpoint, plug, segs):
                return True
            continue
        if plug.name not in _PASS_THROUGH_PLUGS:
            return True
    return False


def _similar_routes(router, method: str) -> list[str]:
    out = []
    for route in router.routes:
        if not _verb_ok(route.verb, method) or ":" in route.path or "*" in route.path:
            continue
        if re.search(r"health|status|ping|alive|ready|live", route.path.split("/")[-1] or ""):
            out.append(route.path)
    return out


@rule("FLY303")
def check_health_check_path_unrouted(app: App) -> Iterable[Finding]:
    fly = app.fly
    proj = phoenix_project(app)
    if fly is None or proj is None:
        return
    checks = _http_checks(fly)
    if not checks:
        return
    endpoint = main_endpoint(proj)
    if endpoint is None or file_broken(proj, endpoint.path):
        return
    try:
        router = proj.router_for(endpoint)
    except Exception:
        router = None
    if router is None or file_broken(proj, router.path):
        return
    if any(p.is_module and p.name != "Plug.SSL" for p in router.plugs):
        return  # a module plug outside the pipelines runs for every request: it may answer
    if any(not p.is_module and p.name not in ("match", "dispatch") for p in router.plugs):
        return
    opaque: bool | None = None
    method_of = {}
    for service in fly.services:
        for check in service.checks:
            method_of[check.key] = check.method
    for check in fly.machine_checks:
        method = _top_check_raw(fly, check).get("method")
        method_of[check.key] = method if isinstance(method, str) else None
    for key, path, _headers, _protocol, label in checks:
        if not path or not path.startswith("/"):
            continue
        method = (method_of.get(key) or "GET").upper()
        segs = _segments(path)
        if _endpoint_answers(app, endpoint, router.module, segs):
            continue
        if _router_answers(proj, router, segs, method):
            continue
        if opaque is None:
            opaque = _router_opaque(app, router)
        if opaque:
            return
        similar = [p for p in _similar_routes(router, method) if p != path]
        fix = (
            f'path = "{similar[0]}" (routed in {router.module})'
            if similar
            else f'add `get "{path.split("?", 1)[0]}", HealthController, :show` to '
            f"{router.module} outside any pipeline"
        )
        path_key = f"{key}.path"
        yield Finding(
            "FLY303",
            f'{label} path "{path}" is not routed: no route in {router.module} and no plug in '
            f"{endpoint.module} answers {method} {path}, so the check gets a 404 and fails",
            fly.locate(path_key if fly.has_key(path_key) else key),
            related=(router.location.with_label("router"),),
            fix=fix,
            key=path_key,
        )


# -- FLY304 ---------------------------------------------------------------------------------------


def _config_ports(proj) -> set[int]:
    """Integers written under a `*port*` key anywhere in the effective config (a second listener,
    a metrics exporter): a check on such a port probes something that listens."""
    out: set[int] = set()
    stack: list[Value] = list(proj.config.effective.values())
    seen = 0
    while stack and seen < 50_000:
        seen += 1
        value = stack.pop()
        if isinstance(value, KeywordList):
            for key, item in value.entries:
                if "port" in key.lower():
                    for leaf in (item, getattr(item, "default", None)):
                        number = int_of(leaf) if isinstance(leaf, Value) else None
                        if number is not None:
                            out.add(number)
        stack.extend(children(value))
    return out


def _listening_elsewhere(app: App, proj, fly) -> set[int]:
    """Ports something other than the main endpoint is known to listen on."""
    ports: set[int] = set()
    for service in fly.services:
        if isinstance(service.internal_port, int):
            ports.add(service.internal_port)
    for entry in fly.data.get("metrics", []) if isinstance(fly.data, dict) else []:
        if isinstance(entry, dict) and isinstance(entry.get("port"), int):
            ports.add(entry["port"])
    if isinstance(fly.data, dict) and isinstance(fly.data.get("metrics"), dict):
        port = fly.data["metrics"].get("port")
        if isinstance(port, int):
            ports.add(port)
    for name, value in (fly.env or {}).items():
        if "PORT" in name.upper() and str(value).strip().isdigit():
            ports.add(int(str(value).strip()))
    runner = getattr(getattr(app, "dockerfile", None), "runner", None)
    for name, value in (getattr(runner, "env", None) or {}).items():
        if "PORT" in name.upper() and str(value).strip().isdigit():
            ports.add(int(str(value).strip()))
    ports |= _config_ports(proj)
    return ports


@rule("FLY304")
def check_health_check_port_mismatch(app: App) -> Iterable[Finding]:
    fly = app.fly
    proj = phoenix_project(app)
    if fly is None or proj is None or config_broken(proj):
        return
    # Service-level checks always probe internal_port (FLY307 judges that port); only top-level
    # checks name a port of their own.
    checks = [c for c in fly.machine_checks if isinstance(c.port, int) and c.port > 0]
    if not checks:
        return
    ports, complete = release_ports(app, proj)
    if not complete or not ports:
        return
    proxy, maybe_proxy = find_proxy(app)
    if maybe_proxy:
        return
    main = ports[0]
    fine = {p.port for p in ports} | _listening_elsewhere(app, proj, fly)
    if proxy is not None:
        fine |= {p for p in (proxy.listen, proxy.target) if p is not None}
    web_groups = {g for s in web_services(fly) for g in fly.groups_for(s.processes)}
    for check in checks:
        if check.port in fine:
            continue
        groups = set(fly.groups_for(check.processes))
        if fly.processes and web_groups and not groups & web_groups:
            continue  # runs on Machines of another process group, which may listen elsewhere
        key = f"{check.key}.port"
        yield Finding(
            "FLY304",
            f"[checks.{check.name}] probes port {check.port} but the app listens on "
            f"{main.port} ({main.why}): the check can never pass",
            fly.locate(key),
            related=(main.location,),
            fix=f"port = {main.port}",
            key=key,
        )


# -- FLY314 ---------------------------------------------------------------------------------------


def _jobs_running(value: Value | None) -> bool | None:
    """Oban `queues:`: True when queues are configured, False when none run, None unknown."""
    if value is None:
        return False  # Oban's default: no queues
    if isinstance(value, Literal) and value.value in (False, None):
        return False
    if isinstance(value, KeywordList):
        return bool(value.entries)
    if isinstance(value, ListValue):
        return bool(value.items)
    return None


def background_jobs(proj) -> tuple[str, Location] | None:
    """(what, where) when the app runs a job library configured for prod: Oban with queues,
    Quantum with jobs, Exq or Faktory."""
    deps = dependency_names(proj)
    effective = proj.config.effective
    if "oban" in deps:
        for _app, kw in effective.items():
            for key, value in kw.entries:
                if not isinstance(value, KeywordList) or value.conditional is not None:
                    continue
                if key != "Elixir.Oban" and not ("repo" in value and "queues" in value):
                    continue
                testing = value.get("testing")
                if isinstance(testing, Atom) and testing.name in ("inline", "manual"):
                    continue
                running = _jobs_running(value.get("queues"))
                if running:
                    queues = value.get("queues") or value
                    return "Oban queues", queues.location("Oban configured here")
    if "quantum" in deps:
        for _app, kw in effective.items():
            for key, value in kw.entries:
                if not (key.startswith("Elixir.") and isinstance(value, KeywordList)):
                    continue
                jobs = value.get("jobs")
                if value.conditional is None and _jobs_running(jobs):
                    return "Quantum jobs", jobs.location("Quantum jobs configured here")
    for dep, app_key, label in (
        ("exq", "exq", "Exq"),
        ("faktory_worker_ex", "faktory_worker_ex", "Faktory"),
    ):
        config = effective.get(app_key)
        if dep in deps and isinstance(config, KeywordList) and config.conditional is None:
            return f"{label} workers", config.location(f"{label} configured here")
    return None


@rule("FLY314")
def check_autostop_kills_background_work(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    proj = phoenix_project(app)
    jobs = None
    if proj is not None and not config_broken(proj):
        # A group without services never autostops: jobs there are safe, and apps with such a
        # worker group usually run their queues there.
        served = {g for s in fly.services for g in fly.groups_for(s.processes)}
        if not (set(fly.process_groups) - served):
            jobs = background_jobs(proj)
    for service in fly.services:
        if service.auto_stop not in ("stop", "suspend"):
            continue
        if (service.min_machines_running or 0) > 0:
            continue
        groups = fly.groups_for(service.processes)
        mount = next(
            (m for m in fly.mounts if set(fly.groups_for(m.processes)) & set(groups)), None
        )
        if mount is not None:
            what = f"a volume mounted at {mount.destination or '?'}"
            related = (fly.locate(mount.key).with_label("mount"),)
            harm = (
                "whatever runs beside the data on it (a database, replication, backups, "
                "scheduled work) stops with the last request"
            )
        elif jobs is not None:
            what = f"{jobs[0]}, {jobs[1].path}:{jobs[1].line}"
            related = (jobs[1],)
            harm = "jobs stop running whenever traffic stops and wait for the next request"
        else:
            continue
        min_key = f"{service.key}.min_machines_running"
        key = min_key if fly.has_key(min_key) else f"{service.key}.auto_stop_machines"
        group_text = ", ".join(groups) or fly.default_group
        yield Finding(
            "FLY314",
            f'auto_stop_machines = "{service.auto_stop}" with min_machines_running = '
            f"{service.min_machines_running or 0} stops every Machine of process group "
            f"{group_text} when HTTP traffic stops, but that group runs background work "
            f"({what}): {harm}",
            fly.locate(key),
            related=related,
            fix="min_machines_running = 1 (or run the background work in a process group "
            "without an HTTP service)",
            key=key,
        )


# -- FLY316 ---------------------------------------------------------------------------------------

_LIVEVIEW_SOFT_LIMIT = 100
_FLY_DEFAULT_SOFT_LIMIT = 20


def _realtime_evidence(proj) -> tuple[str, Location] | None:
    endpoint = main_endpoint(proj)
    if endpoint is None:
        return None
    for socket in endpoint.sockets:
        if socket.conditional is None:
            return f'socket "{socket.path or "?"}" in {endpoint.module}', socket.location
    try:
        router = proj.router_for(endpoint)
    except Exception:
        router = None
    for route in getattr(router, "routes", None) or []:
        if route.verb == "live" and route.conditional is None:
            return f'live "{route.path}" in {router.module}', route.location
    return None


@rule("FLY316")
def check_concurrency_too_low_for_liveview(app: App) -> Iterable[Finding]:
    fly = app.fly
    proj = phoenix_project(app)
    if fly is None or proj is None:
        return
    evidence = None
    for service in web_services(fly):
        ctype = (service.concurrency_type or "connections").lower()
        if ctype != "connections":
            continue  # how websockets count under "requests" is not documented
        soft = service.soft_limit
        if soft is not None and soft >= _LIVEVIEW_SOFT_LIMIT:
            continue
        if evidence is None:
            evidence = _realtime_evidence(proj)
            if evidence is None:
                return
        what, where_loc = evidence
        for key in (f"{service.key}.concurrency.soft_limit", f"{service.key}.concurrency"):
            if fly.has_key(key):
                break
        else:
            key = service.key
        table = "http_service" if service.is_http_service else "services"
        limit = (
            f"the default connections soft_limit of {_FLY_DEFAULT_SOFT_LIMIT}"
            if soft is None
            else f"soft_limit = {soft}"
        )
        yield Finding(
            "FLY316",
            f"the app uses LiveView or channels ({what}) but {_service_label(service)} has "
            f"{limit}: every open tab holds a websocket connection, so a Machine counts as "
            "full after a few dozen visitors",
            fly.locate(key),
            related=(where_loc.with_label("websocket endpoint"),),
            fix=f'[{table}.concurrency] type = "connections", soft_limit = 1000, '
            "hard_limit = 1000 (sized to the Machine)",
            key=f"{service.key}.concurrency",
        )
