"""FLY5xx: database connections (Ecto repos and TLS), plus the repo and path helpers that the
volume rules (FLY404-FLY406) share.

Every rule here reads the effective prod config of the app's Repos and points at the Repo's
`config` call that holds the trigger. Values flylint cannot see (secrets, computed expressions,
undecidable conditions) never produce a warning or error: the rule stays silent or reports at
info with the reason."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qs, urlsplit

from flylint.checks import rule
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.elixir.values import (
    Atom,
    Charlist,
    EnvRef,
    KeywordList,
    ListValue,
    Literal,
    Value,
    elixir_text,
)
from flylint.records import record

# Fly's private network: Fly Postgres (.internal, .flycast) and Managed Postgres (.flympg.net).
PRIVATE_SUFFIXES = (".internal", ".flycast", ".flympg.net")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
FLY_6PN = ipaddress.ip_network("fdaa::/16")
# libpq sslmode values that ask for TLS; Ecto ignores sslmode entirely.
SSLMODES_WANTING_TLS = frozenset({"require", "verify-ca", "verify-full"})
POSTGREX_SSL_LIST = (0, 18)  # `ssl: [opts]` is read from 0.18 on; ssl_opts deprecated
POSTGREX_VERIFIES = (0, 21)  # `ssl: true` verifies against the OS CA store from 0.21 on
SQLITE_DEPS = ("ecto_sqlite3", "exqlite", "sqlite_ecto2", "ecto_sqlite")
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")
CA_KEYS = ("cacerts", "cacertfile")


# -- values from config, fly.toml [env] and the Dockerfile ---------------------------------------


@record(frozen=True)
class Resolved:
    """The text a config value has at runtime, and where that text is written."""

    text: str
    origin: str  # "config/runtime.exs:27", "fly.toml [env] DATABASE_URL", ...
    location: Location
    from_default: bool = False  # the `|| default` of an env var set nowhere flylint can see
    env_name: str | None = None


def elixir_project(app: App):
    """The Elixir project the app deploys (one definition for every family: phoenix_facts)."""
    from flylint.checks.phoenix_facts import elixir_project as deployed_project

    return deployed_project(app)


def _where(value: Value) -> str:
    return f"{value.file}:{value.line}" if value.file else "config"


def resolve_text(app: App, value: Value | None) -> Resolved | None:
    """The string a value holds when flylint can see it: a literal, or an env var set in fly.toml
    `[env]` or the runner stage's `ENV`, else its literal default. None when unknown."""
    if isinstance(value, Literal) and isinstance(value.value, str):
        return Resolved(value.value, _where(value), value.location())
    if isinstance(value, Charlist):
        return Resolved(value.text, _where(value), value.location())
    if not isinstance(value, EnvRef) or value.cast not in (None, "charlist"):
        return None
    name = value.name
    fly = getattr(app, "fly", None)
    env = getattr(fly, "env", None)
    if isinstance(env, dict) and isinstance(env.get(name), str):
        return Resolved(
            env[name], f"fly.toml [env] {name}", _locate(fly, f"env.{name}"), env_name=name
        )
    runner = getattr(getattr(app, "dockerfile", None), "runner", None)
    denv = getattr(runner, "env", None)
    unresolved = getattr(runner, "env_unresolved", None) or set()
    if isinstance(denv, dict) and isinstance(denv.get(name), str) and name not in unresolved:
        line = (getattr(runner, "env_lines", None) or {}).get(name, 1)
        path = getattr(app, "dockerfile_path", None) or "Dockerfile"
        where = Location(path, line, 1)
        return Resolved(denv[name], f"Dockerfile ENV {name}", where, env_name=name)
    default = value.default
    if isinstance(default, (Literal, Charlist)):
        text = default.value if isinstance(default, Literal) else default.text
        if isinstance(text, str):
            return Resolved(
                text, f"default of {name}", default.location(), from_default=True, env_name=name
            )
    return None


def _locate(fly, key: str) -> Location:
    try:
        return fly.locate(key)
    except Exception:  # a partial config: point at the top of the file
        return Location(getattr(getattr(fly, "source", None), "path", "fly.toml"), 1, 1)


# -- Repos ----------------------------------------------------------------------------------------


@record(frozen=True)
class Repo:
    otp_app: str
    module: str  # "MyApp.Repo"
    config: KeywordList  # the effective prod config of the Repo

    def get(self, key: str) -> Value | None:
        return self.config.get(key)


def find_repos(proj) -> list[Repo]:
    """Repos with prod config: modules listed in any `ecto_repos:` or named like `*Repo`."""
    if proj is None:
        return []
    try:
        effective = proj.config.effective
        listed = set(proj.repos)
        for app_config in proj.config.compile_time.values():
            repos = app_config.get("ecto_repos") if isinstance(app_config, KeywordList) else None
            if isinstance(repos, ListValue):
                listed.update(i.module for i in repos.items if isinstance(i, Atom) and i.is_module)
    except Exception:
        return []
    out: list[Repo] = []
    seen: set[tuple[str, str]] = set()
    for otp_app, app_config in effective.items():
        if not isinstance(app_config, KeywordList):
            continue
        for key, value in app_config.entries:
            if not key.startswith("Elixir.") or not isinstance(value, KeywordList):
                continue
            module = key[7:]
            if module not in listed and not module.rsplit(".", 1)[-1].endswith("Repo"):
                continue
            if (otp_app, module) not in seen:
                seen.add((otp_app, module))
                out.append(Repo(otp_app, module, value))
    return out


def _dep_names(proj) -> set[str]:
    names = set(getattr(proj, "lock", None) or {})
    for mix in [getattr(proj, "mix", None), *(getattr(proj, "apps", None) or [])]:
        for dep in getattr(mix, "deps", None) or []:
            names.add(dep.name)
    return names


def has_sqlite_dep(proj) -> bool:
    return bool(_dep_names(proj) & set(SQLITE_DEPS))


def repo_kind(app: App, proj, repo: Repo) -> str:
    """One of "sqlite", "mysql", "postgres" (also the guess when nothing says otherwise) or "other"."""
    database = resolve_text(app, repo.get("database"))
    url = resolve_text(app, repo.get("url"))
    scheme = urlsplit(url.text).scheme.lower() if url is not None and "://" in url.text else ""
    if scheme.startswith("mysql"):
        return "mysql"
    if scheme.startswith("postgres"):
        return "postgres"
    deps = _dep_names(proj)
    sqlite = bool(deps & set(SQLITE_DEPS))
    network = bool({"postgrex", "myxql"} & deps)
    file_like = database is not None and (
        database.text.startswith("/") or database.text.lower().endswith(SQLITE_SUFFIXES)
    )
    if file_like and (sqlite or not network):
        return "sqlite"
    no_server = repo.get("url") is None and repo.get("hostname") is None
    if no_server and sqlite and not network:
        return "sqlite"
    if "postgrex" in deps:
        return "postgres"
    if "myxql" in deps:
        return "mysql"
    if sqlite:
        return "sqlite"
    if deps & {"tds", "ecto_ch", "ch"}:
        return "other"
    return "postgres"


# -- where a Repo is configured -------------------------------------------------------------------


@record(frozen=True)
class ConfigCall:
    otp_app: str
    module: str
    location: Location  # `config :app, Module` (the head of the call)
    span: tuple[int, int, int, int]  # the whole call


def config_calls(app: App, path: str) -> list[ConfigCall]:
    """Every `config :app, Module, ...` call in a config file (comments are not code)."""
    try:
        from flylint.parsers.elixir.syntax import call_args, call_name, parse

        src = app.source(path)
        if src is None:
            return []
        parsed = parse(src)
    except Exception:
        return []
    out: list[ConfigCall] = []
    stack = [parsed.root]
    visited = 0
    while stack and visited < 200_000:
        node = stack.pop()
        visited += 1
        if call_name(parsed, node) == "config":
            args = call_args(node)
            if len(args) >= 2 and args[0].type == "atom" and args[1].type == "alias":
                otp_app = parsed.text(args[0]).lstrip(":").strip('"')
                module = "".join(parsed.text(args[1]).split())
                line, col, _, _ = parsed.span(node)
                _, _, eline, ecol = parsed.span(args[1])
                out.append(
                    ConfigCall(
                        otp_app,
                        module,
                        Location(path, line, col, eline, ecol),
                        parsed.span(node),
                    )
                )
        stack.extend(reversed(node.named_children))
    return out


def _contains(span: tuple[int, int, int, int], line: int, column: int) -> bool:
    sl, sc, el, ec = span
    return (sl, sc) <= (line, column) <= (el, ec)


def repo_call(app: App, repo: Repo, *triggers: Value | None) -> Location:
    """The Repo's `config` call that holds the first trigger value (else the call of its merged
    config, else the trigger itself)."""
    candidates = [v for v in triggers if isinstance(v, Value) and v.file] + [repo.config]
    for value in candidates:
        for call in config_calls(app, value.file):
            same = call.otp_app == repo.otp_app and call.module == repo.module
            if same and _contains(call.span, value.line, value.column):
                return call.location
    return candidates[0].location()


# -- hosts and URLs -------------------------------------------------------------------------------


def host_class(host: str | None) -> str:
    """One of "private" (Fly's network), "local", "public" or "unknown"."""
    if not host:
        return "unknown"
    host = host.strip("[]").lower().rstrip(".")
    if host in LOCAL_HOSTS:
        return "local"
    if host.endswith(PRIVATE_SUFFIXES):
        return "private"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "public" if "." in host else "unknown"
    if ip.is_loopback:
        return "local"
    if ip.version == 6 and ip in FLY_6PN:
        return "private"
    return "private" if ip.is_private else "public"


@record(frozen=True)
class Url:
    resolved: Resolved
    host: str | None
    query: dict[str, str]


def parse_url(resolved: Resolved | None) -> Url | None:
    if resolved is None or "://" not in resolved.text or "#{" in resolved.text:
        return None
    try:
        parts = urlsplit(resolved.text)
        host = parts.hostname
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    except ValueError:
        return None
    return Url(resolved, host, query)


@record(frozen=True)
class Connection:
    """What flylint can tell about one Repo's connection."""

    repo: Repo
    kind: str
    ssl: Value | None
    ssl_opts: Value | None
    url_value: Value | None
    url: Url | None  # the URL when its text is visible
    host: str | None
    host_origin: str  # where the host comes from, for messages
    host_location: Location | None  # fly.toml [env] / literal host, for related locations
    hostclass: str  # private, local, public, unknown, none (no connection settings)
    unknown_reason: str  # why the host is unknown

    @property
    def url_ssl(self) -> str | None:
        return self.url.query.get("ssl") if self.url is not None else None

    @property
    def sslmode(self) -> str | None:
        return self.url.query.get("sslmode") if self.url is not None else None


def connection(app: App, proj, repo: Repo) -> Connection:
    url_value = repo.get("url")
    text = resolve_text(app, url_value)
    if text is not None and text.from_default:
        text = None  # a dev fallback; the real URL is a secret
    url = parse_url(text)
    host: str | None = None
    origin = ""
    host_location: Location | None = None
    reason = ""
    if url is not None and url.host:
        host, origin, host_location = url.host, url.resolved.origin, url.resolved.location
    elif url is None and text is not None:
        reason = f"the URL ({text.origin}) is not one flylint can parse"
    elif url is None and url_value is not None:
        reason = (
            f"the URL comes from the {url_value.name} secret"
            if isinstance(url_value, EnvRef)
            else "the URL is computed by an expression flylint does not evaluate"
        )
    if host is None and not reason:  # a URL flylint cannot read overrides `hostname:`
        hostname = repo.get("hostname")
        resolved = resolve_text(app, hostname)
        if resolved is not None and not resolved.from_default:
            host, origin, host_location = resolved.text, resolved.origin, resolved.location
        elif hostname is not None and not reason:
            reason = (
                f"the hostname comes from the {hostname.name} secret"
                if isinstance(hostname, EnvRef)
                else "the hostname is computed"
            )
    if host is not None:
        hclass = host_class(host)
        if hclass == "unknown":
            reason = f"host {host!r} is not a full domain name"
    elif repo.get("socket_dir") is not None or repo.get("socket") is not None:
        hclass = "local"
    elif reason:
        hclass = "unknown"
    else:
        hclass = "none"
    return Connection(
        repo,
        repo_kind(app, proj, repo),
        repo.get("ssl"),
        repo.get("ssl_opts"),
        url_value,
        url,
        host,
        origin,
        host_location,
        hclass,
        reason,
    )


def connections(app: App) -> Iterator[tuple[object, Connection]]:
    """The network database connections of the app's Repos (SQLite repos are skipped)."""
    proj = elixir_project(app)
    for repo in find_repos(proj):
        try:
            conn = connection(app, proj, repo)
        except Exception:  # never let one odd Repo stop the run
            continue
        if conn.kind != "sqlite":
            yield proj, conn


def _postgrex(proj) -> tuple[str | None, tuple[int, ...] | None]:
    from flylint.parsers.elixir.mixfile import version_tuple

    try:
        version = proj.locked_version("postgrex")
    except Exception:
        version = None
    return version, version_tuple(version)


def _condition(*values: Value | None) -> str | None:
    for value in values:
        if isinstance(value, Value) and value.conditional:
            return value.conditional
    return None


def _guarded(message: str, condition: str | None) -> tuple[str, str | None]:
    """An undecidable condition turns a finding into info, and the message says why."""
    if condition is None:
        return message, None
    cond = " ".join(condition.split())
    if len(cond) > 60:
        cond = cond[:59] + "…"
    return f"{message} (only when `{cond}`, which flylint cannot decide)", "info"


# Never echo these option values into a message: a key password or a private key.
_SECRET_OPTIONS = ("password", "key")


def show_options(value: Value | None, limit: int = 70) -> str:
    """An ssl option list as Elixir source for a message, with secret values elided."""
    if isinstance(value, KeywordList) and any(k in value for k in _SECRET_OPTIONS):
        parts = [
            f"{k}: …" if k in _SECRET_OPTIONS else f"{k}: {elixir_text(v, 40)}"
            for k, v in value.entries
        ]
        text = "[" + ", ".join(parts) + "]"
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return elixir_text(value, limit)


def _kw_has(value: Value | None, keys: tuple[str, ...]) -> bool:
    return isinstance(value, KeywordList) and any(k in value for k in keys)


def _verify_none(value: Value | None) -> Value | None:
    if not isinstance(value, KeywordList):
        return None
    verify = value.get("verify")
    return verify if isinstance(verify, Atom) and verify.name == "verify_none" else None


def _is_true(value: Value | None) -> bool:
    return isinstance(value, Literal) and value.value is True


def _is_off(value: Value | None) -> bool:
    return isinstance(value, Literal) and value.value in (False, None)


def _ssl_on_in_config(value: Value | None) -> bool:
    """ssl: true or ssl: [options] (a keyword list, even empty, is truthy)."""
    return _is_true(value) or isinstance(value, (KeywordList, ListValue))


def _host_text(conn: Connection) -> str:
    return conn.host if conn.host else "the database"


def _private_fix(conn: Connection) -> str | None:
    if conn.hostclass == "private":
        return (
            f"{conn.host} is on Fly's private network (WireGuard-encrypted): drop the ssl options, "
            "or verify with the cluster's CA via cacertfile"
        )
    return None


def _related(*locations: Location | None, primary: Location | None = None) -> tuple:
    out = []
    for loc in locations:
        if loc is None or loc in out:
            continue
        if primary is not None and (loc.path, loc.line) == (primary.path, primary.line):
            continue
        out.append(loc)
    return tuple(out)


# -- FLY501 ---------------------------------------------------------------------------------------


@rule("FLY501")
def check_db_ssl_verify_none(app: App) -> Iterable[Finding]:
    for _, conn in connections(app):
        for key, options in (("ssl", conn.ssl), ("ssl_opts", conn.ssl_opts)):
            verify = _verify_none(options)
            if verify is None:
                continue
            where = repo_call(app, conn.repo, options)
            message, severity = _guarded(
                f"{conn.repo.module} sets {key}: {show_options(options, 70)}: TLS without "
                "certificate verification accepts any server, so anyone on the path can "
                f"impersonate {_host_text(conn)} and read the credentials and data",
                _condition(options, verify, conn.repo.config),
            )
            yield Finding(
                "FLY501",
                message,
                where,
                related=_related(verify.location(f"{key} verify: :verify_none"), primary=where),
                fix=_private_fix(conn)
                or "ssl: [cacerts: :public_key.cacerts_get()] in config/runtime.exs "
                "(Postgrex >= 0.18 adds verify_peer and the hostname check)",
                severity=severity,
                key=f"{conn.repo.module}.{key}",
            )


# -- FLY502 ---------------------------------------------------------------------------------------


def _version_note(version: str | None) -> str:
    return f"Postgrex {version} (mix.lock)" if version else "Postgrex of unknown version"


@rule("FLY502")
def check_db_ssl_unverified(app: App) -> Iterable[Finding]:
    for proj, conn in connections(app):
        if conn.kind != "postgres" or conn.url_ssl == "false":
            continue  # TLS off: FLY503/FLY505
        if _verify_none(conn.ssl) is not None or _verify_none(conn.ssl_opts) is not None:
            continue  # FLY501
        ssl, ssl_opts = conn.ssl, conn.ssl_opts
        tls_on = _ssl_on_in_config(ssl) or conn.url_ssl == "true"
        if not tls_on:
            continue
        version, vt = _postgrex(proj)
        known_old = vt is not None and vt < POSTGREX_SSL_LIST
        new_api = vt is not None and vt >= POSTGREX_SSL_LIST
        found = _unverified(conn, ssl, ssl_opts, version, vt, known_old, new_api)
        if found is None:
            continue
        trigger, text, fix, *level = found
        where = repo_call(app, conn.repo, trigger)
        message, severity = _guarded(text, _condition(trigger, conn.repo.config))
        severity = severity or (level[0] if level else None)
        yield Finding(
            "FLY502",
            message,
            where,
            related=_related(
                trigger.location("set here") if trigger is not None else None, primary=where
            ),
            fix=fix,
            severity=severity,
            key=f"{conn.repo.module}.ssl",
        )


def _unverified(conn, ssl, ssl_opts, version, vt, known_old, new_api):
    """(trigger value, message, fix) when TLS is on but the certificate goes unverified."""
    mod = conn.repo.module
    shown = _version_note(version)
    ca_fix = "ssl: [cacerts: :public_key.cacerts_get()] in config/runtime.exs"
    if ssl_opts is not None:
        verified = (
            isinstance(ssl_opts, KeywordList)
            and _kw_has(ssl_opts, CA_KEYS)
            and isinstance(ssl_opts.get("verify"), Atom)
            and ssl_opts.get("verify").name == "verify_peer"
        )
        if new_api and verified:
            # The options given are the secure ones: only the deprecation remains.
            return (
                ssl_opts,
                f"{mod} sets ssl_opts, deprecated since Postgrex 0.18 ({shown}); its options "
                "verify the certificate (verify: :verify_peer with CAs), but Postgrex logs a "
                "deprecation warning on connect",
                "move the same options into ssl: [...] and drop ssl_opts",
                "info",
            )
        if new_api and not isinstance(ssl_opts, KeywordList):
            # An expression flylint cannot read: whether it verifies is unknown, so only info.
            return (
                ssl_opts,
                f"{mod} sets ssl_opts, deprecated since Postgrex 0.18 ({shown}), to an "
                "expression flylint cannot read: with ssl: true the options replace the secure "
                "defaults, so unless they include verify: :verify_peer and CAs the certificate "
                "goes unverified",
                f"move the options into ssl: [...] and drop ssl_opts, e.g. {ca_fix}",
                "info",
            )
        if new_api:
            return (
                ssl_opts,
                f"{mod} sets ssl_opts, deprecated since Postgrex 0.18 ({shown}): with ssl: true "
                "the options are used exactly as given, replacing the secure defaults "
                "(verify_peer, hostname check)",
                f"move the options into ssl: [...] and drop ssl_opts, e.g. {ca_fix}",
            )
        if isinstance(ssl_opts, KeywordList) and not verified:
            return (
                ssl_opts,
                f"{mod} sets ssl_opts: {show_options(ssl_opts, 60)} without verify: :verify_peer "
                f"and cacerts/cacertfile: {shown} does not verify the server certificate",
                "ssl_opts: [verify: :verify_peer, cacerts: :public_key.cacerts_get(), "
                'server_name_indication: ~c"<db host>"], or upgrade Postgrex to >= 0.21',
            )
        return None
    if _is_true(ssl) or (ssl is None and conn.url_ssl == "true"):
        if vt is not None and vt >= POSTGREX_VERIFIES:
            return None
        trigger = ssl if ssl is not None else conn.url_value
        what = "ssl: true" if ssl is not None else "the URL's ssl=true"
        assumed = "" if version else " (no mix.lock entry; assumed older than 0.21)"
        return (
            trigger,
            f"{mod} uses {what} with {shown}{assumed}: before Postgrex 0.21 this encrypts "
            "without verifying the server certificate",
            f"upgrade Postgrex to >= 0.21 (ssl: true then verifies), or {ca_fix}"
            if not known_old
            else "upgrade Postgrex to >= 0.21 (ssl: true then verifies against the OS CA store)",
        )
    if isinstance(ssl, (KeywordList, ListValue)):
        if known_old:
            return (
                ssl,
                f"{mod} sets ssl: {show_options(ssl, 60)}, but {shown} reads TLS options only "
                "from ssl_opts (lists in ssl: arrived in 0.18): it encrypts without verifying "
                "the server certificate",
                "upgrade Postgrex to >= 0.21, or use ssl: true with ssl_opts: "
                "[verify: :verify_peer, cacerts: :public_key.cacerts_get()]",
            )
        if isinstance(ssl, KeywordList) and _kw_has(ssl, CA_KEYS):
            return None
        if isinstance(ssl, ListValue) and ssl.items:
            return None  # not a keyword list flylint can read
        return (
            ssl,
            f"{mod} sets ssl: {show_options(ssl, 60)} without cacerts or cacertfile: there is no "
            "CA to verify the server certificate against",
            f"add the CAs: {ca_fix}",
        )
    return None


# -- FLY503 ---------------------------------------------------------------------------------------


@rule("FLY503")
def check_db_ssl_disabled_external(app: App) -> Iterable[Finding]:
    for _, conn in connections(app):
        if conn.hostclass in ("private", "local", "none"):
            continue
        ssl = conn.ssl
        if ssl is not None and not isinstance(ssl, (Literal, KeywordList, ListValue)):
            continue  # computed or from the environment: cannot tell
        if _condition(ssl, conn.url_value, conn.repo.config):
            continue
        if (conn.kind != "mysql" and _sslmode_finding(conn)) or _url_overrides(conn):
            continue  # FLY504 / FLY505 describe this connection
        if conn.url_ssl == "true" or (_ssl_on_in_config(ssl) and conn.url_ssl != "false"):
            continue
        if conn.url_ssl == "false":
            why, trigger = "the URL sets ssl=false", conn.url_value
        elif ssl is not None:
            why, trigger = f"ssl: {show_options(ssl)}", ssl
        else:
            why, trigger = "no ssl option", conn.url_value or conn.repo.get("hostname")
        where = repo_call(app, conn.repo, trigger)
        if conn.hostclass == "public":
            yield Finding(
                "FLY503",
                f"{conn.repo.module} connects to {conn.host} ({conn.host_origin}) with {why}: "
                "the host is outside Fly's private network, so credentials and data cross it "
                "unencrypted",
                where,
                related=_related(
                    conn.host_location.with_label("database host") if conn.host_location else None,
                    primary=where,
                ),
                fix="ssl: [cacerts: :public_key.cacerts_get()] in config/runtime.exs",
                key=f"{conn.repo.module}.ssl",
            )
        else:
            yield Finding(
                "FLY503",
                f"{conn.repo.module} has {why} and its host is unknown ({conn.unknown_reason}): "
                "unless it is on Fly's private network (.internal, .flycast, .flympg.net) or the "
                "URL sets ssl=true, the connection is unencrypted",
                where,
                fix="for a database outside Fly's private network set ssl: "
                "[cacerts: :public_key.cacerts_get()] in config/runtime.exs",
                severity="info",
                key=f"{conn.repo.module}.ssl",
            )


# -- FLY504 ---------------------------------------------------------------------------------------


def _sslmode_finding(conn: Connection) -> bool:
    mode = (conn.sslmode or "").lower()
    if mode not in SSLMODES_WANTING_TLS or conn.url_ssl == "true":
        return False
    ssl = conn.ssl
    if _ssl_on_in_config(ssl) and conn.url_ssl != "false":
        return False  # TLS is on anyway; the sslmode is only noise
    return ssl is None or _is_off(ssl)


@rule("FLY504")
def check_db_url_sslmode_ignored(app: App) -> Iterable[Finding]:
    for _, conn in connections(app):
        if conn.kind == "mysql" or conn.url is None or not _sslmode_finding(conn):
            continue
        resolved = conn.url.resolved
        where = repo_call(app, conn.repo, conn.url_value)
        message, severity = _guarded(
            f"{conn.repo.module}'s URL ({resolved.origin}) sets sslmode={conn.sslmode}, which "
            f"Ecto ignores (only ssl=true is read): the connection to {_host_text(conn)} is "
            "not encrypted",
            _condition(conn.url_value, conn.ssl, conn.repo.config),
        )
        yield Finding(
            "FLY504",
            message,
            where,
            related=_related(resolved.location.with_label("database URL"), primary=where),
            fix=f"replace sslmode={conn.sslmode} with ssl=true in the URL, or set ssl: "
            "[cacerts: :public_key.cacerts_get()] in the Repo config",
            severity=severity,
            key=f"{conn.repo.module}.url",
        )


# -- FLY505 ---------------------------------------------------------------------------------------


def _url_overrides(conn: Connection) -> bool:
    return conn.url_ssl == "false" and (_ssl_on_in_config(conn.ssl) or conn.ssl_opts is not None)


@rule("FLY505")
def check_db_url_ssl_overrides_config(app: App) -> Iterable[Finding]:
    for _, conn in connections(app):
        if conn.url is None or not _url_overrides(conn):
            continue
        options = conn.ssl if _ssl_on_in_config(conn.ssl) else conn.ssl_opts
        key = "ssl" if options is conn.ssl else "ssl_opts"
        resolved = conn.url.resolved
        where = repo_call(app, conn.repo, conn.url_value)
        message, severity = _guarded(
            f"{conn.repo.module}'s URL ({resolved.origin}) carries ssl=false, which overrides "
            f"{key}: {show_options(options, 60)} in the config: the connection to "
            f"{_host_text(conn)} is not encrypted",
            _condition(conn.url_value, options, conn.repo.config),
        )
        yield Finding(
            "FLY505",
            message,
            where,
            related=_related(
                resolved.location.with_label("database URL"),
                options.location(f"{key} set here") if options is not None else None,
                primary=where,
            ),
            fix="remove ssl=false from the URL (the URL's options win over the config)",
            severity=severity,
            key=f"{conn.repo.module}.url",
        )
