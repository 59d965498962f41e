"""FLY307, FLY309, FLY310, FLY317-FLY320: what fly.toml routes to against what the Phoenix app
does at boot — the port it listens on, the address it binds, whether it starts its endpoint at all,
IPv6 for the private network, and settings that only belong in development.

The helpers here (environment lookups across fly.toml, the Dockerfile and `rel/env.sh.eex`, the
port the app listens on, a proxy in the image) are shared with `health.py`.

Precision first: a value that comes from an expression flylint does not evaluate, or that sits
under a condition it cannot decide, makes a rule stay silent (or report at info, saying why).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable

from flylint.checks import rule
from flylint.checks.phoenix_facts import (
    config_unreliable,
    dependency_names,
    elixir_project,
    file_unreliable,
    release_endpoints,
)
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.elixir.values import (
    Atom,
    EnvRef,
    KeywordList,
    ListValue,
    Literal,
    TupleValue,
    Unknown,
    Value,
    children,
    elixir_text,
)
from flylint.records import record

# -- the Elixir side ------------------------------------------------------------------------------


def phoenix_project(app: App):
    """The Elixir project the app deploys, or None (one definition for every family:
    phoenix_facts.elixir_project)."""
    from flylint.checks.phoenix_facts import elixir_project as deployed_project

    return deployed_project(app)


def config_broken(proj) -> bool:
    """True when the prod config cannot be trusted (a config file with a syntax error, a missing
    import, an evaluator error): what it sets (or not) is then unknown, and rules that read config
    stay silent rather than guess."""
    try:
        return config_unreliable(proj, "compile") or config_unreliable(proj, "runtime")
    except Exception:
        return True


def file_broken(proj, path: str) -> bool:
    try:
        return file_unreliable(proj, path)
    except Exception:
        return True


def main_endpoint(proj):
    """The endpoint the release starts (the first one of an umbrella with several)."""
    found = release_endpoints(proj) if proj is not None else []
    return found[0] if found else None


def endpoint_get(proj, endpoint, view: str, *keys: str) -> Value | None:
    """A key of the endpoint's config (`config :otp_app, MyAppWeb.Endpoint, ...`)."""
    if endpoint is None or not endpoint.otp_app:
        return None
    try:
        return proj.config.get(view, endpoint.otp_app, endpoint.module, *keys)
    except Exception:
        return None


def int_of(value: Value | None) -> int | None:
    """An integer literal (or a numeric string) as Elixir config would read it."""
    if isinstance(value, Literal):
        v = value.value
        if isinstance(v, bool):
            return None
        if isinstance(v, int):
            return v
        if isinstance(v, str) and v.strip().isdigit():
            return int(v.strip())
    return None


def where(loc: Location | None) -> str:
    return f"{loc.path}:{loc.line}" if loc is not None else "?"


def locate(fly, key: str, label: str = "") -> Location | None:
    try:
        loc = fly.locate(key)
    except Exception:
        return None
    return loc.with_label(label) if label else loc


# -- environment variables as the release sees them -----------------------------------------------


@record(frozen=True)
class EnvSetting:
    """Where an environment variable is set for the running release."""

    name: str
    value: str | None  # None: set, but the value is not known statically
    location: Location
    origin: str  # how a message names it: `[env] PORT = "8080"`, `ENV PORT=4000`, ...
    conditional: bool = False


def _script_settings(proj, name: str) -> list[EnvSetting]:
    """Exports of `rel/env.sh.eex` (sourced by every release command, after the Machine's
    environment is in place, so an export there wins)."""
    out: list[EnvSetting] = []
    scripts = getattr(proj, "scripts", None) if proj is not None else None
    if not isinstance(scripts, dict):
        return out
    for path, script in sorted(scripts.items()):
        if posixpath.basename(path) not in ("env.sh.eex", "env.sh"):
            continue
        try:
            var = script.exported(name)
        except Exception:
            var = None
        if var is None:
            continue
        value = var.value
        if value is not None and ("$" in value or "<%" in value or var.conditional):
            value = None
        shown = f"export {name}={var.value}" if var.value is not None else f"export {name}"
        out.append(EnvSetting(name, value, var.location, shown, var.conditional))
    return out


def _fly_setting(app: App, name: str) -> EnvSetting | None:
    fly = getattr(app, "fly", None)
    env = getattr(fly, "env", None)
    if not isinstance(env, dict) or name not in env:
        return None
    loc = locate(fly, f"env.{name}") or Location(app.config_path)
    value = env[name]
    return EnvSetting(name, value, loc, f'[env] {name} = "{value}"')


def _docker_setting(app: App, name: str) -> EnvSetting | None:
    df = getattr(app, "dockerfile", None)
    runner = getattr(df, "runner", None)
    if runner is None or name not in (runner.env or {}):
        return None
    line = (runner.env_lines or {}).get(name)
    instr = None
    for stage in runner.lineage():
        for item in stage.instructions:
            if item.keyword == "ENV" and item.line == line:
                instr = item
    loc = df.location(instr, name) if instr is not None else Location(df.path, line or 1)
    value = None if name in (runner.env_unresolved or set()) else runner.env.get(name)
    shown = f"ENV {name}={value}" if value is not None else f"ENV {name}"
    return EnvSetting(name, value, loc, shown)


def env_settings(app: App, name: str) -> list[EnvSetting]:
    """Every place that sets name for the release, highest precedence first: `rel/env.sh.eex`
    exports, fly.toml `[env]`, the runner stage's `ENV`. (Fly secrets are invisible here.)"""
    proj = elixir_project(app)
    out = _script_settings(proj, name)
    for found in (_fly_setting(app, name), _docker_setting(app, name)):
        if found is not None:
            out.append(found)
    return out


def env_value(app: App, name: str) -> EnvSetting | None:
    """The setting that wins for name, or None when nothing visible sets it."""
    found = env_settings(app, name)
    return found[0] if found else None


def env_known(app: App) -> bool:
    """True when every visible source of environment variables could be read: a parsed fly
    config and, when the image is built from a Dockerfile, its runner stage."""
    fly = getattr(app, "fly", None)
    if fly is None:
        return False
    build = getattr(fly, "build", None)
    if getattr(build, "image", None):
        return False  # a prebuilt image may set anything
    return getattr(getattr(app, "dockerfile", None), "runner", None) is not None


# -- the port the app listens on ------------------------------------------------------------------


@record(frozen=True)
class ListenPort:
    """The port an endpoint's HTTP listener binds, and why flylint thinks so."""

    port: int
    why: str  # "default of PORT in config/runtime.exs:23"
    location: Location  # where the deciding value is written
    env_name: str | None = None  # the variable the config reads, when it reads one


def _env_ref_of(value: Value | None) -> EnvRef | None:
    if isinstance(value, EnvRef):
        return value
    # `{:system, "PORT"}`: the pre-1.6 runtime form Phoenix still resolves
    if (
        isinstance(value, TupleValue)
        and len(value.items) == 2
        and isinstance(value.items[0], Atom)
        and value.items[0].name == "system"
        and isinstance(value.items[1], Literal)
        and isinstance(value.items[1].value, str)
    ):
        item = value.items[1]
        return EnvRef(
            file=value.file,
            line=value.line,
            column=value.column,
            end_line=value.end_line,
            end_column=value.end_column,
            conditional=value.conditional,
            name=str(item.value),
        )
    return None


def listen_port(app: App, proj, endpoint) -> ListenPort | None:
    """The port the endpoint listens on in prod, or None when it cannot be known (no `http:`
    listener, an expression or condition flylint does not evaluate, a variable set where it cannot
    see the value)."""
    http = endpoint_get(proj, endpoint, "effective", "http")
    if not isinstance(http, KeywordList) or http.conditional is not None:
        return None
    value = http.get("port")
    if value is None or value.conditional is not None:
        return None
    literal = int_of(value)
    if literal is not None:
        loc = value.location("port set here")
        return ListenPort(literal, f"http: [port: {literal}] in {where(loc)}", loc)
    ref = _env_ref_of(value)
    if ref is None:
        return None
    setting = env_value(app, ref.name)
    if setting is not None:
        if setting.value is None or not setting.value.strip().isdigit():
            return None
        loc = setting.location.with_label(f"{ref.name} set here")
        return ListenPort(
            int(setting.value.strip()), f"{setting.origin} in {where(loc)}", loc, ref.name
        )
    if not env_known(app):
        return None  # the image may set the variable
    default = int_of(ref.default)
    if default is None:
        return None
    loc = ref.default.location(f"default of {ref.name}") if ref.default is not None else None
    if loc is None:
        return None
    return ListenPort(default, f"default of {ref.name} in {where(loc)}", loc, ref.name)


@record(frozen=True)
class OtherListener:
    """A module configured with an HTTP listener that is not a `use Phoenix.Endpoint` module:
    an endpoint built by a library macro (`use SomeLib.ProxyEndpoint`) or a hand-rolled one."""

    module: str
    otp_app: str


def other_listeners(proj, endpoints) -> list[OtherListener]:
    """Modules of the endpoints' (or started) apps whose prod config has `http: [port: ...]` and
    that flylint does not know as endpoints: the release may listen on their ports too."""
    known = {e.module for e in endpoints}
    apps = [e.otp_app for e in endpoints if e.otp_app]
    try:
        apps += [a for a in proj.started_apps() or [] if a not in apps]
        effective = proj.config.effective
    except Exception:
        return []
    out: list[OtherListener] = []
    for otp_app in dict.fromkeys(apps):
        entries = effective.get(otp_app) if isinstance(effective, dict) else None
        if not isinstance(entries, KeywordList):
            continue
        for key, value in entries.entries:
            if not isinstance(key, str) or not key.startswith("Elixir."):
                continue
            module = key.removeprefix("Elixir.")
            if module in known or not isinstance(value, KeywordList):
                continue
            http = value.get("http")
            if isinstance(http, KeywordList) and http.get("port") is not None:
                out.append(OtherListener(module, otp_app))
    return out


def release_ports(app: App, proj) -> tuple[list[ListenPort], bool]:
    """(known listen ports of the endpoints the release starts, all known?). Modules configured
    with their own `http:` listener count too (see other_listeners), after the endpoints."""
    endpoints = release_endpoints(proj)
    found: list[ListenPort] = []
    complete = bool(endpoints)
    for endpoint in [*endpoints, *other_listeners(proj, endpoints)]:
        port = listen_port(app, proj, endpoint)
        if port is None:
            complete = False
        else:
            found.append(port)
    return found, complete


# -- a proxy in the image -------------------------------------------------------------------------

# Programs that, when the image runs them, may listen on internal_port and forward to the app.
SIDECARS = (
    "nginx",
    "caddy",
    "haproxy",
    "envoy",
    "traefik",
    "overmind",
    "hivemind",
    "supervisord",
    "s6-overlay",
    "litefs",
)
LITEFS_CANDIDATES = (
    "litefs.yml",
    "litefs.yaml",
    "config/litefs.yml",
    "etc/litefs.yml",
    "rel/litefs.yml",
    "deploy/litefs.yml",
    "fly/litefs.yml",
)
_SIDECAR_WORD = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(SIDECARS) + r")(?![A-Za-z0-9_])")


@record(frozen=True)
class Proxy:
    """Something in the image in front of the app. Ports are None when not known."""

    kind: str  # "LiteFS proxy", "nginx", ...
    location: Location
    listen: int | None = None
    target: int | None = None
    target_location: Location | None = None


def _port_in(text: str) -> int | None:
    m = re.search(r":(\d{1,5})\s*$", text.strip().strip("\"'"))
    return int(m.group(1)) if m else None


def _litefs_proxy(src) -> Proxy | None:
    """`proxy: {addr: ":8080", target: "localhost:8081"}` from a litefs.yml (a line reader: the
    file is small and only this block matters)."""
    lines = src.text.split("\n")
    for i, line in enumerate(lines):
        if not re.match(r"^proxy\s*:\s*(#.*)?$", line):
            continue
        listen = target = None
        target_loc = None
        start = Location(src.path, i + 1, 1, i + 1, len(line) + 1)
        for j in range(i + 1, len(lines)):
            inner = lines[j]
            if inner.strip() and not inner[0].isspace() and not inner.lstrip().startswith("#"):
                break
            m = re.match(r"^\s+(addr|target)\s*:\s*(\S+)", inner)
            if not m:
                continue
            value = m.group(2).split("#", 1)[0]
            if "$" in value:
                continue  # an environment expansion: unknown
            if m.group(1) == "addr":
                listen = _port_in(value)
            else:
                target = _port_in(value)
                col = inner.index(m.group(2)) + 1
                target_loc = Location(src.path, j + 1, col, j + 1, col + len(m.group(2)))
        return Proxy("LiteFS proxy", start, listen, target, target_loc)
    return None


def _litefs_configs(app: App) -> list[str]:
    """litefs.yml files the image may use: COPY sources named like it, then the usual places."""
    context = getattr(app, "context", ".") or "."
    found: list[str] = []
    df = getattr(app, "dockerfile", None)
    for stage in getattr(df, "stages", []) or []:
        for instr in stage.copies:
            for word in instr.args[:-1]:
                if re.search(r"litefs[^/]*\.ya?ml$", word) and not instr.flags.get("from"):
                    found.append(posixpath.normpath(posixpath.join(context, word.lstrip("/"))))
    for cand in LITEFS_CANDIDATES:
        found.append(posixpath.normpath(posixpath.join(context, cand)))
    return list(dict.fromkeys(found))


def find_proxy(app: App) -> tuple[Proxy | None, bool]:
    """(the proxy in front of the app, whether one may exist that flylint cannot read).

    A LiteFS config with a `proxy` block is read; any other sign of a sidecar (the runner stage
    installs or runs nginx, caddy, overmind, ...; fly.toml runs several containers) means "maybe",
    and port rules then stay silent."""
    fs = getattr(app, "fs", None)
    for path in _litefs_configs(app):
        try:
            src, _ = fs.read(path) if fs is not None else (None, None)
        except Exception:
            src = None
        if src is None:
            continue
        proxy = _litefs_proxy(src)
        if proxy is not None:
            return proxy, False
    maybe = False
    df = getattr(app, "dockerfile", None)
    runner = getattr(df, "runner", None)
    if runner is not None:
        for stage in runner.lineage():
            if _SIDECAR_WORD.search(stage.base or ""):
                maybe = True
            for instr in stage.instructions:
                if instr.keyword in ("RUN", "COPY", "ADD", "CMD", "ENTRYPOINT") and (
                    _SIDECAR_WORD.search(instr.value or "")
                ):
                    maybe = True
    fly = getattr(app, "fly", None)
    data = getattr(fly, "data", None)
    if isinstance(data, dict):
        if any(k in data for k in ("containers", "container", "machine_config")):
            maybe = True
        processes = getattr(fly, "processes", None) or {}
        if any(_SIDECAR_WORD.search(str(cmd)) for cmd in processes.values()):
            maybe = True
    return None, maybe


# -- services -------------------------------------------------------------------------------------


def web_services(fly) -> list:
    """Services that route HTTP to a TCP internal_port."""
    out = []
    for service in getattr(fly, "services", None) or []:
        port = service.internal_port
        if not isinstance(port, int) or isinstance(port, bool) or port <= 0:
            continue
        if str(service.protocol).lower() != "tcp" or not service.serves_http:
            continue
        out.append(service)
    return out


def _runs_web(fly, service) -> bool:
    """False when [processes] gives the service's groups commands that are plainly not the web
    server (a worker started with `eval`, a queue consumer)."""
    processes = getattr(fly, "processes", None) or {}
    if not processes:
        return True
    try:
        groups = fly.groups_for(service.processes)
    except Exception:
        return True
    commands = [processes.get(g, "") for g in groups]
    if not commands:
        return True
    return any(not re.search(r"\beval\b|\brpc\b|\bremote\b", cmd or "") for cmd in commands)


# -- FLY307 ---------------------------------------------------------------------------------------


@rule("FLY307")
def check_port_mismatch(app: App) -> Iterable[Finding]:
    fly = getattr(app, "fly", None)
    proj = phoenix_project(app)
    if fly is None or proj is None or config_broken(proj):
        return
    services = [s for s in web_services(fly) if _runs_web(fly, s)]
    if not services:
        return
    ports, complete = release_ports(app, proj)
    if not complete or not ports:
        return
    main = ports[0]
    known = {p.port for p in ports}
    proxy, maybe_proxy = find_proxy(app)
    for service in services:
        internal = service.internal_port
        key = f"{service.key}.internal_port"
        loc = locate(fly, key)
        if loc is None:
            continue
        if proxy is not None and proxy.listen == internal:
            if proxy.target is None or proxy.target in known:
                continue
            related = [main.location]
            if proxy.target_location is not None:
                related.insert(0, proxy.target_location.with_label("proxy target"))
            yield Finding(
                "FLY307",
                f"internal_port {internal} goes to the {proxy.kind}, which forwards to port "
                f"{proxy.target}, but the app listens on {main.port} ({main.why})",
                loc,
                related=tuple(related),
                fix=f"point the proxy target at port {main.port}, or make the app listen on "
                f"{proxy.target}",
                key=key,
            )
            continue
        if internal in known:
            continue
        if proxy is not None or maybe_proxy:
            continue  # a proxy may own internal_port and forward to the app
        if main.env_name:
            fix = (
                f'add {main.env_name} = "{internal}" to [env] (or set internal_port = {main.port})'
            )
        else:
            fix = f"internal_port = {main.port}"
        yield Finding(
            "FLY307",
            f"internal_port {internal} but the app listens on {main.port} ({main.why}): "
            "Fly's proxy finds nothing listening and every request fails",
            loc,
            related=(main.location,),
            fix=fix,
            key=key,
        )


# -- FLY309 ---------------------------------------------------------------------------------------


def _loopback(value: Value | None) -> bool:
    if isinstance(value, Atom) and value.name == "loopback":
        return True
    if not isinstance(value, TupleValue):
        return False
    parts = [int_of(i) for i in value.items]
    if any(p is None for p in parts):
        return False
    if len(parts) == 4:
        return parts[0] == 127
    if len(parts) == 8:
        return parts == [0, 0, 0, 0, 0, 0, 0, 1]
    return False


@rule("FLY309")
def check_binds_loopback(app: App) -> Iterable[Finding]:
    fly = getattr(app, "fly", None)
    proj = phoenix_project(app)
    if fly is None or proj is None or config_broken(proj):
        return
    services = web_services(fly)
    if not services:
        return
    proxy, maybe_proxy = find_proxy(app)
    if proxy is not None or maybe_proxy:
        return  # a proxy in the image may be what reaches the app over loopback
    endpoint = main_endpoint(proj)
    http = endpoint_get(proj, endpoint, "effective", "http")
    if not isinstance(http, KeywordList):
        return
    ip = http.get("ip")
    if ip is None or ip.conditional is not None or http.conditional is not None:
        return
    if not _loopback(ip):
        return
    service = services[0]
    related = locate(fly, f"{service.key}.internal_port", "Fly's proxy connects here")
    yield Finding(
        "FLY309",
        f"{endpoint.module} binds http ip: {elixir_text(ip)} in prod, a loopback address: "
        "Fly's proxy connects over the Machine's network interfaces and never reaches the app",
        ip.location(),
        related=(related,) if related is not None else (),
        fix="ip: {0, 0, 0, 0, 0, 0, 0, 0} (all interfaces, IPv6 and IPv4)",
        key=f"{endpoint.otp_app}:{endpoint.module}:http.ip",
    )


# -- FLY310 ---------------------------------------------------------------------------------------

_START_COMMANDS = ("start", "start_iex", "daemon", "daemon_iex")
_ENV_WORD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
# `System.get_env("PHX_SERVER")` (optionally `== "true"` or `in ~w(true 1)`): false while unset.
_PRESENCE_GATE = re.compile(
    r'System\.get_env\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)\s*(?:(?:==|===)\s*"[^"]*"|in\s+.+)?'
)


def _release_names(proj) -> set[str]:
    names: set[str] = set()
    mix = getattr(proj, "mix", None)
    if mix is not None:
        names.update(str(n) for n in (getattr(mix, "releases", None) or {}))
        if mix.app:
            names.add(mix.app)
    return names


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return []


def _start_in(words: list[str], names: set[str]) -> tuple[str, dict[str, str]] | None:
    """(`bin/<release> start` as written, NAME=value words before it) when words start the
    release without bin/server. Looks one level into `sh -c "..."`."""
    if not words:
        return None
    base = posixpath.basename(words[0])
    if base in ("sh", "bash", "dash", "ash") and len(words) >= 3 and words[1] == "-c":
        return _start_in(_split(words[2]), names)
    for segment in _segments(words):
        env: dict[str, str] = {}
        i = 0
        while i < len(segment) and _ENV_WORD.match(segment[i]):
            m = _ENV_WORD.match(segment[i])
            assert m is not None
            env[m.group(1)] = m.group(2)
            i += 1
        if i < len(segment) and segment[i] == "exec":
            i += 1
        if i + 1 >= len(segment):
            continue
        prog, command = segment[i], segment[i + 1]
        if (
            posixpath.basename(prog) in names
            and posixpath.basename(posixpath.dirname(prog)) == "bin"
            and command in _START_COMMANDS
        ):
            return f"{prog} {command}", env
    return None


def _segments(words: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for w in words:
        if w in ("&&", "||", ";", "|"):
            out.append([])
        else:
            out[-1].append(w)
    return [s for s in out if s]


def _start_commands(app: App) -> list[tuple[list[str], Location]]:
    """The commands that start web Machines: [processes] entries of groups with an HTTP service,
    else `[experimental] cmd`, else the runner's ENTRYPOINT + CMD."""
    fly = getattr(app, "fly", None)
    data = getattr(fly, "data", None) if fly is not None else None
    experimental = data.get("experimental") if isinstance(data, dict) else None
    experimental = experimental if isinstance(experimental, dict) else {}
    if experimental.get("exec") or experimental.get("entrypoint"):
        return []  # replaced in fly.toml in ways not modelled here
    processes = getattr(fly, "processes", None) or {}
    if processes:
        groups: list[str] = []
        for service in web_services(fly):
            for g in fly.groups_for(service.processes):
                if g not in groups:
                    groups.append(g)
        out = []
        for g in groups:
            loc = locate(fly, f"processes.{g}")
            if g in processes and loc is not None:
                out.append((_split(processes[g]), loc))
        return out
    df = getattr(app, "dockerfile", None)
    runner = getattr(df, "runner", None)
    if runner is None:
        return []
    cmd_words: list[str] | None = None
    cmd_loc: Location | None = None
    exp_cmd = experimental.get("cmd")
    if isinstance(exp_cmd, list) and all(isinstance(w, str) for w in exp_cmd):
        cmd_words, cmd_loc = list(exp_cmd), locate(fly, "experimental.cmd")
    elif isinstance(exp_cmd, str):
        cmd_words, cmd_loc = [exp_cmd], locate(fly, "experimental.cmd")
    elif runner.cmd is not None:
        cmd_words, cmd_loc = list(runner.cmd.args), df.location(runner.cmd)
    entry = runner.entrypoint
    if entry is not None:
        if not entry.is_exec_form:
            return [(list(entry.args), df.location(entry))]
        words = list(entry.args) + (cmd_words or [])
        return [(words, cmd_loc or df.location(entry))]
    if cmd_words is None or cmd_loc is None:
        return []
    return [(cmd_words, cmd_loc)]


def _server_decided(app: App, proj, endpoint) -> tuple[bool | None, Value | None]:
    """(does the endpoint serve?, the value that decides): True when `server: true` or
    `serve_endpoints` is on (or gated on a variable that is set), False when nothing turns it on,
    None when it cannot be known."""
    server = endpoint_get(proj, endpoint, "effective", "server")
    serve = None
    try:
        serve = proj.config.get("effective", "phoenix", "serve_endpoints")
    except Exception:
        serve = None
    for value in (server, serve):
        if value is None:
            continue
        if isinstance(value, Literal) and value.value is True:
            if value.conditional is None:
                return True, value
            gate = _PRESENCE_GATE.fullmatch(value.conditional.strip())
            if gate is None:
                return None, value  # a condition that is not just "the variable is set"
            if env_value(app, gate.group(1)) is not None:
                return True, value
            continue
        if isinstance(value, Literal) and value.value in (False, None):
            continue
        return None, value  # an expression or env reference: cannot tell
    gated = server if isinstance(server, Literal) and server.conditional else None
    return False, gated


@rule("FLY310")
def check_server_not_started(app: App) -> Iterable[Finding]:
    fly = getattr(app, "fly", None)
    proj = phoenix_project(app)
    if fly is None or proj is None or config_broken(proj):
        return
    endpoint = main_endpoint(proj)
    if endpoint is None or not web_services(fly):
        return
    names = _release_names(proj)
    if not names:
        return
    for words, loc in _start_commands(app):
        started = _start_in(words, names)
        if started is None:
            continue
        invocation, inline_env = started
        if "PHX_SERVER" in inline_env or env_value(app, "PHX_SERVER") is not None:
            continue
        decided, value = _server_decided(app, proj, endpoint)
        if decided is not False:
            continue
        if not env_known(app):
            continue  # the image may set PHX_SERVER
        related: tuple[Location, ...] = ()
        if value is not None:
            gate = _PRESENCE_GATE.fullmatch((value.conditional or "").strip())
            var = gate.group(1) if gate else "its variable"
            gated_at = value.location(f"server: true only when {var} is set")
            related = (gated_at,)
            why = (
                f"server: true is only set when {var} is set ({where(gated_at)}) and nothing "
                "sets it"
            )
        else:
            why = "no server: true or config :phoenix, :serve_endpoints, true in prod config"
        release_dir = posixpath.dirname(invocation.split(" ", 1)[0])
        yield Finding(
            "FLY310",
            f"the image starts the release with `{invocation}` but {why}: {endpoint.module} "
            "starts without an HTTP listener and every request and health check fails",
            loc,
            related=related,
            fix=f"start {posixpath.join(release_dir, 'server')} (mix phx.gen.release) or add "
            'PHX_SERVER = "true" to [env]',
            key="start-command",
        )
        return


# -- FLY317 ---------------------------------------------------------------------------------------

_PRIVATE_SUFFIXES = (".internal", ".flycast")
_URL_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)", re.I)


def private_host(text: str) -> str | None:
    """The host of a URL or host string when it is on Fly's private network."""
    t = text.strip()
    m = _URL_HOST.match(t)
    host = m.group(1) if m else t
    host = host.strip("[]").lower()
    if re.fullmatch(r"[a-z0-9.-]+", host) and host.endswith(_PRIVATE_SUFFIXES):
        return host
    return None


def _strings(value: Value | None, limit: int = 2000) -> list[Literal]:
    out: list[Literal] = []
    stack = [value] if value is not None else []
    while stack and len(out) < limit:
        v = stack.pop()
        if isinstance(v, Literal) and isinstance(v.value, str):
            out.append(v)
        stack.extend(children(v))
    return out


def _atoms(value: Value | None, limit: int = 2000) -> list[Atom]:
    out: list[Atom] = []
    stack = [value] if value is not None else []
    seen = 0
    while stack and seen < limit:
        v = stack.pop()
        seen += 1
        if isinstance(v, Atom):
            out.append(v)
        stack.extend(children(v))
    return out


def _repo_values(proj) -> list[tuple[str, KeywordList]]:
    """(module, config) of every Repo-like entry in the effective config."""
    out = []
    repos = set()
    try:
        repos = {"Elixir." + r for r in proj.repos}
    except Exception:
        repos = set()
    for _app, kw in proj.config.effective.items():
        for key, value in kw.entries:
            if not isinstance(value, KeywordList):
                continue
            if key in repos or (key.startswith("Elixir.") and key.endswith("Repo")):
                out.append((key[7:] if key.startswith("Elixir.") else key, value))
    return out


def _db_private_host(app: App, proj) -> tuple[str, Location] | None:
    for _module, kw in _repo_values(proj):
        for key in ("url", "hostname"):
            value = kw.get(key)
            for lit in _strings(value):
                host = private_host(str(lit.value))
                if host is not None and lit.conditional is None:
                    return host, lit.location(f"{host}: IPv6 only")
    setting = _fly_setting(app, "DATABASE_URL")
    if setting is not None and setting.value is not None:
        host = private_host(setting.value)
        if host is not None:
            return host, setting.location
    return None


def _cluster_trigger(app: App, proj) -> tuple[str, Location] | None:
    dns = env_value(app, "DNS_CLUSTER_QUERY")
    if dns is not None and _reads_cluster_query(proj):
        return "DNS_CLUSTER_QUERY", dns.location
    for _app, kw in proj.config.effective.items():
        value = kw.get("dns_cluster_query")
        for lit in _strings(value):
            if private_host(str(lit.value)) and lit.conditional is None:
                return f'dns_cluster_query "{lit.value}"', lit.location()
    topologies = None
    try:
        topologies = proj.config.get("effective", "libcluster", "topologies")
    except Exception:
        topologies = None
    for atom in _atoms(topologies):
        if atom.is_module and "DNS" in atom.name and atom.conditional is None:
            return f"libcluster {atom.module}", atom.location()
    for lit in _strings(topologies):
        if private_host(str(lit.value)) and lit.conditional is None:
            return f'libcluster query "{lit.value}"', lit.location()
    return None


def _reads_cluster_query(proj) -> bool:
    """True when the app clusters from DNS_CLUSTER_QUERY: it depends on dns_cluster (the
    generated setup) or libcluster, or some config key holds the query."""
    if dependency_names(proj) & {"dns_cluster", "libcluster"}:
        return True
    return any("dns_cluster_query" in kw for kw in proj.config.effective.values())


def _vm_args_inet6(app: App, proj) -> bool:
    fs = getattr(app, "fs", None)
    root = getattr(proj, "mix_root", ".") or "."
    for name in ("rel/vm.args.eex", "rel/vm.args", "rel/remote.vm.args.eex"):
        try:
            src, _ = fs.read(posixpath.normpath(posixpath.join(root, name)))
        except Exception:
            src = None
        if src is not None and re.search(r"^\s*-proto_dist\s+inet6_tcp", src.text, re.M):
            return True
    return False


def _has_erl_inet6(app: App, proj) -> bool:
    for name in ("ERL_AFLAGS", "ERL_FLAGS", "ELIXIR_ERL_OPTIONS", "ERL_ZFLAGS"):
        for s in env_settings(app, name):
            if s.value is None or "inet6_tcp" in s.value:
                return True
    return _vm_args_inet6(app, proj)


def _has_ecto_ipv6(app: App, proj) -> bool | None:
    """True when the Repo will use IPv6, None when it cannot be known."""
    for s in env_settings(app, "ECTO_IPV6"):
        if s.value is None or s.value.strip().lower() not in ("", "false", "0"):
            return True
    undecided = False
    for _module, kw in _repo_values(proj):
        opts = kw.get("socket_options")
        if opts is None:
            continue
        if any(a.name == "inet6" for a in _atoms(opts)):
            return True
        if isinstance(opts, Unknown) and "ECTO_IPV6" in opts.source_text:
            continue  # the template's `maybe_ipv6`: decided by ECTO_IPV6 above
        if not isinstance(opts, (ListValue, KeywordList)):
            undecided = True
    return None if undecided else False


@rule("FLY317")
def check_ipv6_settings_missing(app: App) -> Iterable[Finding]:
    fly = getattr(app, "fly", None)
    proj = phoenix_project(app)
    if fly is None or proj is None or config_broken(proj):
        return
    db = _db_private_host(app, proj)
    if db is not None and _has_ecto_ipv6(app, proj) is False:
        host, loc = db
        yield Finding(
            "FLY317",
            f"the database host {host} is on Fly's private network, which is IPv6 only, but "
            "ECTO_IPV6 / socket_options: [:inet6] are set nowhere: connections fail with :nxdomain",
            loc,
            fix='add ECTO_IPV6 = "true" to [env] (the runtime.exs template then sets '
            "socket_options: [:inet6])",
            key="ipv6:database",
        )
    cluster = _cluster_trigger(app, proj)
    if cluster is not None and not _has_erl_inet6(app, proj):
        what, loc = cluster
        yield Finding(
            "FLY317",
            f"the app clusters over Fly's private network ({what}), which is IPv6 only, but "
            'ERL_AFLAGS="-proto_dist inet6_tcp" is set nowhere: nodes never connect (:nodedown)',
            loc,
            fix='export ERL_AFLAGS="-proto_dist inet6_tcp" in rel/env.sh.eex (or add it to [env])',
            key="ipv6:cluster",
        )


# -- FLY318 ---------------------------------------------------------------------------------------

_ENDPOINT_DEV_KEYS = ("debug_errors", "code_reloader")


def _true_literal(value: Value | None) -> bool:
    return isinstance(value, Literal) and value.value is True


def _dev_setting(key: str, value: Value, owner: str) -> Finding | None:
    if not _true_literal(value):
        return None
    severity = None
    message = f"{key}: true in prod config ({owner})"
    if value.conditional is not None:
        severity = "info"
        message += f", when {value.conditional} (flylint cannot decide this condition)"
    return Finding(
        "FLY318",
        message + ": " + _DEV_WHY[key],
        value.location(),
        fix=f"remove {key}: true from prod config (keep it in config/dev.exs)",
        severity=severity,
        key=f"{owner}:{key}",
    )


_DEV_WHY = {
    "debug_errors": "errors render Plug.Debugger pages with source code and request data",
    "code_reloader": "the code reloader is a development tool and must not run in a release",
    "dev_routes": "the router exposes /dev/dashboard and /dev/mailbox without authentication",
    "show_sensitive_data_on_connection_error": "connection errors log database credentials "
    "and data",
}


@rule("FLY318")
def check_dev_settings_in_prod(app: App) -> Iterable[Finding]:
    proj = phoenix_project(app)
    if proj is None or config_broken(proj):
        return
    endpoints = release_endpoints(proj)
    try:
        started = proj.started_apps()
        effective = proj.config.effective
    except Exception:
        return
    seen: set[tuple[str, int, int]] = set()

    def emit(f: Finding | None) -> Iterable[Finding]:
        if f is None:
            return
        k = (f.location.path, f.location.line, f.location.column)
        if k not in seen:
            seen.add(k)
            yield f

    for endpoint in endpoints:
        for key in _ENDPOINT_DEV_KEYS:
            value = endpoint_get(proj, endpoint, "effective", key)
            if value is not None:
                yield from emit(_dev_setting(key, value, endpoint.module))
    apps = list(dict.fromkeys([*started, *(e.otp_app for e in endpoints if e.otp_app)]))
    for name in apps:
        kw = effective.get(name)
        if isinstance(kw, KeywordList):
            value = kw.get("dev_routes")
            if value is not None:
                yield from emit(_dev_setting("dev_routes", value, f"config :{name}"))
    for module, kw in _repo_values(proj):
        value = kw.get("show_sensitive_data_on_connection_error")
        if value is not None:
            yield from emit(_dev_setting("show_sensitive_data_on_connection_error", value, module))


# -- FLY319 ---------------------------------------------------------------------------------------

_DEBUG_LEVELS = ("debug", "all")


def _level_name(app: App, value: Value | None) -> tuple[str | None, Location | None, str]:
    """(level, where it is decided, how it was found) for a logger level value."""
    if isinstance(value, Atom):
        return value.name, value.location(), ""
    if isinstance(value, Literal) and isinstance(value.value, str):
        return value.value, value.location(), ""
    if isinstance(value, EnvRef):
        setting = env_value(app, value.name)
        if setting is not None:
            if setting.value is None:
                return None, None, ""
            return (
                setting.value.strip().lstrip(":").lower(),
                setting.location,
                f" ({setting.origin})",
            )
        if not env_known(app):
            return None, None, ""
        default = value.default
        if isinstance(default, (Atom, Literal)):
            name, loc, _ = _level_name(app, default)
            return name, loc, f" (default of {value.name}, which is set nowhere)"
    return None, None, ""


@rule("FLY319")
def check_debug_logging_in_prod(app: App) -> Iterable[Finding]:
    proj = phoenix_project(app)
    if proj is None or config_broken(proj):
        return
    try:
        level = proj.config.get("effective", "logger", "level")
    except Exception:
        return
    if level is None or level.conditional is not None:
        return
    name, loc, how = _level_name(app, level)
    if name not in _DEBUG_LEVELS or loc is None:
        return
    yield Finding(
        "FLY319",
        f"config :logger, level: :{name} in prod{how}: every Ecto query and request is logged, "
        "with parameters that are not filtered",
        loc,
        fix="config :logger, level: :info in config/prod.exs",
        key="logger.level",
    )


# -- FLY320 ---------------------------------------------------------------------------------------

_PLACEHOLDER_HOSTS = re.compile(
    r"^(?:[a-z0-9-]+\.)*example\.(?:com|org|net)$|^localhost$", re.IGNORECASE
)


@rule("FLY320")
def check_phx_host_unset(app: App) -> Iterable[Finding]:
    fly = getattr(app, "fly", None)
    proj = phoenix_project(app)
    if fly is None or proj is None or config_broken(proj):
        return
    endpoint = main_endpoint(proj)
    url = endpoint_get(proj, endpoint, "effective", "url")
    if not isinstance(url, KeywordList) or url.conditional is not None:
        return
    host = url.get("host")
    if host is None or host.conditional is not None:
        return
    env_table = locate(fly, "env", "[env]") if fly.has_key("env") else None
    related = (env_table,) if env_table is not None else ()
    if isinstance(host, EnvRef):
        default = host.default
        if not (isinstance(default, Literal) and isinstance(default.value, str)):
            return
        if not _PLACEHOLDER_HOSTS.match(default.value.strip()):
            return
        if env_value(app, host.name) is not None or not env_known(app):
            return
        yield Finding(
            "FLY320",
            f'{endpoint.module} url host falls back to "{default.value}" because {host.name} is '
            f"not set in [env] of {app.config_path} (nor in the image): force_ssl redirects, "
            "generated URLs and check_origin use the placeholder host",
            default.location(),
            related=related,
            fix=f'add {host.name} = "<app>.fly.dev" (or your domain) to [env]',
            key=f"{endpoint.module}:url.host",
        )
    elif isinstance(host, Literal) and isinstance(host.value, str):
        if not _PLACEHOLDER_HOSTS.match(host.value.strip()):
            return
        yield Finding(
            "FLY320",
            f'{endpoint.module} url host is the placeholder "{host.value}" in prod: force_ssl '
            "redirects, generated URLs and check_origin use it instead of the app's host",
            host.location(),
            related=related,
            fix='host: System.get_env("PHX_HOST") in config/runtime.exs, with PHX_HOST in [env]',
            key=f"{endpoint.module}:url.host",
        )


__all__ = [
    "EnvSetting",
    "ListenPort",
    "Proxy",
    "config_broken",
    "endpoint_get",
    "env_settings",
    "env_value",
    "file_broken",
    "find_proxy",
    "int_of",
    "listen_port",
    "main_endpoint",
    "phoenix_project",
    "private_host",
    "release_ports",
    "web_services",
]
