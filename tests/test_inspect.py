"""`flylint inspect`: the model as JSON (a public interface) and as a readable tree."""

from __future__ import annotations

import json
import re

from conftest import FIXTURES, run_cli


def line_of(path, pattern: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"{pattern!r} not in {path}")


def test_inspect_json_on_the_generated_app():
    app_dir = FIXTURES / "generated-app"
    result = run_cli("inspect", str(app_dir), "--output-format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    [app] = doc["apps"]
    assert app["name"] == "upload-portal"
    compile_view = app["config"]["compile"]["upload_portal"]
    runtime_view = app["config"]["runtime"]["upload_portal"]
    endpoint = compile_view["Elixir.UploadPortalWeb.Endpoint"]["value"]["keyword"]

    force_ssl = endpoint["force_ssl"]
    assert force_ssl["file"] == "config/prod.exs"
    assert force_ssl["line"] == line_of(app_dir / "config/prod.exs", r"force_ssl:")
    assert force_ssl["value"]["keyword"]["rewrite_on"]["value"] == {
        "list": [force_ssl["value"]["keyword"]["rewrite_on"]["value"]["list"][0]]
    }
    assert force_ssl["value"]["keyword"]["rewrite_on"]["value"]["list"][0]["value"] == {
        "atom": "x_forwarded_proto"
    }

    url = endpoint["url"]["value"]["keyword"]
    assert url["host"]["value"] == "localhost" and url["host"]["file"] == "config/config.exs"

    rt_endpoint = runtime_view["Elixir.UploadPortalWeb.Endpoint"]["value"]["keyword"]
    secret = rt_endpoint["secret_key_base"]
    assert secret["kind"] == "env" and secret["env"] == "SECRET_KEY_BASE"
    assert secret["file"] == "config/runtime.exs"
    assert secret["line"] == line_of(app_dir / "config/runtime.exs", r"secret_key_base:")
    http = rt_endpoint["http"]["value"]["keyword"]
    assert http["port"]["kind"] == "env" and http["port"]["env"] == "PORT"
    assert http["port"]["default"]["value"] == 4000

    repo = runtime_view["Elixir.UploadPortal.Repo"]
    assert repo["file"] == "config/runtime.exs"
    assert repo["value"]["keyword"]["url"]["env"] == "DATABASE_URL"
    assert repo["value"]["keyword"]["pool_size"]["default"]["value"] == 10


def test_inspect_text_tree_shows_provenance():
    result = run_cli("inspect", str(FIXTURES / "generated-app"))
    assert result.returncode == 0, result.stderr
    assert "app upload-portal (fly.toml)" in result.stdout
    assert re.search(
        r"secret_key_base: env SECRET_KEY_BASE\s+\(config/runtime\.exs:\d+\)", result.stdout
    )
    assert re.search(r"force_ssl:\s+\(config/prod\.exs:\d+\)", result.stdout)


def planted_values() -> list[str]:
    """The fake secrets planted in fixtures/insecure, read from the lines its README lists."""
    fixture = FIXTURES / "insecure"
    section = (
        (fixture / "README.md")
        .read_text()
        .split("## Planted fake secrets", 1)[1]
        .split("\n## ", 1)[0]
    )
    values = []
    for path, line in re.findall(r"^- ([\w./-]+):(\d+) ", section, re.M):
        text = (fixture / path).read_text().splitlines()[int(line) - 1]
        runs = re.findall(r"[A-Za-z0-9_+/=-]{20,}", text)
        assert runs, f"no planted value on {path}:{line}"
        # NAME=value runs: keep the value (base64 padding `==` at the end is part of it).
        parts = [p for run in runs for p in re.split(r"=(?!=*$)", run) if len(p) >= 20]
        values.append(max(parts, key=len))
    return values


def test_inspect_masks_secrets():
    values = planted_values()
    assert len(values) >= 8
    for fmt in ("json", "text"):
        result = run_cli("inspect", str(FIXTURES / "insecure"), "--output-format", fmt)
        assert result.returncode == 0, result.stderr
        for value in values:
            assert value[4:] not in result.stdout, f"{value[:4]}… leaked in inspect {fmt}"
