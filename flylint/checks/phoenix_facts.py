"""Facts about the Phoenix app a fly config deploys, shared by the cross-file rules.

Pure functions over an App: which endpoint the release starts, whether and how it enforces HTTPS
(`force_ssl` in compile-time config or `plug Plug.SSL`), what the endpoint config says in each
config view, which package versions mix.lock (or mix.exs) pins, and whether an input was too
broken to draw conclusions from. Nothing here reports findings.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Any

from flylint.findings import Location
from flylint.lazyre import lazy
from flylint.parsers.elixir.values import (
    Atom,
    EnvRef,
    KeywordList,
    ListValue,
    Literal,
    TupleValue,
    Unknown,
    Value,
    elixir_text,
    truthy,
)
from flylint.records import record

if TYPE_CHECKING:
    from flylint.model import App
    from flylint.parsers.elixir.endpoint import Endpoint
    from flylint.parsers.elixir.project import ElixirProject
    from flylint.parsers.flytoml import FlyConfig, Port, Service

HSTS_ONE_YEAR = 31_536_000
FLY_PROXY_NOTE = "Fly's proxy terminates TLS and forwards plain HTTP"


# -- the Elixir project ---------------------------------------------------------------------------


def elixir_project(app: App) -> ElixirProject | None:
    """The app's Elixir model: None when it has no mix project, or when the fly config plainly
    deploys something else (a prebuilt image, or a Dockerfile of its own in a subdirectory that
    never runs mix) although a mix project sits in a directory above it."""
    extra = getattr(app, "extra", None)
    proj = extra.get("elixir") if isinstance(extra, dict) else None
    if proj is None or not hasattr(proj, "config"):
        return None
    return proj if builds_mix_project(app) else None


def builds_mix_project(app: App) -> bool:
    """Whether the fly config deploys its mix project (see elixir_project)."""
    build = app.fly.build if app.fly is not None else None
    if build is not None and build.image and not build.dockerfile:
        return False  # `[build] image`: nothing is built from this source tree
    context = posixpath.normpath(app.context or ".")
    root = posixpath.normpath(app.mix_root or ".")
    if context == root:
        return True
    below = context if root == "." else context.removeprefix(root + "/")
    if below == context and root != ".":
        return True  # not below the mix root: leave the association alone
    if below.startswith("apps/"):
        return True  # an umbrella child app
    dockerfile = app.dockerfile
    if dockerfile is None or not getattr(dockerfile, "stages", None):
        return True  # nothing says otherwise
    words = (i.value for stage in dockerfile.stages for i in stage.instructions)
    return any(re.search(r"\bmix\b|/bin/|\brelease\b", w) for w in words)


def release_endpoints(proj: ElixirProject) -> list[Endpoint]:
    try:
        return list(proj.release_endpoints())
    except Exception:  # a model we do not understand: no endpoints rather than a crash
        return []


def app_endpoint(app: App) -> Endpoint | None:
    """The endpoint the release starts (the first one in an umbrella with several)."""
    proj = elixir_project(app)
    if proj is None:
        return None
    found = release_endpoints(proj)
    return found[0] if found else None


def broken_files(proj: ElixirProject) -> set[str]:
    """Project files with a parse error (FLY001): conclusions from absence are unsafe there."""
    out = set()
    for f in getattr(proj, "findings", []) or []:
        if getattr(f, "rule", None) == "FLY001":
            out.add(f.location.path)
    for f in getattr(proj.config, "findings", []) or []:
        if getattr(f, "rule", None) == "FLY001":
            out.add(f.location.path)
    return out


def config_unreliable(proj: ElixirProject, view: str = "compile") -> bool:
    """True when the compile-time (or runtime) config view could not be built faithfully: a config
    file of that view does not parse, an imported file is missing, or the evaluator hit a bug."""
    config = proj.config
    files = config.compile_files if view == "compile" else config.runtime_files
    if broken_files(proj) & set(files):
        return True
    if config.internal_errors:
        return True
    return view == "compile" and bool(config.missing_imports)


def file_unreliable(proj: ElixirProject, path: str) -> bool:
    return path in broken_files(proj)


# -- versions -------------------------------------------------------------------------------------


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    m = re.match(r"\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if m is None:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def _pad(v: tuple[int, ...]) -> tuple[int, ...]:
    return (*v, 0, 0, 0)[:3]


def _requirement_bounds(req: str) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """(inclusive lower bound, exclusive upper bound) a Mix requirement guarantees; `or`
    alternatives make it unknowable (None, None)."""
    if " or " in req:
        return None, None
    lower: tuple[int, ...] | None = None
    upper: tuple[int, ...] | None = None
    for part in req.split(" and "):
        m = re.match(r"\s*(~>|>=|==|>|<=|<)?\s*v?(\d+(?:\.\d+){0,2})", part)
        if m is None:
            continue
        op = m.group(1) or "=="
        v = tuple(int(x) for x in m.group(2).split("."))
        if op in ("~>", ">=", "==", ">"):
            lower = max(lower or (0,), v)
        if op == "~>":
            bump = (v[0] + 1,) if len(v) <= 2 else (v[0], v[1] + 1)
            upper = min(upper, bump) if upper else bump
        elif op == "==":
            upper = (*_pad(v)[:2], _pad(v)[2] + 1)
        elif op == "<":
            upper = min(upper, v) if upper else v
    return lower, upper


@record(frozen=True)
class PackageVersion:
    name: str
    version: str | None  # the locked version, when mix.lock has one
    requirement: str | None  # the mix.exs requirement, when declared

    def at_least(self, minimum: tuple[int, ...]) -> bool | None:
        """True/False when mix.lock (or failing that a mix.exs requirement) decides it."""
        locked = version_tuple(self.version)
        if locked is not None:
            return _pad(locked) >= _pad(minimum)
        if self.requirement:
            lower, upper = _requirement_bounds(self.requirement)
            if lower is not None and _pad(lower) >= _pad(minimum):
                return True
            if upper is not None and _pad(upper) <= _pad(minimum):
                return False
        return None

    def describe(self, label: str) -> str:
        """ "Plug 1.18.1 (mix.lock)", "Phoenix ~> 1.8.1 (mix.exs)" or "Plug (version unknown)"."""
        if self.version:
            return f"{label} {self.version}"
        if self.requirement:
            return f"{label} {self.requirement} (per mix.exs; no mix.lock entry)"
        return f"{label} (version unknown: no mix.lock entry)"


def package_version(proj: ElixirProject | None, name: str) -> PackageVersion:
    if proj is None:
        return PackageVersion(name, None, None)
    locked = None
    try:
        locked = proj.locked_version(name)
    except Exception:
        locked = None
    requirement = None
    for mix in [getattr(proj, "mix", None), *(getattr(proj, "apps", None) or [])]:
        dep = mix.dep(name) if mix is not None else None
        if dep is not None and dep.requirement:
            requirement = dep.requirement
            break
    return PackageVersion(name, locked, requirement)


def dependency_names(proj: ElixirProject | None) -> set[str]:
    """Names of the deps declared in mix.exs (umbrella children included) and locked in mix.lock."""
    if proj is None:
        return set()
    names: set[str] = set()
    for mix in [getattr(proj, "mix", None), *(getattr(proj, "apps", None) or [])]:
        if mix is not None:
            names.update(d.name for d in mix.deps)
    names.update(getattr(proj, "lock", {}) or {})
    return names


# -- endpoint configuration -----------------------------------------------------------------------


def endpoint_apps(proj: ElixirProject, endpoint: Endpoint, view: str) -> list[str]:
    """OTP apps whose config configures this endpoint (its otp_app; any app when unknown)."""
    if endpoint.otp_app:
        return [endpoint.otp_app]
    key = endpoint.config_key
    return [app for app, kw in proj.config.view(view).items() if key in kw]


def endpoint_config(proj: ElixirProject, endpoint: Endpoint, view: str) -> KeywordList | None:
    """The endpoint's merged keyword list in one config view ("compile", "runtime", "effective")."""
    for app in endpoint_apps(proj, endpoint, view):
        value = proj.config.get(view, app, endpoint.module)
        if isinstance(value, KeywordList):
            return value
    return None


def endpoint_setting(proj: ElixirProject, endpoint: Endpoint, view: str, key: str) -> Value | None:
    config = endpoint_config(proj, endpoint, view)
    return config.get(key) if config is not None else None


# -- HTTPS enforcement ----------------------------------------------------------------------------


def undecided(value: Value | None) -> str | None:
    """Why a value cannot be judged (env reference, unknown expression, undecided condition), or
    None when it is a plain literal."""
    if value is None:
        return None
    if value.conditional:
        return f"it is set under `{value.conditional}`, which flylint cannot decide"
    if isinstance(value, EnvRef):
        return f"it comes from the environment variable {value.name}"
    if isinstance(value, Unknown):
        return f"it is computed by `{elixir_text(value, 60)}`"
    return None


def atom_names(value: Value | None) -> list[str] | None:
    """[:a, :b] -> ["a", "b"]; `{:x_forwarded_proto, "header"}` counts as its atom; None when the
    list holds anything else we cannot read."""
    if value is None:
        return []
    items: tuple[Value, ...]
    if isinstance(value, ListValue):
        items = value.items
    elif isinstance(value, KeywordList):  # [{:a, "h"}] reads as a keyword list
        return list(value.keys())
    elif isinstance(value, Atom):
        items = (value,)
    else:
        return None
    names = []
    for item in items:
        if isinstance(item, Atom):
            names.append(item.name)
        elif isinstance(item, TupleValue) and item.items and isinstance(item.items[0], Atom):
            names.append(item.items[0].name)
        else:
            return None
    return names


@record(frozen=True)
class SslEnforcement:
    """How the app forces HTTPS: Phoenix `force_ssl` (Plug.SSL inserted before every plug) or an
    explicit `plug Plug.SSL` in endpoint.ex."""

    kind: str  # "force_ssl" | "plug"
    endpoint: Endpoint
    view: str  # "compile" or "runtime" for force_ssl, "endpoint" for the plug
    value: Value | None  # the force_ssl value or the Plug.SSL options as written
    location: Location  # where it is set (the force_ssl value, or the plug line)
    enabled: bool | None  # False for force_ssl: false/nil; None when undecidable
    reason: str | None = None  # why enabled is None (or why options cannot be read)
    # rewrite_on entries applied by `plug Plug.RewriteOn` before an explicit Plug.SSL plug
    prior_rewrites: tuple[str, ...] = ()

    @property
    def options(self) -> KeywordList | None:
        if isinstance(self.value, KeywordList):
            return self.value
        if isinstance(self.value, ListValue) and not self.value.items:
            return KeywordList(
                file=self.value.file,
                line=self.value.line,
                column=self.value.column,
                end_line=self.value.end_line,
                end_column=self.value.end_column,
                conditional=self.value.conditional,
            )
        if self.kind == "plug" and self.value is None:
            return KeywordList()
        return None

    @property
    def what(self) -> str:
        """How to name it in a message."""
        return "force_ssl" if self.kind == "force_ssl" else "plug Plug.SSL"

    def option(self, key: str) -> Value | None:
        opts = self.options
        return opts.get(key) if opts is not None else None

    def option_location(self, key: str, label: str = "") -> Location:
        value = self.option(key)
        return value.location(label) if value is not None else self.location.with_label(label)

    def rewrite_on(self) -> list[str] | None:
        """The forwarded headers trusted before the redirect decision; None when unreadable."""
        if self.options is None:
            return None
        names = atom_names(self.option("rewrite_on"))
        if names is None:
            return None
        return [*self.prior_rewrites, *names]

    def rewrites_proto(self) -> bool | None:
        names = self.rewrite_on()
        return None if names is None else "x_forwarded_proto" in names

    def hsts_enabled(self) -> bool | None:
        """Whether Plug.SSL sends Strict-Transport-Security (`hsts` defaults to true, `expires: 0`
        tells browsers to forget)."""
        if self.options is None or self.enabled is not True:
            return None
        hsts = self.option("hsts")
        if hsts is not None:
            t = truthy(hsts)
            if t is None or undecided(hsts):
                return None
            if t is False:
                return False
        return self.expires() != 0

    def expires(self) -> int | None:
        """HSTS max-age in seconds (the default is one year); None when not a literal integer."""
        value = self.option("expires")
        if value is None:
            return HSTS_ONE_YEAR if self.options is not None else None
        literal = isinstance(value, Literal) and not value.conditional
        if literal and isinstance(value.value, int) and not isinstance(value.value, bool):
            return value.value
        return None

    def excluded_paths(self, plug: PackageVersion) -> list[str] | None:
        """Paths Plug.SSL leaves alone (no redirect): `exclude: [paths: [...]]`, honoured from
        Plug 1.19 on. None when unreadable; [] when nothing is excluded."""
        exclude = self.option("exclude")
        if exclude is None:
            return [] if self.options is not None else None
        if not isinstance(exclude, KeywordList):
            return []  # a host list or an MFA on the host: no paths
        if plug.at_least((1, 19)) is not True:
            return []  # older Plug silently ignores the keyword form
        paths = exclude.get("paths")
        if paths is None:
            return []
        if not isinstance(paths, ListValue):
            return None
        out = []
        for item in paths.items:
            if not (isinstance(item, Literal) and isinstance(item.value, str)):
                return None
            out.append(item.value)
        return out


def force_ssl_setting(proj: ElixirProject, endpoint: Endpoint, view: str) -> SslEnforcement | None:
    value = endpoint_setting(proj, endpoint, view, "force_ssl")
    if value is None:
        return None
    reason = undecided(value)
    unknown = isinstance(value, (EnvRef, Unknown)) or value.conditional
    enabled = None if unknown else truthy(value)
    return SslEnforcement(
        "force_ssl", endpoint, view, value, value.location("force_ssl set here"), enabled, reason
    )


def ssl_plug(endpoint: Endpoint) -> SslEnforcement | None:
    prior: list[str] = []
    for plug in endpoint.plugs:
        if plug.name == "Plug.RewriteOn" and not plug.conditional:
            names = atom_names(plug.options)
            prior.extend(names or [])
        if plug.name != "Plug.SSL":
            continue
        reason = None
        enabled: bool | None = True
        if plug.conditional:
            enabled = None
            reason = f"the plug sits under `{plug.conditional}`, which flylint cannot decide"
        elif plug.options is not None and not isinstance(plug.options, (KeywordList, ListValue)):
            reason = undecided(plug.options)
        return SslEnforcement(
            "plug",
            endpoint,
            "endpoint",
            plug.options,
            plug.location.with_label("plug Plug.SSL here"),
            enabled,
            reason,
            tuple(prior),
        )
    return None


def ssl_enforcement(app: App, endpoint: Endpoint | None = None) -> SslEnforcement | None:
    """HTTPS enforcement that applies to the endpoint's HTTP requests: `force_ssl` in the
    compile-time prod config (runtime values are ignored up to Phoenix 1.7 and stop the boot in
    1.8), else `plug Plug.SSL` in endpoint.ex. A `force_ssl: false` is returned (enabled False)
    so callers can point at it. None when neither is set."""
    proj = elixir_project(app)
    if proj is None:
        return None
    endpoint = endpoint or app_endpoint(app)
    if endpoint is None:
        return None
    found = force_ssl_setting(proj, endpoint, "compile")
    if found is not None and found.enabled is not False:
        return found
    plug = ssl_plug(endpoint)
    return plug or found


def runtime_force_ssl(app: App, endpoint: Endpoint | None = None) -> SslEnforcement | None:
    """`force_ssl` as set in runtime.exs/releases.exs for the endpoint (None when not set there)."""
    proj = elixir_project(app)
    endpoint = endpoint or app_endpoint(app)
    if proj is None or endpoint is None:
        return None
    return force_ssl_setting(proj, endpoint, "runtime")


def ssl_enforcements(app: App) -> list[SslEnforcement]:
    """ssl_enforcement for every endpoint the release starts."""
    proj = elixir_project(app)
    if proj is None:
        return []
    out = []
    for endpoint in release_endpoints(proj):
        found = ssl_enforcement(app, endpoint)
        if found is not None:
            out.append(found)
    return out


def https_listener(proj: ElixirProject, endpoint: Endpoint) -> bool:
    """True when the endpoint has its own `https:` listener in prod (it terminates TLS itself)."""
    value = endpoint_setting(proj, endpoint, "effective", "https")
    return value is not None and truthy(value) is True


# -- fly.toml -------------------------------------------------------------------------------------


@record(frozen=True)
class PlainHttpPort:
    """A public port where Fly's proxy speaks plain HTTP (the `http` handler without `tls`)."""

    service: Service
    port: Port
    force_key: str  # key path of the force_https that would redirect it
    label: str  # "[http_service]" or "port 80 of [[services]] #1"


def plain_http_ports(fly: FlyConfig | None) -> list[PlainHttpPort]:
    """Plain-HTTP public ports. Port 443 without `tls` is FLY109's problem, not counted here."""
    if fly is None:
        return []
    out = []
    for service in fly.services:
        for port in service.ports:
            if "http" not in port.handlers or "tls" in port.handlers or port.port == 443:
                continue
            if service.is_http_service:
                out.append(
                    PlainHttpPort(service, port, "http_service.force_https", "[http_service]")
                )
                break
            number = port.port if port.port is not None else f"{port.start_port}-{port.end_port}"
            several = sum(not s.is_http_service for s in fly.services) > 1
            where = service.key if several else "[[services]]"
            out.append(
                PlainHttpPort(service, port, f"{port.key}.force_https", f"port {number} of {where}")
            )
    return out


@record(frozen=True)
class ResponseHeader:
    """A header Fly's proxy adds to responses (`http_options.response.headers`)."""

    service: Service
    name: str
    value: Any  # str, list of str, or false (removes the header)
    key: str  # TOML key path


def response_headers(fly: FlyConfig | None, name: str) -> list[ResponseHeader]:
    """Every `http_options.response.headers` entry called name (case-insensitive)."""
    if fly is None:
        return []
    from flylint.parsers.toml_locator import format_path

    out = []
    data = fly.data if isinstance(fly.data, dict) else {}
    for service in fly.services:
        if service.is_http_service:
            tables = [(("http_service",), data.get("http_service"))]
        else:
            index = _service_index(service.key)
            raw = data.get("services")
            entry = (
                raw[index]
                if isinstance(raw, list) and index is not None and index < len(raw)
                else None
            )
            ports = entry.get("ports") if isinstance(entry, dict) else None
            if isinstance(ports, dict):
                ports = [ports]
            tables = [
                (("services", index, "ports", i), p)
                for i, p in enumerate(ports if isinstance(ports, list) else [])
            ]
        for path, table in tables:
            headers = _dig(table, "http_options", "response", "headers")
            if not isinstance(headers, dict):
                continue
            for header, value in headers.items():
                if isinstance(header, str) and header.lower() == name.lower():
                    key = format_path((*path, "http_options", "response", "headers", header))
                    out.append(ResponseHeader(service, header, value, key))
    return out


def _service_index(key: str) -> int | None:
    m = re.fullmatch(r"services\[(\d+)\]", key)
    return int(m.group(1)) if m else None


def _dig(table: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def header_text(value: Any) -> str | None:
    """A response header value as one string (lists joined like repeated headers); None when the
    entry removes the header."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return None


def hsts_max_age(text: str) -> int | None:
    m = re.search(r"max-age\s*=\s*\"?(\d+)", text, re.IGNORECASE)
    return int(m.group(1)) if m else None


# -- request protections: sensitive routes and rate limiting ---------------------------------------

GIB = 1024**3

# Path segments (lower-cased) and module-name words that mark a route worth rate limiting.
_LOGIN_SEGMENTS = {
    "login",
    "log_in",
    "log-in",
    "signin",
    "sign_in",
    "sign-in",
    "session",
    "sessions",
}
# Logout in a path segment or an action name, also inside a longer word (`force_logout`).
_LOGOUT_WORD = lazy(r"log[_-]?out|sign[_-]?out", re.IGNORECASE)
_REGISTER_SEGMENTS = {
    "register",
    "registration",
    "registrations",
    "signup",
    "sign_up",
    "sign-up",
}
_RESET_SEGMENTS = {
    "reset_password",
    "reset-password",
    "password_reset",
    "password-reset",
    "forgot_password",
    "forgot-password",
    "forgot",
    "reset",
}
_NAME_WORDS = (
    ("login", lazy(r"SessionController|LogIn|Login|SignIn|MagicLink")),
    ("registration", lazy(r"Registration|Register|SignUp|Signup")),
    ("password reset", lazy(r"ResetPassword|ForgotPassword|PasswordReset")),
    ("upload", lazy(r"Upload")),
)
_UPLOAD_VERBS = {"post", "put", "patch", "live", "resources", "match :post", "match :put", "match"}
_ROUTE_VERBS = _UPLOAD_VERBS | {"get"}

# Hex packages that rate-limit requests (matched by name; `*rate_limit*` and `*throttl*` too).
RATE_LIMIT_PACKAGES = {"hammer", "hammer_plug", "plug_attack", "ex_rated", "paraxial"}
_RATE_LIMIT_NAME = lazy(r"rate_?limit|throttl|plug_?attack|hammer|ex_?rated", re.IGNORECASE)


def sensitive_route_kind(route: Any) -> str | None:
    """ "login", "registration", "password reset" or "upload" when a router route serves one of
    those (by path segment, or by the controller/LiveView name); None otherwise. Logout routes,
    deletes and upload downloads (GET) do not count."""
    verb = getattr(route, "verb", "") or ""
    if verb not in _ROUTE_VERBS or getattr(route, "conditional", None):
        return None
    path = getattr(route, "path", "") or ""
    segments = [s.lower() for s in path.split("/") if s and s[0] not in ":*"]
    if any(_LOGOUT_WORD.search(s) for s in segments):
        return None
    parts = (getattr(route, "target", None) or "").split(".")
    name = ".".join(parts[1:] if len(parts) > 1 else parts)  # drop the app namespace (MyAppWeb)
    action = getattr(route, "action", None) or ""
    if action == "delete" or _LOGOUT_WORD.search(action):
        return None
    kind = None
    if any(s in _LOGIN_SEGMENTS for s in segments):
        kind = "login"
    elif any(s in _REGISTER_SEGMENTS for s in segments):
        kind = "registration"
    elif any(s in _RESET_SEGMENTS for s in segments):
        kind = "password reset"
    elif any("upload" in s for s in segments):
        kind = "upload"
    else:
        for label, pattern in _NAME_WORDS:
            if pattern.search(name):
                kind = label
                break
    if kind == "upload" and verb not in _UPLOAD_VERBS:
        return None  # a GET under /uploads is a download
    return kind


def rate_limit_dependencies(proj: ElixirProject | None) -> list[str]:
    """Rate-limiting libraries among the project's deps (mix.exs or mix.lock)."""
    return sorted(
        n for n in dependency_names(proj) if n in RATE_LIMIT_PACKAGES or _RATE_LIMIT_NAME.search(n)
    )


def rate_limit_plugs(proj: ElixirProject | None) -> list[Any]:
    """Plugs in the endpoints and routers whose name says they rate-limit (`MyAppWeb.RateLimit`,
    `PlugAttack`, `:throttle`, `Hammer.Plug`)."""
    if proj is None:
        return []
    plugs: list[Any] = []
    for endpoint in getattr(proj, "endpoints", []) or []:
        plugs.extend(endpoint.plugs)
    for router in getattr(proj, "routers", []) or []:
        plugs.extend(router.plugs)
        for pipeline in router.pipelines.values():
            plugs.extend(pipeline.plugs)
    return [p for p in plugs if _RATE_LIMIT_NAME.search(p.name.replace(".", "_"))]
