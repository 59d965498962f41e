"""The JSON shape of the Elixir model for `flylint inspect --output-format json`.

Every evaluated value becomes a *value node* (documented in docs/inspect-json.md, a public
interface): {"kind", "value", "env", "default", "source", "file", "line", "conditional"} plus the
span and, for env references, "required" and "cast".
"""

from __future__ import annotations

from typing import Any

from flylint.parsers.elixir.values import (
    Atom,
    Charlist,
    EnvRef,
    KeywordList,
    ListValue,
    Literal,
    MapValue,
    TupleValue,
    Unknown,
    Value,
)

MAX_NODE_DEPTH = 100


def value_node(value: Value, _depth: int = 0) -> dict[str, Any]:
    """One value node; containers hold nodes, so nested keys keep their own provenance."""
    node: dict[str, Any] = {
        "kind": value.kind,
        "value": None,
        "env": None,
        "default": None,
        "source": None,
        "file": value.file,
        "line": value.line,
        "conditional": value.conditional,
        "column": value.column,
        "end_line": value.end_line,
        "end_column": value.end_column,
    }
    if _depth > MAX_NODE_DEPTH:
        node["kind"] = "unknown"
        node["source"] = "…"
        return node
    d = _depth + 1
    if isinstance(value, EnvRef):
        node["env"] = value.name
        node["default"] = value_node(value.default, d) if value.default is not None else None
        node["required"] = value.required
        node["cast"] = value.cast
    elif isinstance(value, Unknown):
        node["source"] = value.source_text
    else:
        node["value"] = literal_json(value, d)
    return node


def literal_json(value: Value, depth: int = 0) -> Any:
    """The "value" member of a literal node."""
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, Atom):
        return {"atom": value.name}
    if isinstance(value, Charlist):
        return {"charlist": value.text}
    if isinstance(value, KeywordList):
        out: dict[str, Any] = {}
        for key, item in value.entries:
            if key not in out:  # duplicate keys: the first wins, as with Keyword.get/2
                out[key] = value_node(item, depth)
        return {"keyword": out}
    if isinstance(value, ListValue):
        return {"list": [value_node(i, depth) for i in value.items]}
    if isinstance(value, TupleValue):
        return {"tuple": [value_node(i, depth) for i in value.items]}
    if isinstance(value, MapValue):
        return {"map": [[value_node(k, depth), value_node(v, depth)] for k, v in value.pairs]}
    return None


def config_view_json(view: dict[str, KeywordList]) -> dict[str, dict[str, Any]]:
    """{"my_app": {"Elixir.MyAppWeb.Endpoint": node, "ecto_repos": node}, "logger": {...}}."""
    out: dict[str, dict[str, Any]] = {}
    for app, config in view.items():
        keys: dict[str, Any] = {}
        for key, value in config.entries:
            keys[key] = value_node(value)  # app level: a later duplicate is what Mix applies
        out[app] = keys
    return out


def config_json(model: Any) -> dict[str, Any]:
    """{"compile": view, "runtime": view} for a ConfigModel."""
    return {
        "compile": config_view_json(model.compile_time),
        "runtime": config_view_json(model.runtime),
    }


def _loc(file: str, line: int) -> dict[str, Any]:
    return {"file": file, "line": line}


def plug_json(plug: Any) -> dict[str, Any]:
    return {
        "plug": plug.name,
        "options": value_node(plug.options) if plug.options is not None else None,
        "conditional": plug.conditional,
        **_loc(plug.location.path, plug.location.line),
    }


def endpoint_json(endpoint: Any) -> dict[str, Any]:
    return {
        "module": endpoint.module,
        "otp_app": endpoint.otp_app,
        **_loc(endpoint.location.path, endpoint.location.line),
        "plugs": [plug_json(p) for p in endpoint.plugs],
        "sockets": [
            {
                "path": s.path,
                "module": s.module,
                "options": value_node(s.options) if s.options is not None else None,
                "conditional": s.conditional,
                **_loc(s.location.path, s.location.line),
            }
            for s in endpoint.sockets
        ],
        "attributes": {k: value_node(v) for k, v in endpoint.attributes.items()},
    }


def router_json(router: Any) -> dict[str, Any]:
    return {
        "module": router.module,
        **_loc(router.location.path, router.location.line),
        "pipelines": {
            name: {
                "plugs": [plug_json(p) for p in pipe.plugs],
                **_loc(pipe.location.path, pipe.location.line),
            }
            for name, pipe in router.pipelines.items()
        },
        "routes": [
            {
                "verb": r.verb,
                "path": r.path,
                "target": r.target,
                "action": r.action,
                "pipelines": list(r.pipelines),
                "conditional": r.conditional,
                **_loc(r.location.path, r.location.line),
            }
            for r in router.routes
        ],
    }


def mix_json(mix: Any) -> dict[str, Any]:
    return {
        "app": mix.app,
        **_loc(mix.location.path, mix.location.line),
        "umbrella": mix.apps_path is not None,
        "deps": [
            {"name": d.name, "requirement": d.requirement, **_loc(d.location.path, d.location.line)}
            for d in mix.deps
        ],
        "releases": sorted(mix.releases),
    }


def lock_json(lock: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {"version": dep.version, "source": dep.source, "line": dep.line}
        for name, dep in sorted(lock.items())
    }


def script_json(script: Any) -> dict[str, Any]:
    return {
        "exports": [
            {
                "name": v.name,
                "value": v.value,
                "conditional": v.conditional,
                "line": v.location.line,
            }
            for v in script.vars
            if v.exported
        ],
        "execs": [
            {
                "argv": list(e.argv),
                "env": e.env,
                "conditional": e.conditional,
                "line": e.location.line,
            }
            for e in script.execs
        ],
    }


def project_json(project: Any) -> dict[str, Any]:
    """Everything about one Mix project (an ElixirProject) for `inspect --output-format json`."""
    return {
        "mix_root": project.mix_root,
        "mix": mix_json(project.mix) if project.mix is not None else None,
        "umbrella_apps": [mix_json(a) for a in project.apps],
        "started_apps": project.started_apps(),
        "config": config_json(project.config),
        "config_files": {
            "compile": project.config.compile_files,
            "runtime": project.config.runtime_files,
        },
        "endpoints": [endpoint_json(e) for e in project.endpoints],
        "routers": [router_json(r) for r in project.routers],
        "locked": lock_json(project.lock),
        "scripts": {path: script_json(s) for path, s in project.scripts.items()},
    }
