"""`flylint inspect`: the model flylint built of each app, for debugging a surprising finding.

The JSON shape (`--output-format json`) is documented in docs/inspect-json.md. Secret values are
masked in both forms: a literal under a secret-ish key, or any string holding a known token
format or a URL password, is shown as its mask.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from flylint.model import App

VALUE_NODE_KEYS = {"kind", "value", "env", "default", "source", "file", "line", "conditional"}


def fly_json(app: App) -> dict[str, Any] | None:
    fly = app.fly
    if fly is None:
        return None
    return {
        "app": fly.app_name,
        "primary_region": getattr(fly, "primary_region", None),
        "kill_signal": fly.kill_signal,
        "env": dict(fly.env),
        "build": {
            "dockerfile": fly.build.dockerfile,
            "ignorefile": fly.build.ignorefile,
            "build_target": fly.build.build_target,
            "image": fly.build.image,
            "args": dict(fly.build.args),
        },
        "deploy": {"strategy": fly.deploy.strategy, "release_command": fly.deploy.release_command},
        "processes": dict(fly.processes),
        "services": [
            {
                "key": s.key,
                "internal_port": s.internal_port,
                "processes": list(s.processes),
                "ports": [
                    {"port": p.port, "handlers": list(p.handlers), "force_https": p.force_https}
                    for p in s.ports
                ],
                "checks": [
                    {"kind": c.kind, "key": c.key, "path": c.path, "port": c.port} for c in s.checks
                ],
                "auto_stop": s.auto_stop,
                "auto_start": s.auto_start,
                "min_machines_running": s.min_machines_running,
                "concurrency": {
                    "type": s.concurrency_type,
                    "soft_limit": s.soft_limit,
                    "hard_limit": s.hard_limit,
                },
            }
            for s in fly.services
        ],
        "mounts": [
            {"source": m.source, "destination": m.destination, "processes": list(m.processes)}
            for m in fly.mounts
        ],
    }


def dockerfile_json(app: App) -> dict[str, Any] | None:
    df = app.dockerfile
    if df is None:
        return None
    runner = df.runner
    return {
        "path": app.dockerfile_path,
        "stages": [
            {
                "index": st.index,
                "name": st.name,
                "base": st.base,
                "line": st.line,
                "user": st.user,
                "workdir": st.workdir,
                "env": dict(st.env),
                "expose": [f"{port}/{proto}" for port, proto in st.expose],
                "cmd": st.cmd.value if st.cmd else None,
                "entrypoint": st.entrypoint.value if st.entrypoint else None,
                "runner": st is runner,
            }
            for st in df.stages
        ],
    }


def app_json(app: App) -> dict[str, Any]:
    from flylint.inspect_json import project_json

    elixir = app.extra.get("elixir")
    out: dict[str, Any] = {
        "name": app.fly.app_name if app.fly else None,
        "config_path": app.config_path,
        "context": app.context,
        "dockerignore": app.dockerignore_path if app.dockerignore_exists else None,
        "mix_root": app.mix_root,
        "workflows": list(app.workflow_paths),
        "fly_config": fly_json(app),
        "dockerfile": dockerfile_json(app),
    }
    if elixir is not None:
        out.update(project_json(elixir))
    else:
        out["config"] = {"compile": {}, "runtime": {}}
    return redact(out)


def redact(node: Any, key: str | None = None) -> Any:
    """Mask secret values anywhere in the JSON tree (keys give context to the detector)."""
    from flylint.secrets.detector import classify, find_known_tokens, url_password_spans
    from flylint.secrets.mask import mask, mask_url_password

    def scrub(text: str, name: str | None) -> str:
        if url_password_spans(text):
            text = mask_url_password(text)
        for token in sorted(find_known_tokens(text), key=lambda t: -t.start):
            text = text[: token.start] + mask(text[token.start : token.end]) + text[token.end :]
        if name and classify(name, text, "generic") is not None:
            return mask(text)
        return text

    if isinstance(node, dict):
        if node.keys() >= VALUE_NODE_KEYS:
            name = key
            return {
                k: (redact(v, name) if k in ("value", "default", "source") else v)
                for k, v in node.items()
            }
        # {"name": "RELEASE_COOKIE", "value": "..."}: the sibling name is the value's context.
        sibling = node.get("name") if isinstance(node.get("name"), str) else None
        return {k: redact(v, sibling if k == "value" and sibling else k) for k, v in node.items()}
    if isinstance(node, list):
        return [redact(v, key) for v in node]
    if isinstance(node, str):
        return scrub(node, key)
    return node


def render_tree(node: Any, indent: int = 0) -> list[str]:
    """A readable tree; value nodes print as `value  (file:line[, if condition])`."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, dict) and v.keys() >= VALUE_NODE_KEYS:
                lines.extend(value_lines(k, v, indent))
            elif isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.extend(render_tree(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {scalar(v)}")
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                lines.append(f"{pad}-")
                lines.extend(render_tree(item, indent + 1))
            else:
                lines.append(f"{pad}- {scalar(item)}")
    return lines


def scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)) and not value:
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def value_lines(key: str, node: dict, indent: int) -> list[str]:
    pad = "  " * indent
    where = f"{node.get('file')}:{node.get('line')}" if node.get("file") else ""
    if node.get("conditional"):
        where += f", only if {node['conditional']}"
    suffix = f"  ({where})" if where else ""
    kind = node.get("kind")
    value = node.get("value")
    if kind == "env":
        default = node.get("default")
        shown = f"env {node.get('env')}"
        if isinstance(default, dict):
            shown += f" || {short(default)}"
        return [f"{pad}{key}: {shown}{suffix}"]
    if kind == "unknown":
        return [f"{pad}{key}: <unknown: {node.get('source')}>{suffix}"]
    if isinstance(value, dict) and "keyword" in value:
        lines = [f"{pad}{key}:{suffix}"]
        for k, v in value["keyword"].items():
            lines.extend(value_lines(k, v, indent + 1))
        return lines
    return [f"{pad}{key}: {short(node)}{suffix}"]


def short(node: dict) -> str:
    """One-line text of a value node."""
    kind = node.get("kind")
    if kind == "env":
        return f"env {node.get('env')}"
    if kind == "unknown":
        return f"<unknown: {node.get('source')}>"
    value = node.get("value")
    if isinstance(value, dict):
        if "atom" in value:
            atom = value["atom"]
            return atom[len("Elixir.") :] if atom.startswith("Elixir.") else f":{atom}"
        if "keyword" in value:
            return "[" + ", ".join(f"{k}: {short(v)}" for k, v in value["keyword"].items()) + "]"
        for container in ("list", "tuple"):
            if container in value:
                inner = ", ".join(short(v) for v in value[container])
                return f"[{inner}]" if container == "list" else "{" + inner + "}"
        if "map" in value:
            return "%{" + ", ".join(f"{short(k)} => {short(v)}" for k, v in value["map"]) + "}"
        if "charlist" in value:
            return f"~c{json.dumps(value['charlist'])}"
    return scalar(value)


def run_inspect(paths: list[str], output_format: str) -> int:
    from flylint.discover import discover

    apps = [app_json(app) for project in discover(paths) for app in project.apps]
    if output_format == "json":
        sys.stdout.write(
            json.dumps({"version": 1, "apps": apps}, indent=2, ensure_ascii=False) + "\n"
        )
        return 0
    out = []
    for app in apps:
        out.append(f"app {app['name'] or '?'} ({app['config_path']})")
        out.extend(
            render_tree({k: v for k, v in app.items() if k not in ("name", "config_path")}, 1)
        )
        out.append("")
    sys.stdout.write("\n".join(out))
    return 0
