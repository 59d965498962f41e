"""FLY308, FLY312, FLY313: fly.toml joined with the Dockerfile and the release overlays."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import write_project
from test_image_checks import (
    FLY_TOML,
    STOCK_DOCKERFILE_17,
    STOCK_DOCKERFILE_18,
    STOCK_FILES,
    lint,
    project_findings,
    swap,
)

from flylint.checks import boot
from flylint.findings import Location
from flylint.parsers.dockerfile import parse_dockerfile
from flylint.sources import SourceFile

RUNNER_TAIL = "USER nobody\n\n# If using"


def with_runner_lines(lines: str, dockerfile: str = STOCK_DOCKERFILE_18) -> str:
    """The stock Dockerfile with lines added to the runner stage, just before USER nobody."""
    return swap(dockerfile, RUNNER_TAIL, lines + RUNNER_TAIL)


def line_of(text: str, number: int) -> str:
    return text.split("\n")[number - 1]


# -- FLY308 expose-mismatch -----------------------------------------------------------------------


def test_fly308_expose_other_port(tmp_path):
    df = with_runner_lines("EXPOSE 4000\n")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY308",))
    assert f.path == "Dockerfile" and line_of(df, f.location.line) == "EXPOSE 4000"
    assert "EXPOSEs 4000" in f.message and "http_service.internal_port = 8080" in f.message
    [rel] = f.related
    assert rel.path == "fly.toml" and line_of(FLY_TOML, rel.line).strip() == "internal_port = 8080"
    assert f.fix.startswith("EXPOSE 8080")


@pytest.mark.parametrize(
    "lines",
    ["", "EXPOSE 8080\n", "EXPOSE 4000 8080/tcp\n", "EXPOSE 8000-8100\n", "EXPOSE ${PORT}\n"],
)
def test_fly308_silent(tmp_path, lines):
    df = with_runner_lines(lines)
    assert lint(tmp_path, {"Dockerfile": df}, ("FLY308",)) == []


def test_fly308_resolves_arg_and_checks_every_service(tmp_path):
    df = with_runner_lines("ARG PORT=4000\nEXPOSE $PORT\n")
    toml = FLY_TOML + "\n[[services]]\n  internal_port = 9090\n  protocol = 'tcp'\n"
    toml += "  [[services.ports]]\n    port = 9090\n"
    [f] = lint(tmp_path, {"Dockerfile": df, "fly.toml": toml}, ("FLY308",))
    assert "8080" in f.message and "9090" in f.message and len(f.related) == 2


def test_fly308_with_stand_in_config():
    src = SourceFile.from_text("Dockerfile", "FROM debian:bookworm-slim\nEXPOSE 4000\n")
    df, _ = parse_dockerfile(src)
    fly = SimpleNamespace(
        services=[SimpleNamespace(key="services[0]", internal_port=8080, protocol="tcp")],
        locate=lambda key: Location("fly.toml", 7, 3),
    )
    app = SimpleNamespace(dockerfile=df, fly=fly)
    [f] = list(boot.check_expose_mismatch(app))
    assert f.location.line == 2 and f.related[0].line == 7
    # odd shapes never raise
    fly.services = [SimpleNamespace(), SimpleNamespace(internal_port="8080"), None]
    assert list(boot.check_expose_mismatch(app)) == []


# -- FLY312 shell-form-entrypoint -----------------------------------------------------------------


def test_fly312_shell_form_cmd(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, 'CMD ["/app/bin/server"]', "CMD /app/bin/server")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY312",))
    assert line_of(df, f.location.line) == "CMD /app/bin/server"
    assert "shell form" in f.message and "SIGTERM" in f.message
    assert f.fix == 'CMD ["/app/bin/server"]'


def test_fly312_legacy_flyctl_template(tmp_path):
    # the legacy `fly launch` template: shell-form CMD with an argument
    df = swap(STOCK_DOCKERFILE_17, 'CMD ["/app/bin/server"]', "CMD /app/entry start")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY312",))
    assert f.fix == 'CMD ["/app/entry", "start"]'


def test_fly312_shell_form_entrypoint_wins(tmp_path):
    df = with_runner_lines("ENTRYPOINT litefs mount\n")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY312",))
    assert line_of(df, f.location.line) == "ENTRYPOINT litefs mount"


def test_fly312_server_script_without_exec(tmp_path):
    old_server = '#!/bin/sh\ncd -P -- "$(dirname -- "$0")"\nPHX_SERVER=true ./my_app start\n'
    [f] = lint(tmp_path, {"rel/overlays/bin/server": old_server}, ("FLY312",))
    assert (f.path, f.location.line) == ("rel/overlays/bin/server", 3)
    assert f.fix == "start the app with exec: `PHX_SERVER=true exec ./my_app start`"
    assert f.related[0].path == "Dockerfile"
    assert line_of(STOCK_DOCKERFILE_18, f.related[0].line) == 'CMD ["/app/bin/server"]'


def test_fly312_sh_c_without_exec(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18,
        'CMD ["/app/bin/server"]',
        'CMD ["sh", "-c", "/app/bin/migrate && /app/bin/server"]',
    )
    [f] = lint(tmp_path / "a", {"Dockerfile": df}, ("FLY312",))
    assert "without exec" in f.message
    df = swap(
        STOCK_DOCKERFILE_18,
        'CMD ["/app/bin/server"]',
        'CMD ["/bin/bash", "-c", "/app/bin/migrate && exec /app/bin/server"]',
    )
    assert lint(tmp_path / "b", {"Dockerfile": df}, ("FLY312",)) == []


def test_fly312_tini_forwards_to_cmd(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18,
        'CMD ["/app/bin/server"]',
        'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD /app/bin/server',
    )
    [f] = lint(tmp_path / "a", {"Dockerfile": df}, ("FLY312",))
    assert line_of(df, f.location.line) == "CMD /app/bin/server"
    df = swap(
        STOCK_DOCKERFILE_18,
        'CMD ["/app/bin/server"]',
        'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["/app/bin/server"]',
    )
    old_server = "#!/bin/sh\n./my_app start\n"
    [f] = lint(
        tmp_path / "b", {"Dockerfile": df, "rel/overlays/bin/server": old_server}, ("FLY312",)
    )
    assert f.path == "rel/overlays/bin/server"


def test_fly312_copied_entrypoint_script(tmp_path):
    df = with_runner_lines(
        'COPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT ["docker-entrypoint.sh"]\n'
    )
    df = df.replace(
        'ENTRYPOINT ["docker-entrypoint.sh"]', 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]'
    )
    good = '#!/bin/bash\nset -e\nexec "$@"\n'
    assert lint(tmp_path / "a", {"Dockerfile": df, "docker-entrypoint.sh": good}, ("FLY312",)) == []
    bad = "#!/bin/bash\n/app/bin/migrate\n/app/bin/server\n"
    [f] = lint(tmp_path / "b", {"Dockerfile": df, "docker-entrypoint.sh": bad}, ("FLY312",))
    assert (f.path, f.location.line) == ("docker-entrypoint.sh", 3)


def test_fly312_processes_and_experimental_override_cmd(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, 'CMD ["/app/bin/server"]', "CMD /app/bin/server")
    toml = FLY_TOML + "\n[processes]\n  app = '/app/bin/server'\n"
    assert lint(tmp_path / "a", {"Dockerfile": df, "fly.toml": toml}, ("FLY312",)) == []
    toml = FLY_TOML + "\n[experimental]\n  cmd = ['/app/bin/server']\n"
    assert lint(tmp_path / "b", {"Dockerfile": df, "fly.toml": toml}, ("FLY312",)) == []


def test_fly312_python_script_is_not_judged(tmp_path):
    df = with_runner_lines('COPY run.py /app/run.py\nCMD ["/app/run.py"]\n')
    files = {"Dockerfile": df, "run.py": "#!/usr/bin/env python3\nprint('x')\n"}
    assert lint(tmp_path, files, ("FLY312",)) == []


# -- FLY313 release-command-missing-script --------------------------------------------------------


def test_fly313_missing_migrate_overlay(tmp_path):
    files = {k: v for k, v in STOCK_FILES.items() if k != "rel/overlays/bin/migrate"}
    [f] = project_findings(write_project(tmp_path, files), ("FLY313",))
    assert f.path == "fly.toml"
    assert line_of(FLY_TOML, f.location.line).strip() == "release_command = '/app/bin/migrate'"
    assert "rel/overlays/bin/migrate does not exist" in f.message
    assert "phx.gen.release" in f.fix


def test_fly313_workdir_elsewhere(tmp_path):
    df = swap(
        STOCK_DOCKERFILE_18,
        'WORKDIR "/app"\nRUN chown nobody /app',
        'WORKDIR "/srv/app"\nRUN chown nobody /srv/app',
    )
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY313",))
    assert "expects the release in /app" in f.message and "/srv/app" in f.message
    assert f.fix == 'release_command = "/srv/app/bin/migrate"'
    assert f.related and f.related[0].path == "Dockerfile"


def test_fly313_relative_path(tmp_path):
    toml = FLY_TOML.replace("'/app/bin/migrate'", "'bin/migrate'")
    assert lint(tmp_path / "a", {"fly.toml": toml}, ("FLY313",)) == []
    df = swap(
        STOCK_DOCKERFILE_18,
        "/app/_build/${MIX_ENV}/rel/my_app ./",
        "/app/_build/${MIX_ENV}/rel/my_app /opt/release",
    )
    [f] = lint(tmp_path / "b", {"fly.toml": toml, "Dockerfile": df}, ("FLY313",))
    assert "relative to the runner WORKDIR /app" in f.message and "/opt/release" in f.message


@pytest.mark.parametrize(
    "command",
    [
        "/app/bin/my_app eval MyApp.Release.migrate",
        "mix ecto.migrate",
        "sh -c 'echo $DATABASE_URL'",
        "unbalanced 'quote",
    ],
)
def test_fly313_other_commands_are_silent(tmp_path, command):
    files = {k: v for k, v in STOCK_FILES.items() if k != "rel/overlays/bin/migrate"}
    files["fly.toml"] = FLY_TOML.replace(
        "'/app/bin/migrate'", '"' + command.replace('"', '\\"') + '"'
    )
    assert project_findings(write_project(tmp_path, files), ("FLY313",)) == []


def test_fly313_wrapped_in_sh_c(tmp_path):
    toml = FLY_TOML.replace(
        "'/app/bin/migrate'", """"sh -c 'DATABASE_URL=$DIRECT_URL /app/bin/migrate'\""""
    )
    files = {k: v for k, v in STOCK_FILES.items() if k != "rel/overlays/bin/migrate"}
    files["fly.toml"] = toml
    [f] = project_findings(write_project(tmp_path, files), ("FLY313",))
    assert "does not exist" in f.message


def test_fly313_script_copied_directly(tmp_path):
    df = with_runner_lines("COPY scripts/migrate /app/bin/migrate\n")
    files = {k: v for k, v in STOCK_FILES.items() if k != "rel/overlays/bin/migrate"}
    files.update({"Dockerfile": df, "scripts/migrate": "#!/bin/sh\nexec true\n"})
    assert project_findings(write_project(tmp_path, files), ("FLY313",)) == []


def test_fly313_builder_never_copies_rel(tmp_path):
    df = swap(STOCK_DOCKERFILE_18, "COPY rel rel\n", "")
    [f] = lint(tmp_path, {"Dockerfile": df}, ("FLY313",))
    assert "stage builder runs `mix release` without copying rel/" in f.message
    assert f.fix == "add `COPY rel rel` before `RUN mix release`"


def test_fly313_umbrella_overlay_and_unknown_mix_root(tmp_path):
    files = {k: v for k, v in STOCK_FILES.items() if k != "rel/overlays/bin/migrate"}
    files["apps/my_app_web/rel/overlays/bin/migrate"] = "#!/bin/sh\nexec ./x eval M.migrate\n"
    files["apps/my_app_web/mix.exs"] = "defmodule W.MixProject do\nend\n"
    assert project_findings(write_project(tmp_path / "a", files), ("FLY313",)) == []
    files = {
        k: v for k, v in STOCK_FILES.items() if k not in ("mix.exs", "rel/overlays/bin/migrate")
    }
    assert project_findings(write_project(tmp_path / "b", files), ("FLY313",)) == []


def test_fly313_with_stand_in_config():
    src = SourceFile.from_text("Dockerfile", STOCK_DOCKERFILE_18)
    df, _ = parse_dockerfile(src)
    fly = SimpleNamespace(
        deploy=SimpleNamespace(release_command="/app/bin/migrate"),
        locate=lambda key: Location("fly.toml", 5, 3),
    )
    app = SimpleNamespace(
        dockerfile=df,
        fly=fly,
        mix_root=".",
        context=".",
        config_path="fly.toml",
        source=lambda path: None,
    )
    [f] = list(boot.check_release_command_missing_script(app))
    assert f.location.line == 5
    fly.deploy = SimpleNamespace(release_command=None)
    assert list(boot.check_release_command_missing_script(app)) == []
    fly.deploy = None
    assert list(boot.check_release_command_missing_script(app)) == []
