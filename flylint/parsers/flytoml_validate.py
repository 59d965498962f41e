"""Validation of a parsed fly config against what flyctl accepts (schema in `flytoml_schema`).

FLY002 unknown keys (flyctl silently ignores them), FLY003 wrong types, shapes, enum and range
values (flyctl or the deploy fails), FLY004 v1/Nomad-era keys, FLY005 commands that cannot be
shell-split. Semantic checks mirror flyctl's `Validate()` (validation.go) and the failures that
only show at deploy time.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flylint.findings import Finding
from flylint.parsers.flytoml_schema import (
    AUTOSTOP,
    BOOL,
    CHECK_TYPES,
    CHECKS,
    COMPRESSIONS,
    CONCURRENCY,
    CONCURRENCY_OR_STRING,
    DUR_MS,
    DUR_S,
    DUR_STRICT,
    ENV,
    EXPECTED,
    GB,
    HEADERS,
    HOMES,
    INT,
    KILL_TIMEOUT_MAX_S,
    MAP_ANY,
    MAP_STR,
    MIB,
    MISPLACED_SETTINGS,
    PROCESSES,
    RESTART_POLICIES,
    SIZE,
    STRATEGIES,
    TOP,
    TOP_CHECK,
    VM_SIZES,
    ArrayOf,
    Table,
    is_int,
    scalar_ok,
    show,
    type_name,
)
from flylint.parsers.toml_locator import PathKey, format_path

if TYPE_CHECKING:
    from flylint.parsers.flytoml import FlyConfig

# -- the validator ------------------------------------------------------------------------------


class _Validator:
    def __init__(self, config: FlyConfig) -> None:
        self.config = config
        self.findings: list[Finding] = []

    def emit(self, rule: str, path: PathKey, message: str, fix: str | None = None) -> None:
        self.findings.append(
            Finding(rule, message, self.config.locate(path), fix=fix, key=format_path(path) or None)
        )

    # -- structure ------------------------------------------------------------------------------

    def walk_table(
        self, data: dict, table: Table, path: PathKey, extra_ok: frozenset = frozenset()
    ) -> None:
        for key, value in data.items():
            sub = (*path, key)
            if key in table.legacy:
                message, spec = table.legacy[key]
                self.emit("FLY004", sub, message)
                if spec is not None:
                    self.check(value, spec, sub)
                continue
            spec = table.fields.get(key)
            if spec is None:
                if key not in extra_ok:
                    self.unknown(key, table, sub, value)
                continue
            self.check(value, spec, sub)

    def check(self, value: Any, spec: Any, path: PathKey) -> None:
        name = format_path(path)
        if isinstance(spec, Table):
            if isinstance(value, dict):
                self.walk_table(value, spec, path)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                self.emit(
                    "FLY003",
                    path,
                    f"{name} is an array of tables but flyctl expects one table: write [{name}], "
                    f"not [[{name}]] (the deploy fails)",
                )
                for i, item in enumerate(value):
                    self.walk_table(item, spec, (*path, i))
            else:
                self.emit("FLY003", path, f"{name} must be a table, not {type_name(value)}")
            return
        if isinstance(spec, ArrayOf):
            if isinstance(value, dict):
                named = bool(value) and all(isinstance(v, dict) for v in value.values())
                if named and not spec.single_ok:
                    # [x.checks.NAME] tables: the shape of top-level [checks], not of this array
                    self.emit(
                        "FLY003",
                        path,
                        f"{name} holds named tables ({', '.join(map(str, value))}) but flyctl "
                        f"expects an array of tables: write one [[{_header(path)}]] per entry "
                        "(the deploy fails)",
                    )
                    for sub, item in value.items():
                        self.walk_table(item, spec.item, (*path, sub))
                    return
                if not spec.single_ok:
                    self.emit(
                        "FLY003",
                        path,
                        f"{name} is a single table but flyctl expects an array of tables: write "
                        f"[[{_header(path)}]], not [{_header(path)}] (the deploy fails)",
                    )
                self.walk_table(value, spec.item, (*path, 0))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        self.walk_table(item, spec.item, (*path, i))
                    else:
                        self.emit(
                            "FLY003",
                            (*path, i),
                            f"{name}[{i}] must be a table, not {type_name(item)}",
                        )
            else:
                self.emit(
                    "FLY003",
                    path,
                    f"{name} must be an array of tables ([[{name}]]), not {type_name(value)}",
                )
            return
        handler = _SPECIAL.get(spec)
        if handler is not None:
            handler(self, value, path)
            return
        if not scalar_ok(spec, value):
            self.type_error(value, spec, path)

    def type_error(self, value: Any, spec: str, path: PathKey) -> None:
        key = path[-1] if path and isinstance(path[-1], str) else format_path(path)
        expected = EXPECTED.get(spec, "another type")
        hint = ""
        if spec == INT and isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            hint = f"; write {key} = {value.strip()} without quotes"
        elif spec == BOOL and isinstance(value, str) and value.lower() in ("true", "false"):
            hint = f"; write {key} = {value.lower()} without quotes"
        elif spec == MAP_STR and isinstance(value, dict):
            bad = [k for k, v in value.items() if not isinstance(v, str)]
            self.emit(
                "FLY003",
                path,
                f"{format_path(path)} values must be strings; {', '.join(bad[:5])} "
                f"{'is' if len(bad) == 1 else 'are'} not (quote them)",
            )
            return
        shown = "" if spec in (MAP_STR, MAP_ANY) else f" = {show(value)}"
        self.emit("FLY003", path, f"{key}{shown} must be {expected}, not {type_name(value)}{hint}")

    def unknown(self, key: str, table: Table, path: PathKey, value: Any = None) -> None:
        what = f'key "{key}"'
        if isinstance(value, dict):
            what = f"section [{_header(path)}]"
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            what = f"section [[{_header(path)}]]"
        parent = format_path(path[:-1])
        where = f"in [{parent}]" if parent else "at the top level"
        note = table.notes.get(key)
        if note is not None:
            self.emit("FLY002", path, f"unknown {what} {where}: {note}", fix=f"delete {key}")
            return
        known = [k for k in table.fields if k not in table.hidden]
        lowered = {k.lower(): k for k in known}
        if str(key).lower() in lowered:
            right = lowered[str(key).lower()]
            self.emit(
                "FLY002",
                path,
                f'key "{key}" {where} differs from "{right}" only in case; write "{right}" '
                "(fly config validate --strict rejects it)",
                fix=f"rename {key} to {right}",
            )
            return
        home = next(
            (
                label
                for label, t in HOMES
                if t is not table and key in t.fields and key not in t.hidden
            ),
            None,
        )
        if home is not None:
            self.emit(
                "FLY002",
                path,
                f"unknown {what} {where} (flyctl ignores it); it belongs in {home}",
                fix=f"move {key} to {home}",
            )
            return
        from difflib import get_close_matches  # only for unknown keys: 2 ms to import

        close = get_close_matches(str(key).lower(), list(lowered), n=1, cutoff=0.6)
        if close:
            suggestion = lowered[close[0]]
            self.emit(
                "FLY002",
                path,
                f"unknown {what} {where} (flyctl ignores it); did you mean {suggestion}?",
                fix=f"rename {key} to {suggestion}",
            )
            return
        self.emit("FLY002", path, f"unknown {what} {where}; flyctl ignores it")

    # -- special value kinds ------------------------------------------------------------------

    def check_env(self, value: Any, path: PathKey) -> None:
        if isinstance(value, dict):
            self.misplaced_settings(value, path, "an environment variable")
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                self.misplaced_settings(item, (*path, i), "an environment variable")
        else:
            self.emit("FLY003", path, f"[env] must be a table of variables, not {type_name(value)}")

    def misplaced_settings(self, table: dict, path: PathKey, what: str) -> None:
        for key in table:
            if key in MISPLACED_SETTINGS or (key == "app" and what.endswith("variable")):
                self.emit(
                    "FLY002",
                    (*path, key),
                    f"{key} in [{format_path(path)}] is {what}, not the fly.toml setting; "
                    "TOML puts "
                    "every key after a [table] header into that table",
                    fix=f"move {key} above the first [table] header (or into its own section)",
                )

    def check_processes(self, value: Any, path: PathKey) -> None:
        if isinstance(value, dict):
            for name, command in value.items():
                if not isinstance(command, str):
                    self.emit(
                        "FLY003",
                        (*path, name),
                        f"process {name} = {show(command)} must be a command string, "
                        f"not {type_name(command)}",
                    )
            self.misplaced_settings(value, path, "a process group")
        elif isinstance(value, list):
            if not value:
                self.emit(
                    "FLY004",
                    path,
                    "top-level processes = [] is a v1 leftover that flyctl drops; delete it "
                    "(process groups are defined in a [processes] table)",
                    fix="delete the line processes = []",
                )
            # a [[processes]] list of {name, command} is the accepted v1 shape (patched to a map)
        else:
            self.emit(
                "FLY003",
                path,
                f"processes = {show(value)} must be a [processes] table of name = command, "
                f"not {type_name(value)}",
            )

    def check_top_checks(self, value: Any, path: PathKey) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, dict):
                    self.walk_table(item, TOP_CHECK, (*path, name))
                else:
                    self.emit(
                        "FLY003",
                        (*path, name),
                        f"checks.{name} = {show(item)} is not a check: top-level [checks] holds "
                        "named checks, write [checks.NAME] with type, port, ...",
                    )
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    self.walk_table(item, TOP_CHECK, (*path, i), extra_ok=frozenset({"name"}))
                else:
                    self.emit(
                        "FLY003",
                        (*path, i),
                        "a [[checks]] entry needs a string name; write [checks.NAME] instead",
                    )
        else:
            self.emit(
                "FLY003", path, f"checks must be a table of [checks.NAME], not {type_name(value)}"
            )

    def check_headers(self, value: Any, path: PathKey) -> None:
        if isinstance(value, dict):
            return
        if isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value):
            return  # legacy [{name, value}] list, patched to a table
        self.emit(
            "FLY003", path, f"headers must be a table of name = value, not {type_name(value)}"
        )

    def check_autostop(self, value: Any, path: PathKey) -> None:
        if isinstance(value, bool) or value in ("off", "stop", "suspend"):
            return
        hint = ""
        if isinstance(value, str) and value.lower() in ("true", "false"):
            meaning = "stop" if value.lower() == "true" else "off"
            hint = f' ({value.lower()} without quotes works too, as "{meaning}")'
        self.emit(
            "FLY003",
            path,
            f"auto_stop_machines = {show(value)} is not valid; "
            f'use "off", "stop" or "suspend"{hint}',
        )

    def check_duration(self, value: Any, path: PathKey, bare_unit: str) -> None:
        key = path[-1]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.emit(
                "FLY003",
                path,
                f"{key} = {show(value)} is not a duration; "
                'write a Go duration string such as "10s"',
            )
            return
        if isinstance(value, (int, float)):
            if bare_unit == "ns":
                self.emit(
                    "FLY003",
                    path,
                    f"{key} = {show(value)} is a bare number, which flyctl reads as nanoseconds; "
                    'write a Go duration string such as "5m"',
                    fix=f'write {key} = "{show(value)}s" if you meant seconds',
                )
            return
        from flylint.parsers.flytoml import parse_go_duration

        if value != "" and parse_go_duration(value) is None:
            self.emit(
                "FLY003",
                path,
                f"{key} = {show(value)} is not a Go duration (flyctl fails to parse it); "
                'write e.g. "10s", "1m30s"',
            )

    def check_concurrency(self, value: Any, path: PathKey) -> None:
        if isinstance(value, str):
            soft, sep, hard = value.partition(",")
            if not (sep and re.fullmatch(r"[+-]?\d+", soft) and re.fullmatch(r"[+-]?\d+", hard)):
                self.emit(
                    "FLY003",
                    path,
                    f'concurrency = {show(value)} is not "soft,hard"; '
                    "write a [services.concurrency] "
                    "table with type, soft_limit, hard_limit",
                )
            return
        self.check(value, CONCURRENCY, path)

    # -- semantic checks (flyctl's Validate and deploy-time failures) ---------------------------

    def semantics(self) -> None:
        data = self.config.data
        self.kill_timeout(data)
        self.deploy(data)
        self.top_checks()
        self.service_processes(data)
        self.portless_services(data)
        self.restarts(data)
        self.mounts(data)
        self.vms(data)
        self.compression(data)
        self.commands(data)

    def kill_timeout(self, data: dict) -> None:
        path: PathKey = ("kill_timeout",)
        if "kill_timeout" not in data:
            path = ("experimental", "kill_timeout")
        d = self.config.kill_timeout_duration
        if d is not None and d.seconds is not None and d.seconds > KILL_TIMEOUT_MAX_S:
            unit = " (bare numbers are seconds)" if d.bare_int else ""
            self.emit(
                "FLY003",
                path,
                f"kill_timeout = {show(d.raw)} is {d.seconds:g} s{unit}, above the 300 s maximum",
                fix='lower kill_timeout to at most "300s"',
            )

    def deploy(self, data: dict) -> None:
        deploy = data.get("deploy")
        if not isinstance(deploy, dict):
            return
        strategy = deploy.get("strategy")
        if isinstance(strategy, str) and strategy != "" and strategy not in STRATEGIES:
            from difflib import get_close_matches

            close = get_close_matches(strategy.lower(), STRATEGIES, n=1, cutoff=0.6)
            tip = f"; did you mean {close[0]}?" if close else ""
            self.emit(
                "FLY003",
                ("deploy", "strategy"),
                f"strategy = {show(strategy)} is not a deploy strategy flyctl knows "
                f"(rolling, immediate, canary, bluegreen){tip}",
            )
        mu = deploy.get("max_unavailable")
        if isinstance(mu, (int, float)) and not isinstance(mu, bool) and mu <= 0:
            self.emit(
                "FLY003",
                ("deploy", "max_unavailable"),
                f"max_unavailable = {show(mu)} must be above 0 (a count >= 1 or a fraction)",
            )

    def top_checks(self) -> None:
        http = self.config.http_service
        http_groups = set(self.config.groups_for(http.processes)) if http else set()
        raw_checks = self.config.data.get("checks")
        for check in self.config.machine_checks:
            raw = self._raw_top_check(raw_checks, check.key)
            if raw is None:
                continue
            base = _key_path(check.key)
            kind = raw.get("type")
            # problems located at the check's header go into one finding (one per location)
            header_problems: list[str] = []
            if kind is None:
                header_problems.append('no type (top-level checks need type = "http" or "tcp")')
            elif kind not in CHECK_TYPES:
                self.emit(
                    "FLY003",
                    (*base, "type"),
                    f'check {check.name} type = {show(kind)} is invalid; use "http" or "tcp"',
                )
            interval = check.interval
            if interval is not None and interval.seconds is not None and interval.seconds < 2:
                self.emit(
                    "FLY003",
                    (*base, "interval"),
                    f"check {check.name} interval = {show(interval.raw)} is {_human(interval)}, "
                    "below "
                    "the 2 s minimum for top-level checks",
                    fix='use interval = "15s" (bare numbers are milliseconds)',
                )
            timeout = check.timeout
            if timeout is not None and timeout.seconds is not None and timeout.seconds > 60:
                self.emit(
                    "FLY003",
                    (*base, "timeout"),
                    f"check {check.name} timeout = {show(timeout.raw)} is {_human(timeout)}, "
                    "above the "
                    "60 s maximum for top-level checks",
                )
            if "port" not in raw:
                groups = set(self.config.groups_for(check.processes))
                if groups and not groups <= http_groups:
                    header_problems.append(
                        "no port (and its process group has no [http_service] to take it from)"
                    )
            if header_problems:
                self.emit(
                    "FLY003",
                    base,
                    f"check {check.name} has {' and '.join(header_problems)}",
                )

    @staticmethod
    def _raw_top_check(raw_checks: Any, key: str) -> dict | None:
        path = _key_path(key)
        if len(path) != 2:
            return None
        item = None
        if isinstance(raw_checks, dict) and isinstance(path[1], str):
            item = raw_checks.get(path[1])
        elif (
            isinstance(raw_checks, list) and isinstance(path[1], int) and path[1] < len(raw_checks)
        ):
            item = raw_checks[path[1]]
        return item if isinstance(item, dict) else None

    def service_processes(self, data: dict) -> None:
        defined = self.config.processes
        valid = self.config.process_groups
        for service in self.config.services:
            path = _key_path(service.key)
            raw = _get(data, path)
            if not isinstance(raw, dict):
                continue
            if not service.processes:
                if defined:
                    self.emit(
                        "FLY003",
                        path,
                        f"{service.key} has no processes but [processes] defines "
                        f"{', '.join(sorted(defined))}; flyctl rejects the config",
                        fix=f"add processes = [{json.dumps(self.config.default_group)}]",
                    )
                continue
            unknown = [p for p in service.processes if p not in valid]
            if unknown:
                self.emit(
                    "FLY003",
                    (*path, "processes"),
                    f"{service.key} processes names {', '.join(unknown)}, "
                    "which [processes] does not "
                    f"define (groups: {', '.join(valid)}); flyctl rejects the config",
                )

    def portless_services(self, data: dict) -> None:
        for service in self.config.services:
            if service.is_http_service or service.ports or service.internal_port is not None:
                continue
            path = _key_path(service.key)
            raw = _get(data, path)
            if not isinstance(raw, dict) or not service.checks:
                continue  # a port-less service without checks is only a flyctl warning
            hint = ""
            if isinstance(data.get("http_service"), dict) and (
                "http_checks" in raw or "tcp_checks" in raw
            ):
                hint = (
                    "; [[services.*_checks]] written under [http_service]? "
                    "use [[http_service.checks]]"
                )
            self.emit(
                "FLY003",
                path,
                f"{service.key} has no internal_port and no ports, "
                "so its checks probe port 0 and the "
                f"deploy fails{hint}",
            )

    def restarts(self, data: dict) -> None:
        valid = self.config.process_groups
        restart = data.get("restart")
        if not isinstance(restart, list):
            return
        for i, item in enumerate(restart):
            if not isinstance(item, dict):
                continue
            policy = item.get("policy")
            if (isinstance(policy, str) or policy is None) and policy not in RESTART_POLICIES:
                where = ("restart", i, "policy") if policy is not None else ("restart", i)
                tip = (
                    ' ("no" is the Machines API spelling; fly.toml uses "never")'
                    if policy == "no"
                    else ""
                )
                self.emit(
                    "FLY003",
                    where,
                    f"restart policy {show(policy) if policy is not None else '(missing)'} "
                    "is invalid; "
                    f'use "always", "never" or "on-failure"{tip}',
                )
            processes = item.get("processes")
            if isinstance(processes, list):
                unknown = [p for p in processes if isinstance(p, str) and p not in valid]
                if unknown:
                    self.emit(
                        "FLY003",
                        ("restart", i, "processes"),
                        f"restart policy names {', '.join(unknown)}, "
                        "which [processes] does not define",
                    )

    def mounts(self, data: dict) -> None:
        from flylint.parsers.flytoml import parse_size, tables

        for name in ("mount", "mounts"):
            for path, table in tables(data.get(name), (name,)):
                if name == "mount" and not isinstance(data.get(name), list):
                    path = (name,)
                self.mount(table, path, parse_size)

    def mount(self, table: dict, path: PathKey, parse_size: Callable) -> None:
        label = f"mount {table.get('source')}" if isinstance(table.get("source"), str) else "mount"
        missing = [k for k in ("source", "destination") if k not in table]
        if missing:
            self.emit(
                "FLY003",
                path,
                f"{label} has no {' and no '.join(missing)}; flyctl needs source and destination",
            )
        size = table.get("initial_size")
        if scalar_ok(SIZE, size):
            gb = parse_size(size, GB)
            if gb is None:
                self.emit(
                    "FLY003",
                    (*path, "initial_size"),
                    f'initial_size = {show(size)} is not a size; write e.g. "10gb"',
                )
            elif gb < 1:
                self.emit(
                    "FLY003",
                    (*path, "initial_size"),
                    f"initial_size = {show(size)} is below the 1 GB minimum",
                )
        retention = table.get("snapshot_retention")
        if is_int(retention) and not 1 <= retention <= 60:
            self.emit(
                "FLY003",
                (*path, "snapshot_retention"),
                f"snapshot_retention = {show(retention)} must be between 1 and 60 days",
            )
        self.auto_extend(table, path, parse_size)

    def auto_extend(self, table: dict, path: PathKey, parse_size: Callable) -> None:
        """flyctl's rule: once any auto-extend key is set, threshold (50-99 %) and increment
        (1-100 GB) are required; limit is optional (1-500 GB)."""
        threshold = table.get("auto_extend_size_threshold")
        threshold = int(threshold) if is_int(threshold) else 0
        sizes: dict[str, float] = {}
        for key in ("auto_extend_size_increment", "auto_extend_size_limit"):
            raw = table.get(key)
            if isinstance(raw, str) and raw != "":
                gb = parse_size(raw, GB)
                if gb is None:
                    self.emit(
                        "FLY003",
                        (*path, key),
                        f'{key} = {show(raw)} is not a size; write e.g. "10GB"',
                    )
                sizes[key] = gb or 0
        increment = sizes.get("auto_extend_size_increment", 0)
        limit = sizes.get("auto_extend_size_limit", 0)
        if not (threshold or increment or limit):
            return
        if threshold and not increment and not limit:
            self.emit(
                "FLY003",
                (*path, "auto_extend_size_threshold"),
                "auto_extend_size_threshold is set without auto_extend_size_increment and "
                "auto_extend_size_limit; set all three or none",
            )
            return
        if not 50 <= threshold <= 99:
            where = (*path, "auto_extend_size_threshold")
            got = f"= {threshold}" if threshold else "is missing"
            self.emit(
                "FLY003",
                where,
                f"auto_extend_size_threshold {got}; it must be between 50 and 99 (%)",
            )
        if not 1 <= increment <= 100:
            got = show(table.get("auto_extend_size_increment")) if increment else "missing"
            self.emit(
                "FLY003",
                (*path, "auto_extend_size_increment"),
                f"auto_extend_size_increment is {got}; it must be between 1GB and 100GB",
            )
        if limit and not 1 <= limit <= 500:
            self.emit(
                "FLY003",
                (*path, "auto_extend_size_limit"),
                f"auto_extend_size_limit = {show(table.get('auto_extend_size_limit'))} "
                "must be between 1GB and 500GB",
            )

    def vms(self, data: dict) -> None:
        from flylint.parsers.flytoml import parse_size, tables

        for name in ("compute", "computes", "vm"):
            for path, table in tables(data.get(name), (name,)):
                size = table.get("size")
                if isinstance(size, str) and size not in VM_SIZES:
                    family = sorted(
                        (v for v in VM_SIZES if v.split("-")[0] == size.split("-")[0]),
                        key=lambda v: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", v)],
                    )
                    tip = f"; valid sizes: {', '.join(family)}" if family else ""
                    self.emit(
                        "FLY003",
                        (*path, "size"),
                        f"vm size = {show(size)} is not a Machine preset{tip}",
                    )
                memory = table.get("memory")
                if scalar_ok(SIZE, memory):
                    mb = parse_size(memory, MIB, binary=True)
                    if mb is None or mb == 0:
                        reason = (
                            "cannot be zero"
                            if mb == 0
                            else 'is not a size; write e.g. "1gb" or 1024 (MB)'
                        )
                        self.emit(
                            "FLY003", (*path, "memory"), f"vm memory = {show(memory)} {reason}"
                        )

    def compression(self, data: dict) -> None:
        build = data.get("build")
        if not isinstance(build, dict):
            return
        compression = build.get("compression")
        if isinstance(compression, str) and compression not in ("", *COMPRESSIONS):
            self.emit(
                "FLY003",
                ("build", "compression"),
                f'compression = {show(compression)} must be "gzip" or "zstd"',
            )
        level = build.get("compression_level")
        if is_int(level) and not 0 <= level <= 9:
            self.emit(
                "FLY003",
                ("build", "compression_level"),
                f"compression_level = {show(level)} must be 0-9",
            )

    def commands(self, data: dict) -> None:
        candidates: list[tuple[PathKey, Any, str]] = []
        deploy = data.get("deploy")
        if isinstance(deploy, dict):
            candidates.append(
                (("deploy", "release_command"), deploy.get("release_command"), "release_command")
            )
        candidates.append((("console_command",), data.get("console_command"), "console_command"))
        processes = data.get("processes")
        if isinstance(processes, dict):
            for name, command in processes.items():
                candidates.append((("processes", name), command, f"the {name} process command"))
        for path, command, label in candidates:
            if not isinstance(command, str) or command == "":
                continue
            try:
                shlex.split(command)
            except ValueError as err:
                self.emit(
                    "FLY005",
                    path,
                    f"{label} cannot be shell-split ({str(err).lower()}); "
                    "flyctl rejects the config",
                    fix="balance the quotes, or escape the literal quote character",
                )


_SPECIAL: dict[str, Callable[[_Validator, Any, PathKey], None]] = {
    ENV: _Validator.check_env,
    PROCESSES: _Validator.check_processes,
    CHECKS: _Validator.check_top_checks,
    HEADERS: _Validator.check_headers,
    AUTOSTOP: _Validator.check_autostop,
    DUR_MS: lambda v, value, path: v.check_duration(value, path, "ms"),
    DUR_S: lambda v, value, path: v.check_duration(value, path, "s"),
    DUR_STRICT: lambda v, value, path: v.check_duration(value, path, "ns"),
    CONCURRENCY_OR_STRING: _Validator.check_concurrency,
}


def _human(d: Any) -> str:
    seconds = d.seconds
    if d.bare_int:
        return f"{d.raw} ms (bare numbers are milliseconds)"
    if seconds < 1:
        return f"{seconds * 1000:g} ms"
    return f"{seconds:g} s"


def _header(path: PathKey) -> str:
    """A key path as written in a TOML table header (no array indices)."""
    return format_path(tuple(seg for seg in path if isinstance(seg, str)))


def _key_path(key: str) -> PathKey:
    from flylint.parsers.toml_locator import parse_path

    return parse_path(key)


def _get(data: Any, path: PathKey) -> Any:
    """The raw value at a path; a single table stands for element 0 of an array."""
    node = data
    for seg in path:
        if isinstance(seg, int):
            if isinstance(node, list) and 0 <= seg < len(node):
                node = node[seg]
            elif isinstance(node, dict) and seg == 0:
                continue
            else:
                return None
        elif isinstance(node, dict):
            node = node.get(seg)
        else:
            return None
    return node


def validate(config: FlyConfig) -> list[Finding]:
    """FLY002-FLY005 findings for one parsed fly config, in file order."""
    validator = _Validator(config)
    validator.walk_table(config.data, TOP, ())
    validator.semantics()
    return sorted(validator.findings, key=lambda f: (f.location.line, f.location.column, f.rule))
