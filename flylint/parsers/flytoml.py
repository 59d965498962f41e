"""fly.toml: parse, normalise the shapes flyctl accepts, and validate like flyctl does.

`parse_fly_config` reads the TOML with tomllib, builds a `FlyConfig` model in the shape flyctl
works with after its legacy patches (`[mounts]` as a table, `[vm]`, string ports, boolean
autostop, non-string env values, `build_target`), and returns FLY002-FLY005 findings from
`flytoml_validate`. A file tomllib rejects yields no model and one FLY001 at tomllib's position.

The model is lenient where the intent is clear (`[http_service.checks]` written as a table is read
as one check) so that other rules still see what the author meant; the validation findings say
what flyctl will reject.
"""

from __future__ import annotations

import re
import sys
from dataclasses import field
from typing import Any

from flylint.findings import Finding, Location
from flylint.lazyre import lazy
from flylint.parsers.toml_locator import PathKey, TomlLocator, format_path, parse_path
from flylint.records import record
from flylint.sources import SourceFile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

DEFAULT_GROUP = "app"
AUTOSTOP_VALUES = ("off", "stop", "suspend")

# -- durations and sizes ------------------------------------------------------------------------

_GO_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_GO_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string (`"10s"`, `"1m30s"`, `"1.5h"`), None when Go would reject
    it (`"10 seconds"`, `"5"`, `""`)."""
    s = text
    sign = 1.0
    if s[:1] in ("+", "-"):
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        return None
    total = 0.0
    pos = 0
    while pos < len(s):
        m = _GO_PART.match(s, pos)
        if m is None or m.group(1) in ("", "."):
            return None
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    return sign * total


@record(frozen=True)
class Duration:
    """A duration as written. `seconds` is None when flyctl cannot parse it. `bare_int` marks a bare
    number (not a string), whose unit depends on the key: milliseconds for check durations,
    seconds for kill_timeout, nanoseconds for [deploy] timeouts."""

    raw: Any
    seconds: float | None
    bare_int: bool


def to_duration(value: Any, bare_unit: float) -> Duration | None:
    """Duration of a TOML value; None when unset (flyctl ignores `""`)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return Duration(value, None, False)
    if isinstance(value, (int, float)):
        return Duration(value, int(value) * bare_unit, True)
    if isinstance(value, str):
        return Duration(value, parse_go_duration(value), False)
    return Duration(value, None, False)


_SIZE = re.compile(r"^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_SIZE_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def parse_size(value: Any, unit_bytes: float, binary: bool = False) -> float | None:
    """A size in `unit_bytes` units, like flyctl's ParseSize: a bare integer (or integer string) is
    already in those units; `"10gb"`, `"512MB"` are converted (decimal, or binary for memory)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    text = str(value).strip() if isinstance(value, (str, float)) else None
    if text is None:
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return float(int(text))
    m = _SIZE.match(text)
    if m is None:
        return None
    base = 1024.0 if binary else 1000.0
    total = float(m.group(1)) * base ** _SIZE_POWERS[(m.group(2) or "").lower()]
    return float(int(total // unit_bytes))


# -- the model ----------------------------------------------------------------------------------


@record(frozen=True)
class Port:
    port: int | None
    handlers: list[str]
    force_https: bool
    tls_versions: list[str] | None
    key: str  # "services[0].ports[1]", or "http_service" for its two implicit ports
    start_port: int | None = None
    end_port: int | None = None


@record(frozen=True)
class ServiceCheck:
    """A service-level check. Service checks always probe the service's internal_port; a `port`
    key there is ignored by flyctl (and reported as FLY002), so `port` is always None."""

    kind: str  # "http" | "tcp"
    key: str
    path: str | None = None
    port: int | None = None
    method: str | None = None
    protocol: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    interval: Duration | None = None
    timeout: Duration | None = None
    grace_period: Duration | None = None


@record(frozen=True)
class Service:
    key: str  # "http_service" or "services[1]"
    is_http_service: bool
    internal_port: int | None
    protocol: str
    processes: list[str]
    ports: list[Port]
    force_https: bool
    checks: list[ServiceCheck]
    auto_stop: str | None
    auto_start: bool | None
    min_machines_running: int | None
    concurrency_type: str | None
    soft_limit: int | None
    hard_limit: int | None
    response_headers: dict[str, object]
    serves_http: bool
    # True when a checks key is present but unusable (wrong type): absence rules stay silent.
    checks_malformed: bool = False


@record(frozen=True)
class TopCheck:
    """A top-level `[checks.NAME]` machine check."""

    name: str
    key: str
    type: str | None
    port: int | None
    path: str | None
    headers: dict[str, str]
    interval: Duration | None
    timeout: Duration | None
    grace_period: Duration | None
    processes: list[str]


@record(frozen=True)
class Mount:
    source: str | None
    destination: str | None
    processes: list[str]
    key: str
    initial_size: Any = None


@record(frozen=True)
class Build:
    dockerfile: str | None = None
    ignorefile: str | None = None
    build_target: str | None = None
    image: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    builder: str | None = None


@record(frozen=True)
class Deploy:
    strategy: str | None = None
    release_command: str | None = None
    release_command_timeout: Duration | None = None
    wait_timeout: Duration | None = None
    max_unavailable: float | None = None
    seed_command: str | None = None


@record
class FlyConfig:
    """One fly config after flyctl's legacy patches. Built by parse_fly_config; not mutated."""

    source: SourceFile
    data: dict
    locator: TomlLocator = field(repr=False)
    app_name: str | None = None
    primary_region: str | None = None
    kill_signal: str | None = None
    kill_timeout: str | int | None = None
    kill_timeout_duration: Duration | None = None
    console_command: str | None = None
    swap_size_mb: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    build: Build = field(default_factory=Build)
    deploy: Deploy = field(default_factory=Deploy)
    processes: dict[str, str] = field(default_factory=dict)
    process_groups: list[str] = field(default_factory=lambda: [DEFAULT_GROUP])
    default_group: str = DEFAULT_GROUP
    services: list[Service] = field(default_factory=list)
    machine_checks: list[TopCheck] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    vms: list[dict] = field(default_factory=list)
    statics: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)

    def locate(self, key_path: str | PathKey) -> Location:
        """Where a key path is written (the `key = value` span, or the `[table]` header); a missing
        key falls back to its nearest existing parent, else line 1 column 1."""
        span = self.locator.locate(key_path)
        return Location(self.source.path, span.line, span.column, span.end_line, span.end_column)

    def has_key(self, key_path: str | PathKey) -> bool:
        """True when the key path is written in the file (legacy single-table shapes included)."""
        return self.locator.find(key_path) is not None

    def groups_for(self, processes: list[str]) -> list[str]:
        """The process groups an entry with this `processes` list applies to: the named groups that
        exist, or the default group when the list is empty (flyctl's Flatten)."""
        if not processes:
            return [self.default_group]
        return [g for g in self.process_groups if g in processes]

    @property
    def http_service(self) -> Service | None:
        return next((s for s in self.services if s.is_http_service), None)


# -- parsing ------------------------------------------------------------------------------------

_TOML_POS = lazy(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = lazy(r"\s*\(at end of document\)\s*$")


def parse_fly_config(src: SourceFile) -> tuple[FlyConfig | None, list[Finding]]:
    """Parse one fly config. None (with one FLY001) only when the TOML cannot be read at all."""
    try:
        data = tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as err:
        return None, [_syntax_finding(src, err)]
    except (RecursionError, ValueError, TypeError) as err:  # pathological nesting
        why = "nested too deeply" if isinstance(err, RecursionError) else type(err).__name__
        return None, [Finding("FLY001", f"TOML could not be parsed: {why}", Location(src.path))]
    config = build_model(src, data)
    from flylint.parsers.flytoml_validate import validate

    return config, validate(config)


def _syntax_finding(src: SourceFile, err: Exception) -> Finding:
    message = str(err)
    line = getattr(err, "lineno", None)
    col = getattr(err, "colno", None)
    m = _TOML_POS.search(message)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        message = message[: m.start()]
    elif _TOML_END.search(message):
        message = _TOML_END.sub("", message)
        line = max(1, len(src.lines) - (1 if src.lines and src.lines[-1] == "" else 0))
        col = len(src.line(line)) + 1
    line = line if isinstance(line, int) and line >= 1 else 1
    col = col if isinstance(col, int) and col >= 1 else 1
    return Finding(
        "FLY001",
        f"TOML syntax error: {message.strip()}; flyctl cannot read this file",
        Location(src.path, line, col),
    )


# -- model building: every accessor tolerates any type --------------------------------------------


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    """An integer as flyctl would decode it (numeric strings only where patched: see _port_int)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _port_int(value: Any) -> int | None:
    """Ports may be written as strings (`"8080"`); flyctl converts them."""
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return _int(value)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _strlist(value: Any) -> list[str]:
    """A list of strings; a lone string counts as a one-element list (flyctl rejects it, FLY003
    says so, but the intent is clear)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def tables(value: Any, path: PathKey) -> list[tuple[PathKey, dict]]:
    """An array of tables with the key path of each; a single table counts as element 0."""
    if isinstance(value, dict):
        return [((*path, 0), value)]
    if isinstance(value, list):
        return [((*path, i), v) for i, v in enumerate(value) if isinstance(v, dict)]
    return []


def go_string(value: Any) -> str:
    """How flyctl stringifies a non-string value (Go's %v)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _env(value: Any) -> dict[str, str]:
    env: dict[str, str] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            env[str(k)] = go_string(v)
    elif isinstance(value, list):  # [[env]] list of tables, merged
        for item in value:
            env.update(_env(item))
    return env


def _processes(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, str) else go_string(v) for k, v in value.items()}
    if isinstance(value, list):  # legacy [[processes]] name/command; `processes = []` is dropped
        out = {}
        for item in value:
            if isinstance(item, dict) and "name" in item:
                out[go_string(item["name"])] = go_string(item.get("command", ""))
        return out
    return {}


def _headers(value: Any) -> dict[str, str]:
    """Check headers: a table, or the legacy list of {name, value}."""
    if isinstance(value, dict):
        return {str(k): go_string(v) for k, v in value.items()}
    if isinstance(value, list):
        out = {}
        for item in value:
            if isinstance(item, dict) and "name" in item:
                out[go_string(item["name"])] = go_string(item.get("value", ""))
        return out
    return {}


def _autostop(value: Any) -> str | None:
    if isinstance(value, bool):
        return "stop" if value else "off"
    if isinstance(value, str) and value in AUTOSTOP_VALUES:
        return value
    return None


def _concurrency(value: Any) -> tuple[str | None, int | None, int | None]:
    if isinstance(value, str):  # legacy "soft,hard"
        soft, _, hard = value.partition(",")
        if soft.strip().isdigit() and hard.strip().isdigit():
            return "requests", int(soft), int(hard)
        return None, None, None
    table = _dict(value)
    return _str(table.get("type")), _int(table.get("soft_limit")), _int(table.get("hard_limit"))


def _service_check(kind: str, path: PathKey, table: dict) -> ServiceCheck:
    return ServiceCheck(
        kind=kind,
        key=format_path(path),
        path=_str(table.get("path")),
        port=None,
        method=_str(table.get("method")),
        protocol=_str(table.get("protocol")),
        headers=_headers(table.get("headers")),
        interval=to_duration(table.get("interval"), 1e-3),
        timeout=to_duration(table.get("timeout"), 1e-3),
        grace_period=to_duration(table.get("grace_period"), 1e-3),
    )


def _check_tables(value: Any, path: PathKey) -> list[tuple[PathKey, dict]]:
    """Checks of an array that authors sometimes write as named tables ([x.checks.NAME]); flyctl
    rejects that shape (FLY003) but each named table is clearly meant as one check."""
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return [((*path, name), table) for name, table in value.items()]
    return tables(value, path)


def _checks_malformed(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, dict):
        return False  # a single table: read as one check
    return not isinstance(value, list) or any(not isinstance(v, dict) for v in value)


def _tls_versions(port_table: dict) -> list[str] | None:
    versions = _dict(port_table.get("tls_options")).get("versions")
    if versions is None:
        return None
    return _strlist(versions)


def _http_service(raw: Any) -> Service | None:
    if isinstance(raw, list):  # `[[http_service]]`: flyctl rejects it (FLY003); read the first
        raw = next((v for v in raw if isinstance(v, dict)), None)
    if not isinstance(raw, dict):
        return None
    force = raw.get("force_https") is True
    tls_versions = _tls_versions(raw)
    checks = [
        _service_check("http", p, t)
        for p, t in _check_tables(raw.get("checks"), ("http_service", "checks"))
    ]
    ctype, soft, hard = _concurrency(raw.get("concurrency"))
    headers = _dict(_dict(_dict(raw.get("http_options")).get("response")).get("headers"))
    return Service(
        key="http_service",
        is_http_service=True,
        internal_port=_port_int(raw.get("internal_port")),
        protocol="tcp",
        processes=_strlist(raw.get("processes")),
        ports=[
            Port(80, ["http"], force, None, "http_service"),
            Port(443, ["tls", "http"], False, tls_versions, "http_service"),
        ],
        force_https=force,
        checks=checks,
        auto_stop=_autostop(raw.get("auto_stop_machines")),
        auto_start=_bool(raw.get("auto_start_machines")),
        min_machines_running=_int(raw.get("min_machines_running")),
        concurrency_type=ctype,
        soft_limit=soft,
        hard_limit=hard,
        response_headers=dict(headers),
        serves_http=True,
        checks_malformed=_checks_malformed(raw.get("checks")),
    )


def _service(path: PathKey, raw: dict) -> Service:
    ports: list[Port] = []
    headers: dict[str, object] = {}
    for port_path, table in tables(raw.get("ports"), (*path, "ports")):
        ports.append(
            Port(
                port=_port_int(table.get("port")),
                handlers=_strlist(table.get("handlers")),
                force_https=table.get("force_https") is True,
                tls_versions=_tls_versions(table),
                key=format_path(port_path),
                start_port=_int(table.get("start_port")),
                end_port=_int(table.get("end_port")),
            )
        )
        response = _dict(_dict(table.get("http_options")).get("response"))
        for name, value in _dict(response.get("headers")).items():
            headers.setdefault(name, value)
    checks = [
        _service_check("tcp", p, t) for p, t in tables(raw.get("tcp_checks"), (*path, "tcp_checks"))
    ]
    checks += [
        _service_check("http", p, t)
        for p, t in tables(raw.get("http_checks"), (*path, "http_checks"))
    ]
    ctype, soft, hard = _concurrency(raw.get("concurrency"))
    protocol = _str(raw.get("protocol")) or "tcp"
    return Service(
        key=format_path(path),
        is_http_service=False,
        internal_port=_port_int(raw.get("internal_port")),
        protocol=protocol,
        processes=_strlist(raw.get("processes")),
        ports=ports,
        force_https=False,
        checks=checks,
        auto_stop=_autostop(raw.get("auto_stop_machines")),
        auto_start=_bool(raw.get("auto_start_machines")),
        min_machines_running=_int(raw.get("min_machines_running")),
        concurrency_type=ctype,
        soft_limit=soft,
        hard_limit=hard,
        response_headers=headers,
        serves_http=any("http" in p.handlers for p in ports),
        checks_malformed=_checks_malformed(raw.get("tcp_checks"))
        or _checks_malformed(raw.get("http_checks")),
    )


def _top_checks(raw: Any) -> list[TopCheck]:
    entries: list[tuple[str, PathKey, dict]] = []
    if isinstance(raw, dict):
        entries = [(str(n), ("checks", n), t) for n, t in raw.items() if isinstance(t, dict)]
    elif isinstance(raw, list):  # legacy list of checks with `name`
        for i, t in enumerate(raw):
            if isinstance(t, dict):
                entries.append((go_string(t.get("name", "")), ("checks", i), t))
    return [
        TopCheck(
            name=name,
            key=format_path(path),
            type=_str(t.get("type")),
            port=_port_int(t.get("port")),
            path=_str(t.get("path")),
            headers=_headers(t.get("headers")),
            interval=to_duration(t.get("interval"), 1e-3),
            timeout=to_duration(t.get("timeout"), 1e-3),
            grace_period=to_duration(t.get("grace_period"), 1e-3),
            processes=_strlist(t.get("processes")),
        )
        for name, path, t in entries
    ]


def _entries_with_key(data: dict, names: tuple[str, ...]) -> list[dict]:
    """Tables of one array section (and its legacy spellings) as dicts carrying a `key`."""
    out = []
    for name in names:
        for path, table in tables(data.get(name), (name,)):
            entry = dict(table)
            entry["key"] = format_path(path)
            out.append(entry)
    return out


def build_model(src: SourceFile, data: dict) -> FlyConfig:
    """The FlyConfig of already-decoded TOML data."""
    experimental = _dict(data.get("experimental"))
    build_raw = _dict(data.get("build"))
    deploy_raw = _dict(data.get("deploy"))

    kill_timeout_raw = data.get("kill_timeout", experimental.get("kill_timeout"))
    kill_timeout = kill_timeout_raw if isinstance(kill_timeout_raw, (str, int)) else None
    if isinstance(kill_timeout, bool):
        kill_timeout = None

    processes = _processes(data.get("processes"))
    groups = sorted(processes) if processes else [DEFAULT_GROUP]
    default_group = DEFAULT_GROUP if DEFAULT_GROUP in groups else groups[0]

    services: list[Service] = []
    http_service = _http_service(data.get("http_service"))
    if http_service is not None:
        services.append(http_service)
    services += [_service(p, t) for p, t in tables(data.get("services"), ("services",))]

    mounts = []
    for name in ("mount", "mounts"):  # flyctl appends [mount] first, then [[mounts]]
        for path, table in tables(data.get(name), (name,)):
            mounts.append(
                Mount(
                    source=_str(table.get("source")),
                    destination=_str(table.get("destination")),
                    processes=_strlist(table.get("processes")),
                    key=format_path(path),
                    initial_size=table.get("initial_size"),
                )
            )

    build_target = build_raw.get("build-target", build_raw.get("build_target"))
    return FlyConfig(
        source=src,
        data=data,
        locator=TomlLocator(src.text),
        app_name=_str(data.get("app")),
        primary_region=_str(data.get("primary_region")),
        kill_signal=_str(data.get("kill_signal")),
        kill_timeout=kill_timeout,
        kill_timeout_duration=to_duration(kill_timeout_raw, 1.0),
        console_command=_str(data.get("console_command")),
        swap_size_mb=_int(data.get("swap_size_mb")),
        env=_env(data.get("env")),
        build=Build(
            dockerfile=_str(build_raw.get("dockerfile")),
            ignorefile=_str(build_raw.get("ignorefile")),
            build_target=_str(build_target),
            image=_str(build_raw.get("image")),
            args={str(k): go_string(v) for k, v in _dict(build_raw.get("args")).items()},
            builder=_str(build_raw.get("builder")),
        ),
        deploy=Deploy(
            strategy=_str(deploy_raw.get("strategy")),
            release_command=_str(deploy_raw.get("release_command")),
            release_command_timeout=to_duration(deploy_raw.get("release_command_timeout"), 1e-9),
            wait_timeout=to_duration(deploy_raw.get("wait_timeout"), 1e-9),
            max_unavailable=_number(deploy_raw.get("max_unavailable")),
            seed_command=_str(deploy_raw.get("seed_command")),
        ),
        processes=processes,
        process_groups=groups,
        default_group=default_group,
        services=services,
        machine_checks=_top_checks(data.get("checks")),
        mounts=mounts,
        vms=_entries_with_key(data, ("compute", "computes", "vm")),
        statics=_entries_with_key(data, ("statics",)),
        files=_entries_with_key(data, ("files",)),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def key_of(path: str | PathKey) -> str:
    """Canonical text of a key path (`http_service.checks[0]`)."""
    return format_path(parse_path(path) if isinstance(path, str) else path)
