"""FLY2xx: security headers, browser and request protections."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flylint.checks import rule
from flylint.checks.phoenix_facts import (
    GIB,
    HSTS_ONE_YEAR,
    PackageVersion,
    ResponseHeader,
    SslEnforcement,
    config_unreliable,
    elixir_project,
    endpoint_setting,
    file_unreliable,
    header_text,
    hsts_max_age,
    package_version,
    plain_http_ports,
    rate_limit_dependencies,
    rate_limit_plugs,
    release_endpoints,
    response_headers,
    runtime_force_ssl,
    sensitive_route_kind,
    ssl_enforcement,
    undecided,
)
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.elixir.values import (
    Atom,
    EnvRef,
    KeywordList,
    ListValue,
    Literal,
    MapValue,
    TupleValue,
    Value,
    elixir_text,
    truthy,
)
from flylint.records import record

FIX_FORCE_SSL = "force_ssl: [rewrite_on: [:x_forwarded_proto]]"


@rule("FLY208")
def check_statics_bypass_app(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for entry in fly.statics:
        key = entry.get("key") if isinstance(entry.get("key"), str) else "statics"
        prefix = entry.get("url_prefix")
        what = f"[[statics]] {prefix}" if isinstance(prefix, str) else "[[statics]]"
        yield Finding(
            "FLY208",
            f"{what} is served by Fly's proxy straight from the image: the app's security "
            "headers (HSTS, CSP, X-Frame-Options) are not sent with these files",
            fly.locate(key),
            fix="serve these files through Plug.Static, or accept that they carry no app headers",
            key=key,
        )


# -- FLY201/FLY202: HSTS -------------------------------------------------------------------------


def _hsts_headers(fly) -> list[tuple[ResponseHeader, int | None]]:
    """HSTS response headers Fly's proxy adds that really tell browsers to use HTTPS, with their
    max-age (None when it cannot be read)."""
    out = []
    for header in response_headers(fly, "Strict-Transport-Security"):
        text = header_text(header.value)
        if text is None:
            continue  # `false` removes the header
        out.append((header, hsts_max_age(text)))
    return out


def _duration(seconds: int) -> str:
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit[:-1] if n == 1 else unit}"
    return f"{seconds} seconds"


@rule("FLY201")
def check_hsts_missing(app: App) -> Iterable[Finding]:
    fly = app.fly
    proj = elixir_project(app)
    if fly is None or proj is None:
        return
    endpoints = release_endpoints(proj)
    if not endpoints or config_unreliable(proj, "compile"):
        return
    if any(file_unreliable(proj, e.path) for e in endpoints):
        return
    switched_off: list[tuple[SslEnforcement, str, Value]] = []
    app_enforces = False
    for endpoint in endpoints:
        found = ssl_enforcement(app, endpoint)
        runtime = runtime_force_ssl(app, endpoint)
        if found is None or found.enabled is False:
            if runtime is not None and runtime.enabled is not False:
                return  # force_ssl only in runtime.exs: FLY104 is the finding
            continue
        if found.enabled is None:
            return
        app_enforces = True
        hsts = found.hsts_enabled()
        if hsts is None:
            return  # an option flylint cannot read
        if hsts:
            return  # Plug.SSL sends HSTS (FLY105 covers a missing rewrite_on)
        key, off = "hsts", found.option("hsts")
        if off is None or truthy(off) is not False:
            key, off = "expires", found.option("expires")
        if off is not None:
            switched_off.append((found, f"{key}: {elixir_text(off, 20)}", off))
    edge_ports = [p for p in plain_http_ports(fly) if p.port.force_https]
    if not app_enforces and not edge_ports:
        return  # HTTPS is not enforced at all: FLY101
    covered = {h.service.key for h, age in _hsts_headers(fly) if age is None or age > 0}
    http_services = [s for s in fly.services if s.serves_http]
    if http_services and all(s.key in covered for s in http_services):
        return
    if switched_off:
        for found, shown, off in switched_off:
            yield Finding(
                "FLY201",
                f"{found.what} for {found.endpoint.module} forces HTTPS but sends no "
                f"Strict-Transport-Security ({shown}), and no HSTS header is set in fly.toml: "
                "browsers keep trying plain HTTP first",
                off.location(),
                fix=f"drop {shown} from {found.what} (HSTS is on by default)",
                key=f"{found.endpoint.module}.{found.what}.hsts",
            )
        return
    for plain in edge_ports:
        if plain.service.key in covered:
            continue
        yield Finding(
            "FLY201",
            f"{plain.label} redirects to HTTPS (force_https = true) but nothing sends "
            f"Strict-Transport-Security: no force_ssl for {endpoints[0].module} in compile-time "
            "prod config and no Strict-Transport-Security in fly.toml http_options.response.headers",
            fly.locate(plain.force_key),
            fix=f"{FIX_FORCE_SSL} in config/prod.exs (HSTS is on by default)",
            key=plain.force_key,
        )


@rule("FLY202")
def check_hsts_max_age_short(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is not None:
        for endpoint in release_endpoints(proj):
            found = ssl_enforcement(app, endpoint)
            if found is None or found.enabled is not True or found.hsts_enabled() is not True:
                continue
            value = found.option("expires")
            seconds = found.expires()
            if value is None or seconds is None or not 0 < seconds < HSTS_ONE_YEAR:
                continue
            yield Finding(
                "FLY202",
                f"HSTS max-age from {found.what} expires: {seconds} ({_duration(seconds)}) is "
                f"below one year ({HSTS_ONE_YEAR}): browsers forget to insist on HTTPS soon "
                "after a visit",
                value.location(),
                fix="expires: 31_536_000 (or drop expires: one year is the default)",
                key=f"{endpoint.module}.{found.what}.expires",
            )
    for header, age in _hsts_headers(app.fly):
        if age is None or not 0 < age < HSTS_ONE_YEAR:
            continue
        yield Finding(
            "FLY202",
            f"{header.name} max-age={age} ({_duration(age)}) in fly.toml is below one year "
            f"({HSTS_ONE_YEAR}): browsers forget to insist on HTTPS soon after a visit",
            app.fly.locate(header.key),
            fix=f'{header.name} = "max-age=31536000; includeSubDomains"',
            key=header.key,
        )


# -- the router: pipelines and what they plug ------------------------------------------------------

HEADER_PLUG_NAME = re.compile(r"secure_?headers|security_?headers|browser_?headers", re.IGNORECASE)
CSP_NAME = re.compile(r"csp|content_?security_?policy", re.IGNORECASE)
CSP_HEADER = "content-security-policy"
# Module names of CSP libraries and custom CSP plugs (PlugContentSecurityPolicy, MyAppWeb.CSP).
CSP_MODULE = re.compile(r"ContentSecurityPolicy|\bCSP\b|SecureHeaders")
PHX18_DEFAULT_CSP = "base-uri 'self'; frame-ancestors 'self';"


def _routers(proj) -> list:
    """The routers the release's endpoints plug (all routers when none can be matched)."""
    found = []
    for endpoint in release_endpoints(proj):
        router = proj.router_for(endpoint)
        if router is not None and router not in found:
            found.append(router)
    return found or list(proj.routers)


def _expanded(router, name: str, depth: int = 0) -> list:
    """A pipeline's plugs with `plug :other_pipeline` replaced by that pipeline's plugs."""
    pipeline = router.pipelines.get(name)
    if pipeline is None or depth > 16:
        return []
    out = []
    for plug in pipeline.plugs:
        if not plug.is_module and plug.name in router.pipelines and plug.name != name:
            out.extend(_expanded(router, plug.name, depth + 1))
        else:
            out.append(plug)
    return out


def _used_pipelines(router) -> set[str]:
    used: set[str] = set()
    for scope in router.scopes:
        if not scope.conditional:
            used.update(scope.pipelines)
    for route in router.routes:
        if not route.conditional:
            used.update(route.pipelines)
    return used


def _accepts_html(plugs) -> bool:
    for plug in plugs:
        if plug.is_module or plug.name != "accepts":
            continue
        items = plug.options.items if isinstance(plug.options, ListValue) else ()
        if any(isinstance(i, Literal) and i.value == "html" for i in items):
            return True
    return False


@record(frozen=True)
class _HtmlPipeline:
    router: object
    name: str
    location: Location
    plugs: tuple


def _html_pipelines(app: App) -> tuple[object | None, list[_HtmlPipeline]]:
    """(Elixir project, html pipelines that some scope or route pipes through), or (None, [])
    when the router cannot be read reliably."""
    proj = elixir_project(app)
    if proj is None:
        return None, []
    out = []
    for router in _routers(proj):
        if file_unreliable(proj, router.path):
            return None, []
        used = _used_pipelines(router)
        for name, pipeline in router.pipelines.items():
            if name not in used or pipeline.conditional:
                continue
            plugs = _expanded(router, name)
            if _accepts_html(plugs):
                out.append(_HtmlPipeline(router, name, pipeline.location, tuple(plugs)))
    out.sort(key=lambda p: (p.location.path, p.location.line))
    return proj, out


def _strip_comments(text: str) -> str:
    """Source text without whole-line `#` comments (generated files are full of them)."""
    return "\n".join("" if ln.lstrip().startswith("#") else ln for ln in text.split("\n"))


def _function_calls(app: App, router, function: str, needle: str) -> bool:
    """Whether the router module defines `function` (def/defp) and its body mentions needle."""
    src = app.source(router.path)
    if src is None:
        return False
    text = _strip_comments(src.text)
    m = re.search(rf"^\s*defp?\s+{re.escape(function)}\b", text, re.MULTILINE)
    if m is None:
        return False
    rest = text[m.end() :]
    nxt = re.search(r"^\s*(?:defp?|defmacrop?)\s", rest, re.MULTILINE)
    body = rest[: nxt.start()] if nxt else rest
    return needle.lower() in body.lower()


def _sets_secure_headers(app: App, router, plugs) -> bool:
    for plug in plugs:
        if not plug.is_module and plug.name == "put_secure_browser_headers":
            return True
        if HEADER_PLUG_NAME.search(plug.name.replace(".", "_")):
            return True
        if not plug.is_module and _function_calls(
            app, router, plug.name, "put_secure_browser_headers"
        ):
            return True
    return False


@rule("FLY203")
def check_secure_headers_missing(app: App) -> Iterable[Finding]:
    proj, pipelines = _html_pipelines(app)
    if proj is None:
        return
    global_plugs = [p for e in release_endpoints(proj) for p in e.plugs]
    for pipe in pipelines:
        plugs = [*pipe.router.plugs, *global_plugs, *pipe.plugs]
        if _sets_secure_headers(app, pipe.router, plugs):
            continue
        yield Finding(
            "FLY203",
            f"pipeline :{pipe.name} accepts html but never plugs :put_secure_browser_headers: "
            "its pages go out without x-content-type-options, referrer-policy and framing "
            "protection",
            pipe.location,
            fix=f"add `plug :put_secure_browser_headers` to pipeline :{pipe.name}",
            key=f"{pipe.router.module}.pipeline.{pipe.name}",
        )


def _has_plug(plugs, *names: str) -> bool:
    return any(p.name in names for p in plugs)


@rule("FLY206")
def check_csrf_protection_missing(app: App) -> Iterable[Finding]:
    proj, pipelines = _html_pipelines(app)
    if proj is None:
        return
    for pipe in pipelines:
        plugs = [*pipe.router.plugs, *pipe.plugs]
        if not _has_plug(plugs, "fetch_session"):
            continue
        if _has_plug(plugs, "protect_from_forgery", "Plug.CSRFProtection"):
            continue
        if any(
            not p.is_module and _function_calls(app, pipe.router, p.name, "protect_from_forgery")
            for p in plugs
        ):
            continue
        yield Finding(
            "FLY206",
            f"pipeline :{pipe.name} fetches the session and accepts html but has no "
            ":protect_from_forgery: forms posted from other sites act with the user's session",
            pipe.location,
            fix=f"add `plug :protect_from_forgery` to pipeline :{pipe.name}",
            key=f"{pipe.router.module}.pipeline.{pipe.name}",
        )


# -- FLY204/FLY205: Content-Security-Policy --------------------------------------------------------


@record(frozen=True)
class _Csp:
    text: str | None  # None when it cannot be read
    location: Location
    origin: str  # "map", "default", "fly"


def _map_csp(options: Value | None) -> tuple[bool, Value | None]:
    """(readable, CSP value) of put_secure_browser_headers' argument."""
    if options is None:
        return True, None
    if isinstance(options, MapValue):
        for key, value in options.pairs:
            name = key.value if isinstance(key, Literal) else getattr(key, "name", None)
            if isinstance(name, str) and name.lower() == CSP_HEADER:
                return True, value
            if not isinstance(key, (Literal, Atom)):
                return False, None
        return True, None
    return False, None


def _pipeline_csps(pipe: _HtmlPipeline, phx18: bool | None) -> tuple[list[_Csp], bool]:
    """CSPs a pipeline's put_secure_browser_headers sends, and whether one could not be read."""
    out: list[_Csp] = []
    unreadable = False
    for plug in pipe.plugs:
        if plug.is_module or plug.name != "put_secure_browser_headers":
            continue
        readable, value = _map_csp(plug.options)
        if not readable:
            unreadable = True
        elif value is not None:
            if isinstance(value, Literal) and isinstance(value.value, str) and not undecided(value):
                out.append(_Csp(value.value, value.location(), "map"))
            elif not (isinstance(value, Literal) and value.value in (None, False)):
                unreadable = True
        elif phx18:
            out.append(_Csp(PHX18_DEFAULT_CSP, plug.location, "default"))
    return out, unreadable


def _fly_csps(fly) -> list[_Csp]:
    out = []
    for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
        for header in response_headers(fly, name):
            text = header_text(header.value)
            if text is not None:
                report_only = name.endswith("Only")
                out.append(_Csp(None if report_only else text, fly.locate(header.key), "fly"))
    return out


def _csp_elsewhere(app: App, proj, routers) -> Location | None:
    """A CSP set outside put_secure_browser_headers maps: a custom plug, put_resp_header, a
    layout <meta http-equiv>, or a CSP library. Where it was seen, else None."""
    import posixpath

    from flylint.parsers.elixir.project import project_glob

    plugs = [p for e in release_endpoints(proj) for p in e.plugs]
    for router in routers:
        plugs += [*router.plugs, *(p for pl in router.pipelines.values() for p in pl.plugs)]
    for plug in plugs:
        if CSP_NAME.search(plug.name.replace(".", "_")) and not plug.conditional:
            return plug.location.with_label("Content-Security-Policy plug")
    router_maps: dict[str, int] = {}
    for router in routers:
        count = 0
        for pipeline in router.pipelines.values():
            for plug in pipeline.plugs:
                if plug.name == "put_secure_browser_headers" and _map_csp(plug.options)[1]:
                    count += 1
        router_maps[router.path] = count
    glob = project_glob(app.fs)
    roots = [posixpath.normpath(proj.mix_root or ".")]
    roots += [posixpath.dirname(a.path) for a in proj.apps]
    for root in roots:
        for pattern in ("lib/**/*.ex", "lib/**/*.heex", "lib/**/*.eex"):
            for path in glob(posixpath.join(root, pattern)):
                src = app.source(path)
                if src is None:
                    continue
                text = _strip_comments(src.text)
                seen = text.lower().count(CSP_HEADER)
                if seen > router_maps.get(path, 0) or CSP_MODULE.search(text):
                    return Location(path, 1, 1, label="Content-Security-Policy set here")
    return None


def _phoenix_18(proj) -> tuple[bool | None, PackageVersion]:
    phoenix = package_version(proj, "phoenix")
    return phoenix.at_least((1, 8)), phoenix


@rule("FLY204")
def check_csp_missing(app: App) -> Iterable[Finding]:
    proj, pipelines = _html_pipelines(app)
    if proj is None or not pipelines:
        return
    phx18, phoenix = _phoenix_18(proj)
    for pipe in pipelines:
        csps, unreadable = _pipeline_csps(pipe, phx18)
        if csps or unreadable:
            return
    if _fly_csps(app.fly):
        return
    routers = _routers(proj)
    if _csp_elsewhere(app, proj, routers) is not None:
        return
    pipe = pipelines[0]
    if phx18 is False:
        phx = f"{phoenix.describe('Phoenix')} sends none by default"
    else:
        phx = (
            "flylint assumes Phoenix < 1.8 (no mix.lock entry for phoenix), which sends none by "
            "default"
        )
    names = ", ".join(f":{p.name}" for p in pipelines)
    yield Finding(
        "FLY204",
        f"no Content-Security-Policy for the html pipeline{'s' if len(pipelines) > 1 else ''} "
        f"{names}: {phx}, and no put_secure_browser_headers map, plug, layout meta tag or "
        "fly.toml response header sets one",
        pipe.location,
        fix=(
            f'plug :put_secure_browser_headers, %{{"content-security-policy" => '
            f"\"default-src 'self'\"}} in pipeline :{pipe.name}"
        ),
        key=f"{pipe.router.module}.pipeline.{pipe.name}",
    )


def csp_directives(text: str) -> dict[str, list[str]]:
    """A CSP as directive -> sources (first occurrence wins, as browsers do)."""
    out: dict[str, list[str]] = {}
    for part in text.split(";"):
        words = part.split()
        if words and words[0].lower() not in out:
            out[words[0].lower()] = words[1:]
    return out


def csp_weakness(text: str) -> str | None:
    """Why a CSP does not restrict scripts, or None when its script source is strict."""
    directives = csp_directives(text)
    name = "script-src" if "script-src" in directives else "default-src"
    if name not in directives:
        return "has neither default-src nor script-src, so it does not restrict scripts"
    sources = [s.lower() for s in directives[name]]
    strict_dynamic = "'strict-dynamic'" in sources
    nonce_or_hash = any(
        s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in sources
    )
    bad = []
    for s in sources:
        if (
            (s == "'unsafe-inline'" and not (strict_dynamic or nonce_or_hash))
            or s == "'unsafe-eval'"
            or ((s in ("*", "http:") or s.startswith("http://")) and not strict_dynamic)
        ):
            bad.append(s)
    if not bad:
        return None
    return f"lets {name} allow {' '.join(dict.fromkeys(bad))}, so injected scripts can run"


@rule("FLY205")
def check_csp_weak(app: App) -> Iterable[Finding]:
    proj, pipelines = _html_pipelines(app)
    if proj is None or not pipelines:
        return
    phx18, phoenix = _phoenix_18(proj)
    fly_csps = _fly_csps(app.fly)
    if any(c.text is None for c in fly_csps):
        fly_csps = []  # report-only or unreadable: leave the judgement to the router's CSP
    elsewhere: Location | bool | None = False  # computed lazily: it reads lib/
    reported: set[tuple[str, int]] = set()
    for pipe in pipelines:
        csps, unreadable = _pipeline_csps(pipe, phx18)
        every = csps + fly_csps
        if unreadable or not every:
            continue
        weak = [(c, csp_weakness(c.text or "")) for c in every]
        if any(reason is None for _, reason in weak):
            continue  # several policies all apply: one strict policy is enough
        if elsewhere is False:
            elsewhere = _csp_elsewhere(app, proj, _routers(proj))
        if elsewhere is not None:
            return  # a CSP from a plug or layout may be the strict one
        csp, reason = weak[0]
        where = (csp.location.path, csp.location.line)
        if where in reported:
            continue
        reported.add(where)
        if csp.origin == "default":
            what = (
                f"the default CSP of {phoenix.describe('Phoenix')} for pipeline :{pipe.name} "
                f"(`{PHX18_DEFAULT_CSP}`)"
            )
        elif csp.origin == "fly":
            what = f"the fly.toml Content-Security-Policy `{_short(csp.text or '')}`"
        else:
            what = f"the CSP of pipeline :{pipe.name} (`{_short(csp.text or '')}`)"
        yield Finding(
            "FLY205",
            f"{what} {reason}",
            csp.location,
            fix=(
                "set a CSP with script-src 'self' (and nonces or hashes for inline scripts): "
                'plug :put_secure_browser_headers, %{"content-security-policy" => ...}'
            ),
            key=f"{pipe.router.module}.pipeline.{pipe.name}.csp",
        )


def _short(text: str, limit: int = 70) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


# -- FLY207: check_origin -------------------------------------------------------------------------


def _is_false(value: Value | None) -> bool:
    return isinstance(value, Literal) and value.value is False


def _session_reaches_connect(socket, opts: Value | None) -> bool | None:
    """Whether the transport hands the cookie session to connect/3: LiveView's socket always
    does; any other socket only through `connect_info: [session: ...]` (the only connect_info
    key that reads cookies). None when connect_info is an expression flylint cannot read."""
    if socket.module == "Phoenix.LiveView.Socket" or socket.module is None:
        return True
    if opts is None or isinstance(opts, Literal):
        return False  # `websocket: true` or the default: no connect_info
    if not isinstance(opts, KeywordList):
        return None
    info = opts.get("connect_info")
    if info is None:
        return False
    if isinstance(info, KeywordList):
        return "session" in info
    if isinstance(info, ListValue):  # [:peer_data, session: ...] mixes atoms and pairs
        for item in info.items:
            if isinstance(item, TupleValue) and item.items:
                key = item.items[0]
                if isinstance(key, Atom) and key.name == "session":
                    return True
            elif not isinstance(item, Atom):
                return None
        return False
    return None


@rule("FLY207")
def check_check_origin_disabled(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is None:
        return
    for endpoint in release_endpoints(proj):
        sockets = [s for s in endpoint.sockets if not s.conditional]
        # transports that fall back to the endpoint's check_origin
        inheriting = False
        inheriting_session = False  # one of them hands the cookie session to connect/3
        for socket in sockets:
            for transport in ("websocket", "longpoll"):
                opts = socket.option(transport)
                if transport == "longpoll" and opts is None:
                    continue  # longpoll is off unless configured
                if _is_false(opts):
                    continue
                own = opts.get("check_origin") if hasattr(opts, "get") else None
                session = _session_reaches_connect(socket, opts)
                if own is None:
                    inheriting = True
                    inheriting_session = inheriting_session or session is not False
                elif _is_false(own):
                    yield _socket_origin_finding(endpoint, socket, transport, own, session)
        value = endpoint_setting(proj, endpoint, "effective", "check_origin")
        if not _is_false(value) or not inheriting:
            continue  # no socket uses the endpoint-wide setting
        reason = undecided(value)
        if inheriting_session:
            message = (
                f"check_origin: false for {endpoint.module} in {value.file}: any website can open "
                "its sockets (LiveView included) with the visitor's cookies (cross-site WebSocket "
                "hijacking)"
            )
        else:
            message = (
                f"check_origin: false for {endpoint.module} in {value.file}, but none of its "
                "sockets hands the session to connect/3 (no LiveView, no connect_info session): "
                "safe only while every socket authenticates with a token the client sends"
            )
        yield Finding(
            "FLY207",
            message + (f" ({reason})" if reason else ""),
            value.location(),
            fix="remove check_origin: false from prod config (the :url host is checked by "
            'default), or list origins: check_origin: ["https://your-app.example"]',
            severity="info" if value.conditional or not inheriting_session else None,
            key=f"{endpoint.module}.check_origin",
        )


def _socket_origin_finding(endpoint, socket, transport: str, own: Value, session) -> Finding:
    """A socket's own `check_origin: false`: a warning when connect/3 gets the cookie session
    (cross-site hijacking), info when it gets none (an API socket that authenticates with a
    token in its params is the usual reason)."""
    head = f'socket "{socket.path}" ({socket.module}) sets {transport}: [check_origin: false]'
    if session is False:
        message = (
            f"{head}, but its connect_info carries no session, so connect/3 sees no cookies: "
            "safe only while clients authenticate with a token they send"
        )
    elif session is None:
        message = (
            f"{head}; its connect_info is an expression flylint cannot read: if it carries the "
            "session, any website can open this socket with the visitor's cookies"
        )
    else:
        message = (
            f"{head}: any website can open this socket with the visitor's cookies (cross-site "
            "WebSocket hijacking)"
        )
    return Finding(
        "FLY207",
        message,
        own.location(),
        fix='check_origin: ["https://your-app.example"] (or drop it: the :url host is checked '
        "by default)",
        severity=None if session is True else "info",
        key=f"{endpoint.module}.socket.{socket.path}.{transport}.check_origin",
    )


# -- FLY209: request body limits -------------------------------------------------------------------


def _parsers_plugs(proj) -> list:
    plugs = [p for e in release_endpoints(proj) for p in e.plugs if p.name == "Plug.Parsers"]
    for router in _routers(proj):
        for p in [*router.plugs, *(x for pl in router.pipelines.values() for x in pl.plugs)]:
            if p.name == "Plug.Parsers":
                plugs.append(p)
    return plugs


def _length_settings(options: Value | None) -> list[tuple[str, Value]]:
    """("top-level" | "multipart", length value) pairs of Plug.Parsers options."""
    if not hasattr(options, "get"):
        return []
    out = []
    top = options.get("length")
    if top is not None:
        out.append(("", top))
    parsers = options.get("parsers")
    pairs: list[tuple[str, Value]] = []
    if isinstance(parsers, KeywordList):  # [{:multipart, length: n}] alone is a keyword list
        pairs = list(parsers.entries)
    elif isinstance(parsers, ListValue):
        for item in parsers.items:
            if isinstance(item, TupleValue) and len(item.items) == 2:
                name, opts = item.items
                if isinstance(name, Atom):
                    pairs.append((name.name, opts))
    for name, opts in pairs:
        length = opts.get("length") if hasattr(opts, "get") else None
        if length is not None:
            out.append((f"{name} ", length))
    return out


def _size(n: int) -> str:
    for unit, size in (("TiB", 1024**4), ("GiB", GIB), ("MiB", 1024**2)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _digits(n: int) -> str:
    return f"{n:_}"


@rule("FLY209")
def check_request_body_unbounded(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is None:
        return
    fly_env = app.fly.env if app.fly is not None else {}
    for plug in _parsers_plugs(proj):
        for where, value in _length_settings(plug.options):
            what = f"Plug.Parsers {where}length"
            severity = "info" if value.conditional or plug.conditional else None
            note = ""
            number: int | float | str | None = None
            if isinstance(value, EnvRef):
                raw = fly_env.get(value.name)
                if raw is not None and value.cast == "integer" and raw.strip().isdigit():
                    number = int(raw)
                    note = f" (from [env] {value.name} in {app.config_path})"
                elif raw is None and isinstance(value.default, Literal):
                    number = value.default.value
                    severity = "info"
                    note = (
                        f" (the default of {value.name}, which flylint cannot see: it is not "
                        "in [env])"
                    )
                else:
                    continue
            elif isinstance(value, Literal):
                number = value.value
            elif isinstance(value, Atom):
                number = f":{value.name}"
            else:
                continue  # an expression flylint does not compute
            if isinstance(number, int) and not isinstance(number, bool):
                if number <= GIB:
                    continue
                problem = (
                    f"{what}: {_digits(number)} ({_size(number)}) is above 1 GiB{note}: "
                    "uploads are buffered to temp files on the Machine's disk, so one client "
                    "can fill it or hold a Machine for the whole upload"
                )
            else:
                shown = number if isinstance(number, str) else elixir_text(value)
                problem = (
                    f"{what}: {shown} is not an integer byte count{note}: the request body has "
                    "no usable bound"
                )
            if value.conditional:
                problem += f" (under `{value.conditional}`)"
            yield Finding(
                "FLY209",
                problem,
                value.location(),
                fix="{:multipart, length: 100_000_000} sized to the largest file you accept (or "
                "upload straight to object storage)",
                severity=severity,
                key=f"{plug.location.path}:Plug.Parsers.{where.strip() or 'length'}",
            )


# -- FLY210: rate limiting -------------------------------------------------------------------------


@rule("FLY210")
def check_rate_limiting_absent(app: App) -> Iterable[Finding]:
    fly = app.fly
    proj = elixir_project(app)
    if fly is None or proj is None:
        return
    services = [s for s in fly.services if s.serves_http]
    if not services or any(s.hard_limit is not None for s in services):
        return
    if rate_limit_dependencies(proj) or rate_limit_plugs(proj):
        return
    sensitive = []
    for router in _routers(proj):
        if file_unreliable(proj, router.path):
            return
        for route in router.routes:
            kind = sensitive_route_kind(route)
            if kind is not None:
                sensitive.append((route, kind))
    if not sensitive:
        return
    sensitive.sort(key=lambda rk: (rk[0].location.path, rk[0].location.line))
    route, kind = sensitive[0]
    kinds = sorted({k for _, k in sensitive})
    parts = (route.target or "?").split(".")
    target = ".".join(parts[1:] if len(parts) > 1 else parts)
    if len(sensitive) > 1:
        subject = f'{len(sensitive)} {"/".join(kinds)} routes (first: {route.verb} "{route.path}"'
        subject += f" {target}) have"
    else:
        subject = f'{kind} route {route.verb} "{route.path}" ({target}) has'
    service = services[0]
    table = "http_service" if service.is_http_service else service.key
    label = "[http_service]" if service.is_http_service else "[[services]]"
    yield Finding(
        "FLY210",
        f"{subject} no rate limiting: no Hammer, PlugAttack or ExRated dependency, no rate-limit "
        f"plug, and {label} sets no concurrency hard_limit",
        route.location,
        related=(fly.locate(f"{table}.concurrency").with_label("no hard_limit here"),),
        fix="rate-limit these routes (e.g. Hammer in a plug), or set hard_limit in "
        f"[{table}.concurrency]",
        key=f"{route.location.path}:rate-limit",
    )
