"""FLY1xx: HTTPS and TLS at Fly's edge and in the app."""

from __future__ import annotations

import json
from collections.abc import Iterable

from flylint.checks import rule
from flylint.checks.phoenix_facts import (
    FLY_PROXY_NOTE,
    SslEnforcement,
    app_endpoint,
    atom_names,
    config_unreliable,
    elixir_project,
    endpoint_config,
    endpoint_setting,
    file_unreliable,
    force_ssl_setting,
    https_listener,
    package_version,
    plain_http_ports,
    release_endpoints,
    runtime_force_ssl,
    ssl_enforcement,
    ssl_enforcements,
    ssl_plug,
    undecided,
)
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.elixir.values import KeywordList, Literal, Value, elixir_text, to_python

SUPPORTED_TLS_VERSIONS = ("TLSv1.2", "TLSv1.3")


def _handlers(handlers: list[str]) -> str:
    return json.dumps(list(handlers)) if handlers else "[] (raw TCP)"


@rule("FLY103")
def check_force_https_non_http_handler(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for service in fly.services:
        if service.is_http_service:
            continue  # its force_https applies to the implicit port 80 ["http"]
        for port in service.ports:
            if port.force_https and "http" not in port.handlers:
                key = f"{port.key}.force_https"
                yield Finding(
                    "FLY103",
                    f"force_https = true on port {port.port} whose handlers are "
                    f"{_handlers(port.handlers)}: the redirect needs the http handler, "
                    "and flyctl rejects the deploy",
                    fly.locate(key),
                    fix='remove force_https from this port, or add "http" to its handlers',
                    key=key,
                )


@rule("FLY108")
def check_tls_versions_unsupported(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    seen: set[str] = set()
    for service in fly.services:
        for port in service.ports:
            if port.tls_versions is None:
                continue
            key = (
                "http_service.tls_options.versions"
                if service.is_http_service
                else f"{port.key}.tls_options.versions"
            )
            if key in seen:
                continue
            seen.add(key)
            bad = [v for v in port.tls_versions if v not in SUPPORTED_TLS_VERSIONS]
            if bad:
                yield Finding(
                    "FLY108",
                    f"tls_options.versions lists {', '.join(json.dumps(v) for v in bad)}; "
                    'Fly\'s proxy supports only "TLSv1.2" and "TLSv1.3"',
                    fly.locate(key),
                    fix='versions = ["TLSv1.2", "TLSv1.3"] (or drop tls_options.versions)',
                    key=key,
                )


@rule("FLY109")
def check_port_443_without_tls(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for service in fly.services:
        if service.is_http_service or service.protocol.lower() == "udp":
            continue
        for port in service.ports:
            if port.port != 443 or "tls" in port.handlers or "pg_tls" in port.handlers:
                continue
            key = f"{port.key}.handlers" if fly.has_key(f"{port.key}.handlers") else port.key
            yield Finding(
                "FLY109",
                f'port 443 has handlers {_handlers(port.handlers)} without "tls": Fly\'s proxy '
                "does not terminate TLS there, so https:// clients fail unless the app does TLS",
                fly.locate(key),
                fix='handlers = ["tls", "http"]',
                key=key,
            )


# -- FLY101-FLY107, FLY110: HTTPS enforcement in the app and at Fly's edge -------------------------
# What the app does is read through phoenix_facts; these checks only decide and word findings.

FIX_FORCE_SSL = "force_ssl: [rewrite_on: [:x_forwarded_proto]]"


def _where(loc: Location) -> str:
    return f"{loc.path}:{loc.line}"


def _endpoints_readable(proj, endpoints) -> bool:
    """The compile-time config and the endpoint files parse, so an absence means something."""
    if config_unreliable(proj, "compile"):
        return False
    return not any(file_unreliable(proj, e.path) for e in endpoints)


def _compile_config_location(proj, endpoint) -> Location | None:
    config = endpoint_config(proj, endpoint, "compile")
    if config is None or not config.file:
        return None
    return config.location("compile-time endpoint config (force_ssl belongs here)")


@rule("FLY101")
def check_https_not_enforced(app: App) -> Iterable[Finding]:
    ports = [p for p in plain_http_ports(app.fly) if not p.port.force_https]
    proj = elixir_project(app)
    if not ports or proj is None:
        return  # without the app's side flylint cannot tell that HTTPS is enforced nowhere
    endpoints = release_endpoints(proj)
    if not endpoints or not _endpoints_readable(proj, endpoints):
        return
    switched_off: SslEnforcement | None = None
    for endpoint in endpoints:
        found = ssl_enforcement(app, endpoint)
        if found is not None and found.enabled is not False:
            return  # on, or undecidable: never guess at an error
        runtime = runtime_force_ssl(app, endpoint)
        if runtime is not None and runtime.enabled is not False:
            return  # force_ssl only in runtime.exs: FLY104 reports that
        switched_off = switched_off or found
    endpoint = endpoints[0]
    related: list[Location] = []
    if switched_off is not None:
        app_side = f"{elixir_text(switched_off.value, 40)} at {_where(switched_off.location)}"
        related.append(switched_off.location.with_label("force_ssl switched off here"))
    else:
        app_side = f"no force_ssl for {endpoint.module} in compile-time prod config"
        loc = _compile_config_location(proj, endpoint)
        if loc is not None:
            related.append(loc)
    for plain in ports:
        written = app.fly.has_key(plain.force_key)
        edge = "force_https = false" if written else "no force_https"
        yield Finding(
            "FLY101",
            f"{plain.label} serves plain HTTP and HTTPS is enforced nowhere: {edge}, "
            f"{app_side}, no plug Plug.SSL in {endpoint.path}",
            app.fly.locate(plain.force_key),
            related=tuple(related),
            fix=f"set force_https = true in {plain.label} (and {FIX_FORCE_SSL} in config/prod.exs)",
            key=plain.force_key,
        )


@rule("FLY102")
def check_edge_force_https_missing(app: App) -> Iterable[Finding]:
    ports = [p for p in plain_http_ports(app.fly) if not p.port.force_https]
    if not ports:
        return
    enforcing = next((e for e in ssl_enforcements(app) if e.enabled is True), None)
    if enforcing is None:
        return
    statics = " and [[statics]] stay reachable over plain HTTP" if app.fly.statics else ""
    for plain in ports:
        yield Finding(
            "FLY102",
            f"{enforcing.endpoint.module} forces HTTPS ({enforcing.what} at "
            f"{_where(enforcing.location)}) but {plain.label} has no force_https: every plain-HTTP "
            f"request travels to a Machine just to be redirected{statics}",
            app.fly.locate(plain.force_key),
            related=(enforcing.location,),
            fix=f"set force_https = true in {plain.label}",
            key=plain.force_key,
        )


def _same_value(a: Value | None, b: Value | None) -> bool:
    return to_python(a) == to_python(b)


@rule("FLY104")
def check_force_ssl_in_runtime_config(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is None:
        return
    phoenix = package_version(proj, "phoenix")
    is_18 = phoenix.at_least((1, 8))
    for endpoint in release_endpoints(proj):
        runtime = runtime_force_ssl(app, endpoint)
        if runtime is None:
            continue
        compiled = endpoint_setting(proj, endpoint, "compile", "force_ssl")
        if compiled is not None and _same_value(compiled, runtime.value):
            continue  # the same value twice: redundant, but Phoenix accepts it
        if runtime.enabled is False and compiled is None and is_18 is False:
            continue  # an ignored false on Phoenix <= 1.7 changes nothing
        file = runtime.location.path
        if compiled is None:
            what = f"force_ssl is set only in {file}, but it is compile-time configuration"
        else:
            what = (
                f"force_ssl in {file} ({elixir_text(runtime.value, 50)}) differs from the "
                f"compile-time value at {_where(compiled.location())}"
            )
        if is_18 is True:
            effect = (
                f"{phoenix.describe('Phoenix')} refuses to boot when the runtime value differs "
                "from the compile-time one" + (" (unset)" if compiled is None else "")
            )
        elif is_18 is False:
            effect = f"{phoenix.describe('Phoenix')} ignores the runtime value for HTTP requests"
        else:
            effect = (
                "no mix.lock entry for phoenix, so flylint assumes Phoenix <= 1.7, which ignores "
                "the runtime value for HTTP requests (1.8 refuses to boot instead)"
            )
        related = []
        if compiled is not None:
            related.append(compiled.location("compile-time force_ssl"))
        else:
            loc = _compile_config_location(proj, endpoint)
            if loc is not None:
                related.append(loc)
        reason = undecided(runtime.value)
        yield Finding(
            "FLY104",
            f"{what}: {effect}" + (f" ({reason})" if reason else ""),
            runtime.location,
            related=tuple(related),
            fix=f"move force_ssl from {file} into config/prod.exs",
            severity="info" if runtime.value is not None and runtime.value.conditional else None,
            key=f"{endpoint.module}.force_ssl",
        )


def _enforcements_to_judge(app: App, proj, endpoint) -> list[SslEnforcement]:
    """Every place HTTPS is switched on for an endpoint: compile-time force_ssl, a runtime-only
    force_ssl (FLY104 supersedes findings there) and an explicit Plug.SSL plug."""
    out = []
    compiled = force_ssl_setting(proj, endpoint, "compile")
    runtime = force_ssl_setting(proj, endpoint, "runtime")
    plug = ssl_plug(endpoint)
    for found in (compiled, runtime if compiled is None else None, plug):
        if found is not None and found.enabled is not False and found.options is not None:
            out.append(found)
    return out


def _uses_fly_tls(fly) -> bool:
    if fly is None:
        return True  # a fly config we could not read: assume the usual TLS-terminating proxy
    return any("tls" in p.handlers for s in fly.services for p in s.ports)


@rule("FLY105")
def check_force_ssl_without_rewrite_on(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is None:
        return
    for endpoint in release_endpoints(proj):
        if https_listener(proj, endpoint) and not _uses_fly_tls(app.fly):
            continue  # the app terminates TLS itself: schemes are real
        for found in _enforcements_to_judge(app, proj, endpoint):
            if found.rewrites_proto() is not False:
                continue
            late = next(
                (
                    p
                    for p in endpoint.plugs
                    if p.name == "Plug.RewriteOn"
                    and "x_forwarded_proto" in (atom_names(p.options) or [])
                ),
                None,
            )
            note = ""
            related: tuple[Location, ...] = ()
            if found.kind == "force_ssl" and late is not None:
                note = f" (plug Plug.RewriteOn at {_where(late.location)} runs after it, too late)"
                related = (late.location.with_label("runs after force_ssl's Plug.SSL"),)
            rewrite = found.option("rewrite_on")
            if rewrite is not None:
                seen = f"{found.what} for {endpoint.module} has rewrite_on: "
                seen += f"{elixir_text(rewrite, 60)} without :x_forwarded_proto"
            else:
                shown = elixir_text(found.value, 60) if found.kind == "force_ssl" else "options"
                seen = f"{found.what} for {endpoint.module} ({shown}) has no rewrite_on: "
                seen += "[:x_forwarded_proto]"
            reason = found.reason or (undecided(found.value) if found.value is not None else None)
            yield Finding(
                "FLY105",
                f"{seen}{note}: {FLY_PROXY_NOTE}, so every request looks like http (redirect loop, "
                "no HSTS, cookies not marked secure)" + (f" ({reason})" if reason else ""),
                found.option_location("rewrite_on"),
                related=related,
                fix=f"add :x_forwarded_proto to rewrite_on ({FIX_FORCE_SSL})",
                severity="info" if found.enabled is None else None,
                key=f"{endpoint.module}.{found.what}.rewrite_on",
            )


def _project_apps(proj) -> list[str]:
    apps: list[str] = []
    for name in [proj.app_name, *(a.app for a in proj.apps), *proj.started_apps()]:
        if name and name not in apps:
            apps.append(name)
    return apps


_DEFMODULE = r"^\s*defmodule\s+{}\s+do\b"


def _module_defined(app: App, proj, module: str) -> bool:
    """Whether any lib file of the project defines module (however it is built)."""
    import posixpath
    import re

    from flylint.parsers.elixir.project import project_glob

    pattern = re.compile(_DEFMODULE.format(re.escape(module)), re.MULTILINE)
    glob = project_glob(app.fs)
    roots = [posixpath.normpath(proj.mix_root or ".")]
    roots += [posixpath.dirname(a.path) for a in proj.apps]
    for root in roots:
        for path in glob(posixpath.join(root, "lib/**/*.ex")):
            src = app.source(path)
            if src is not None and pattern.search(src.text):
                return True
    return False


@rule("FLY106")
def check_config_for_unknown_endpoint(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is None or not proj.endpoints:
        return  # no endpoint found at all: flylint cannot judge names
    by_name = {e.module: e for e in proj.endpoints}
    real = app_endpoint(app) or proj.endpoints[0]
    for view in ("compile", "runtime"):
        for otp_app in _project_apps(proj):
            config = proj.config.app(view, otp_app)
            if config is None:
                continue
            for key, value in config.entries:
                if not key.startswith("Elixir.") or not key.endswith("Endpoint"):
                    continue
                module = key[len("Elixir.") :]
                keys = ", ".join(value.keys()[:4]) if isinstance(value, KeywordList) else "settings"
                endpoint = by_name.get(module)
                if endpoint is not None:
                    if endpoint.otp_app is None or endpoint.otp_app == otp_app:
                        continue
                    problem = (
                        f"{module} reads its config from :{endpoint.otp_app} (its otp_app), "
                        f"not :{otp_app}"
                    )
                    fix = f"config :{endpoint.otp_app}, {module}, ..."
                    related = (endpoint.location.with_label("endpoint (otp_app)"),)
                else:
                    if _module_defined(app, proj, module):
                        continue  # a module of that name exists; it may wrap Phoenix.Endpoint
                    problem = (
                        f"no module {module} uses Phoenix.Endpoint (the app's endpoint is "
                        f"{real.module})"
                    )
                    fix = f"config :{real.otp_app or otp_app}, {real.module}, ..."
                    related = (real.location.with_label("the app's endpoint"),)
                yield Finding(
                    "FLY106",
                    f"config :{otp_app}, {module} sets {keys}, but {problem}: these settings have "
                    "no effect",
                    value.location(),
                    related=related,
                    fix=fix,
                    severity="info" if value.conditional else None,
                    key=f":{otp_app}.{module}",
                )


@rule("FLY107")
def check_spoofable_forwarded_headers(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is None:
        return
    for endpoint in release_endpoints(proj):
        for found in _enforcements_to_judge(app, proj, endpoint):
            rewrite = found.option("rewrite_on")
            names = atom_names(rewrite) or []
            bad = []
            if "x_forwarded_port" in names:
                bad.append(":x_forwarded_port")
            if "x_forwarded_host" in names:
                host = found.option("host")
                host_nil = isinstance(host, Literal) and host.value is None
                # Phoenix redirects to the :url host unless host: nil; a bare Plug.SSL uses the
                # request host.
                if host_nil or (found.kind == "plug" and host is None):
                    bad.append(":x_forwarded_host" + (" with host: nil" if host_nil else ""))
            if not bad or rewrite is None:
                continue
            yield Finding(
                "FLY107",
                f"{found.what} for {endpoint.module} trusts {' and '.join(bad)} in rewrite_on: "
                f"clients can set {'these headers' if len(bad) > 1 else 'it'} through Fly's "
                "proxy (only X-Forwarded-Proto is Fly's own), so redirects can be steered to "
                "another host or port",
                rewrite.location(),
                fix="rewrite_on: [:x_forwarded_proto] (and let the redirect use the :url host)",
                key=f"{endpoint.module}.{found.what}.rewrite_on",
            )
        for plug in endpoint.plugs:
            if plug.name != "Plug.RewriteOn" or plug.conditional:
                continue
            if "x_forwarded_port" in (atom_names(plug.options) or []):
                yield Finding(
                    "FLY107",
                    f"plug Plug.RewriteOn in {endpoint.module} trusts :x_forwarded_port, which "
                    "clients can set through Fly's proxy",
                    plug.location,
                    fix="plug Plug.RewriteOn, [:x_forwarded_proto]",
                    key=f"{endpoint.module}.Plug.RewriteOn",
                )


@rule("FLY110")
def check_ssl_exclude_ineffective(app: App) -> Iterable[Finding]:
    proj = elixir_project(app)
    if proj is None:
        return
    plug = package_version(proj, "plug")
    new_plug = plug.at_least((1, 19))
    for endpoint in release_endpoints(proj):
        has_force_ssl = any(
            endpoint_setting(proj, endpoint, view, "force_ssl") is not None
            for view in ("compile", "runtime")
        )
        for view in ("compile", "runtime"):
            sibling = endpoint_setting(proj, endpoint, view, "exclude")
            if sibling is None or not has_force_ssl:
                continue
            yield Finding(
                "FLY110",
                f"exclude: {elixir_text(sibling, 60)} sits beside force_ssl in the "
                f"{endpoint.module} config, where Plug.SSL never sees it (the phx.new "
                "1.8.3-1.8.4 template bug): nothing is excluded from the HTTPS redirect",
                sibling.location(),
                fix="move exclude inside force_ssl: force_ssl: [rewrite_on: [...], exclude: [...]]",
                key=f"{endpoint.module}.exclude",
            )
        for found in _enforcements_to_judge(app, proj, endpoint):
            exclude = found.option("exclude")
            if not isinstance(exclude, KeywordList) or new_plug is True:
                continue
            if new_plug is False:
                why = f"{plug.describe('Plug')} only understands a list of hosts (Plug >= 1.19)"
            else:
                why = (
                    "no mix.lock entry for plug, so flylint assumes Plug < 1.19, which only "
                    "understands a list of hosts"
                )
            yield Finding(
                "FLY110",
                f"{found.what} exclude: {elixir_text(exclude, 60)} uses the keyword form, but "
                f"{why}: nothing is excluded, silently",
                exclude.location(),
                fix='update plug to ~> 1.19, or use exclude: ["localhost"] (hosts only)',
                key=f"{endpoint.module}.{found.what}.exclude",
            )
