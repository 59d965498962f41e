"""The fly.toml schema as flyctl reads it: every key of every section with its expected type,
the v1 keys flyctl still parses but ignores, and the enums and limits flyctl enforces.

It mirrors flyctl's `internal/appconfig` structs (and fly-go's machine types) after the legacy
patches of `patches.go`, so every spelling those patches accept is known.
"""

from __future__ import annotations

import json
import re
from dataclasses import field
from typing import Any

from flylint.records import record

# -- schema ---------------------------------------------------------------------------------------

STR, INT, UINT, NUM, BOOL, ANY = "str", "int", "uint", "number", "bool", "any"
STRLIST, STR_OR_LIST = "strlist", "str_or_list"
MAP_STR, MAP_ANY = "map_str", "map_any"
ENV, PROCESSES, CHECKS, HEADERS = "env", "processes", "checks", "headers"
PORT_INT, AUTOSTOP, SIZE = "port_int", "autostop", "size"
DUR_MS, DUR_S, DUR_STRICT = "dur_ms", "dur_s", "dur_strict"
CONCURRENCY_OR_STRING = "concurrency_or_string"


@record(frozen=True)
class Table:
    fields: dict[str, Any]
    # Keys flyctl reads but ignores (v1 leftovers): key -> (FLY004 message, spec to check or None).
    legacy: dict[str, tuple[str, Any]] = field(default_factory=dict)
    # Accepted alternative spellings, never offered as a suggestion.
    hidden: frozenset[str] = frozenset()
    # Keys people write here that flyctl does not read, with the reason (FLY002 message).
    notes: dict[str, str] = field(default_factory=dict)


@record(frozen=True)
class ArrayOf:
    item: Table
    single_ok: bool  # flyctl's patches turn a single table into a one-element array


_RESTART_LIMIT = (
    "restart_limit is a v1 (Nomad) check setting that flyctl ignores: health checks never restart "
    "Machines; use a [[restart]] section (policy, retries) instead",
    None,
)
_CHECK_TIMING = {"interval": DUR_MS, "timeout": DUR_MS, "grace_period": DUR_MS}
_HTTP_CHECK_FIELDS = {
    **_CHECK_TIMING,
    "method": STR,
    "path": STR,
    "protocol": STR,
    "tls_skip_verify": BOOL,
    "tls_server_name": STR,
    "headers": HEADERS,
}
_SERVICE_CHECK_NOTES = {
    "port": "service checks always probe the service's internal_port; flyctl ignores port here",
    "type": "the check type comes from the section (tcp_checks, http_checks, http_service.checks)",
}
TCP_CHECK = Table(
    dict(_CHECK_TIMING), legacy={"restart_limit": _RESTART_LIMIT}, notes=_SERVICE_CHECK_NOTES
)
HTTP_CHECK = Table(
    dict(_HTTP_CHECK_FIELDS), legacy={"restart_limit": _RESTART_LIMIT}, notes=_SERVICE_CHECK_NOTES
)
MACHINE_CHECK = Table(
    {
        "command": STRLIST,
        "image": STR,
        "entrypoint": STRLIST,
        "kill_signal": STR,
        "kill_timeout": DUR_STRICT,
    }
)
TOP_CHECK = Table(
    {"port": INT, "type": STR, **_HTTP_CHECK_FIELDS, "processes": STRLIST},
    legacy={"restart_limit": _RESTART_LIMIT},
    notes={"kind": "kind is a Machines API field that flyctl does not read from fly.toml"},
)
TLS_OPTIONS = Table({"alpn": STRLIST, "versions": STRLIST, "default_self_signed": BOOL})
HTTP_OPTIONS = Table(
    {
        "compress": BOOL,
        "response": Table({"headers": MAP_ANY, "pristine": BOOL}),
        "h2_backend": BOOL,
        "idle_timeout": UINT,
        "headers_read_timeout": UINT,
        "replay_cache": ArrayOf(
            Table(
                {
                    "path_prefix": STR,
                    "ttl_seconds": INT,
                    "type": STR,
                    "name": STR,
                    "allow_bypass": BOOL,
                }
            ),
            single_ok=False,
        ),
    }
)
CONCURRENCY = Table({"type": STR, "hard_limit": INT, "soft_limit": INT})
PORT = Table(
    {
        "port": PORT_INT,
        "start_port": INT,
        "end_port": INT,
        "handlers": STRLIST,
        "force_https": BOOL,
        "tls_options": TLS_OPTIONS,
        "http_options": HTTP_OPTIONS,
        "proxy_proto_options": Table({"version": STR}),
    }
)
_AUTOSCALE = {
    "auto_stop_machines": AUTOSTOP,
    "auto_start_machines": BOOL,
    "min_machines_running": INT,
    "processes": STRLIST,
}
HTTP_SERVICE = Table(
    {
        "internal_port": INT,  # not patched for [http_service]: a string is an error
        "force_https": BOOL,
        **_AUTOSCALE,
        "concurrency": CONCURRENCY,
        "tls_options": TLS_OPTIONS,
        "http_options": HTTP_OPTIONS,
        "checks": ArrayOf(HTTP_CHECK, single_ok=False),
        "machine_checks": ArrayOf(MACHINE_CHECK, single_ok=False),
    },
    notes={
        "port": "[http_service] always serves ports 80 and 443; the app's port is internal_port",
        "ports": "[http_service] always serves ports 80 and 443; use [[services]] for other ports",
    },
)
SERVICE = Table(
    {
        "protocol": STR,
        "internal_port": PORT_INT,
        **_AUTOSCALE,
        "ports": ArrayOf(PORT, single_ok=True),
        "concurrency": CONCURRENCY_OR_STRING,
        "tcp_checks": ArrayOf(TCP_CHECK, single_ok=True),
        "http_checks": ArrayOf(HTTP_CHECK, single_ok=True),
        "machine_checks": ArrayOf(MACHINE_CHECK, single_ok=False),
    },
    legacy={
        "script_checks": (
            "script_checks is a v1 (Nomad) setting that flyctl ignores; use "
            "[[services.machine_checks]] "
            "or a top-level [checks.NAME] http/tcp check instead",
            None,
        )
    },
)
MOUNT = Table(
    {
        "source": STR,
        "destination": STR,
        "initial_size": SIZE,
        "snapshot_retention": INT,
        "scheduled_snapshots": BOOL,
        "auto_extend_size_threshold": INT,
        "auto_extend_size_increment": STR,
        "auto_extend_size_limit": STR,
        "processes": STRLIST,
    }
)
COMPUTE = Table(
    {
        "size": STR,
        "memory": SIZE,
        "cpu_kind": STR,
        "cpus": INT,
        "memory_mb": INT,
        "max_memory_mb": INT,
        "gpus": INT,
        "gpu_kind": STR,
        "host_dedication_id": STR,
        "persist_rootfs": STR,
        "kernel_args": STRLIST,
        "processes": STRLIST,
    }
)
BUILD = Table(
    {
        "builder": STR,
        "args": MAP_STR,
        "buildpacks": STRLIST,
        "image": STR,
        "settings": MAP_ANY,
        "builtin": STR,
        "dockerfile": STR,
        "ignorefile": STR,
        "build-target": STR,
        "build_target": STR,
        "compose": Table({"file": STR}),
        "compression": STR,
        "compression_level": INT,
    },
    hidden=frozenset({"build_target"}),
)
DEPLOY = Table(
    {
        "strategy": STR,
        "max_unavailable": NUM,
        "wait_timeout": DUR_STRICT,
        "release_command": STR,
        "release_command_timeout": DUR_STRICT,
        "release_command_vm": COMPUTE,
        "seed_command": STR,
    }
)
EXPERIMENTAL = Table(
    {
        "cmd": STR_OR_LIST,
        "entrypoint": STR_OR_LIST,
        "exec": STR_OR_LIST,
        "auto_rollback": BOOL,
        "enable_consul": BOOL,
        "enable_etcd": BOOL,
        "lazy_load_images": BOOL,
        "attached": Table({"secrets": Table({"export": MAP_STR})}),
        "machine_config": STR,
        "kill_timeout": DUR_S,
        "metrics_port": INT,
        "metrics_path": STR,
    },
    legacy={
        "allowed_public_ports": (
            "[experimental] allowed_public_ports is a v1 setting that flyctl ignores; public ports "
            "are the [http_service] / [[services.ports]] entries, delete it",
            None,
        ),
        "private_network": (
            "[experimental] private_network is a v1 setting that flyctl ignores; every Machine is "
            "on "
            "the private network (6PN), delete it",
            None,
        ),
    },
    hidden=frozenset(
        {"kill_timeout", "metrics_port", "metrics_path", "enable_consul", "enable_etcd"}
    ),
)
TOP = Table(
    {
        "app": STR,
        "primary_region": STR,
        "kill_signal": STR,
        "kill_timeout": DUR_S,
        "swap_size_mb": INT,
        "console_command": STR,
        "host_dedication_id": STR,
        "machine_config": STR,
        "container": STR,
        "experimental": EXPERIMENTAL,
        "build": BUILD,
        "deploy": DEPLOY,
        "env": ENV,
        "processes": PROCESSES,
        "mounts": ArrayOf(MOUNT, single_ok=True),
        "http_service": HTTP_SERVICE,
        "services": ArrayOf(SERVICE, single_ok=True),
        "checks": CHECKS,
        "files": ArrayOf(
            Table(
                {
                    "guest_path": STR,
                    "local_path": STR,
                    "secret_name": STR,
                    "raw_value": STR,
                    "processes": STRLIST,
                }
            ),
            single_ok=False,
        ),
        "machine_checks": ArrayOf(MACHINE_CHECK, single_ok=False),
        "restart": ArrayOf(
            Table({"policy": STR, "retries": INT, "processes": STRLIST}), single_ok=False
        ),
        "vm": ArrayOf(COMPUTE, single_ok=True),
        "compute": ArrayOf(COMPUTE, single_ok=True),
        "computes": ArrayOf(COMPUTE, single_ok=True),
        "statics": ArrayOf(
            Table(
                {"guest_path": STR, "url_prefix": STR, "tigris_bucket": STR, "index_document": STR}
            ),
            single_ok=False,
        ),
        "metrics": ArrayOf(
            Table({"port": INT, "path": STR, "https": BOOL, "processes": STRLIST}), single_ok=True
        ),
        "metric": ArrayOf(
            Table({"port": INT, "path": STR, "https": BOOL, "processes": STRLIST}), single_ok=True
        ),
    },
    legacy={
        "mount": (
            "singular [mount] is the v1 spelling; write [[mounts]] (an array: one entry per volume "
            "mount)",
            ArrayOf(MOUNT, single_ok=True),
        )
    },
    hidden=frozenset({"compute", "computes", "metric"}),
)

# Where a key usually lives, to say "it belongs in [deploy]" when a key is in the wrong table.
HOMES = (
    ("the top level (before any [table])", TOP),
    ("[deploy]", DEPLOY),
    ("[build]", BUILD),
    ("[http_service]", HTTP_SERVICE),
    ("[[services]]", SERVICE),
    ("[[services.ports]]", PORT),
    ("[[mounts]]", MOUNT),
    ("[experimental]", EXPERIMENTAL),
)

# Lower-case [env]/[processes] names that are really fly.toml settings written below a table
# header by mistake (TOML puts every key after `[env]` into env).
MISPLACED_SETTINGS = frozenset(
    {
        "kill_signal",
        "kill_timeout",
        "primary_region",
        "swap_size_mb",
        "console_command",
        "host_dedication_id",
        "auto_rollback",
        "release_command",
    }
)

STRATEGIES = ("rolling", "immediate", "canary", "bluegreen")
RESTART_POLICIES = ("always", "never", "on-failure")
CHECK_TYPES = ("http", "tcp")
COMPRESSIONS = ("gzip", "zstd")
VM_SIZES = frozenset(
    [f"shared-cpu-{n}x" for n in (1, 2, 4, 6, 8)]
    + [f"performance-{n}x" for n in (1, 2, 4, 6, 8, 10, 12, 14, 16)]
    + ["a10", "l40s", "a100-40gb", "a100-80gb"]
)
KILL_TIMEOUT_MAX_S = 300
GB = 1000.0**3  # docker/go-units FromHumanSize is decimal
MIB = 1024.0**2

EXPECTED = {
    STR: "a string",
    INT: "an integer",
    UINT: "a non-negative integer",
    NUM: "a number",
    BOOL: "true or false",
    STRLIST: "an array of strings",
    STR_OR_LIST: "a string or an array of strings",
    MAP_STR: "a table of strings",
    MAP_ANY: "a table",
    PORT_INT: "an integer",
    SIZE: 'a size ("1gb") or an integer',
}


def show(value: Any) -> str:
    """A short rendering of a value for a one-line message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 42 else text[:39] + '..."'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return "a date/time"


def is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def scalar_ok(kind: str, value: Any) -> bool:
    if kind == ANY:
        return True
    if kind == STR:
        return isinstance(value, str)
    if kind == INT:
        return is_int(value)
    if kind == UINT:
        return is_int(value) and value >= 0
    if kind == NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == STRLIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == STR_OR_LIST:
        return isinstance(value, str) or scalar_ok(STRLIST, value)
    if kind == MAP_STR:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == MAP_ANY:
        return isinstance(value, dict)
    if kind == PORT_INT:
        return is_int(value) or (
            isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value) is not None
        )
    if kind == SIZE:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return True
