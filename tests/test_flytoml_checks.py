"""fly.toml-only checks (FLY001-005, FLY103/108/109, FLY208, FLY301/305/306/311/315,
FLY401/402/403/407), called directly on parsed configs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from flylint.checks import headers, health, https, inputs, volumes
from flylint.model import App
from flylint.parsers.flytoml import parse_fly_config
from flylint.sources import ProjectFS, SourceFile

FLY_LAUNCH = """\
app = 'example-app'
primary_region = 'ord'
kill_signal = 'SIGTERM'
[build]
[deploy]
  release_command = '/app/bin/migrate'
[env]
  PHX_HOST = 'example-app.fly.dev'
  PORT = '8080'
[http_service]
  internal_port = 8080
  force_https = true
  auto_stop_machines = 'stop'
  auto_start_machines = true
  min_machines_running = 0
  processes = ['app']
  [http_service.concurrency]
    type = 'connections'
    soft_limit = 1000
    hard_limit = 1000
[[vm]]
  memory = '1gb'
  cpu_kind = 'shared'
  cpus = 1
"""

ALL_CHECKS = [
    inputs.check_parse_error,
    inputs.check_unknown_key,
    inputs.check_invalid_value,
    inputs.check_legacy_key,
    inputs.check_unsplittable_command,
    https.check_force_https_non_http_handler,
    https.check_tls_versions_unsupported,
    https.check_port_443_without_tls,
    headers.check_statics_bypass_app,
    health.check_health_check_missing,
    health.check_health_check_timing,
    health.check_bluegreen_without_checks,
    health.check_kill_signal_not_sigterm,
    health.check_autostart_autostop_mismatch,
    volumes.check_mount_with_incompatible_strategy,
    volumes.check_multiple_mounts_per_process,
    volumes.check_mount_destination_invalid,
    volumes.check_mount_process_unknown,
]


@pytest.fixture
def make_app(tmp_path):
    def make(text: str, **kwargs) -> App:
        cfg, findings = parse_fly_config(SourceFile.from_text("fly.toml", text))
        return App(
            config_path="fly.toml",
            fs=ProjectFS(tmp_path),
            fly=cfg,
            input_findings=list(findings),
            **kwargs,
        )

    return make


def lines(findings) -> list[int]:
    return [f.location.line for f in findings]


def test_every_check_is_registered_under_its_rule():
    ids = [check.rule_id for check in ALL_CHECKS]
    assert ids == sorted(set(ids))
    assert all(check.__module__.startswith("flylint.checks.") for check in ALL_CHECKS)


def test_fly_launch_output_fires_only_the_missing_health_check(make_app):
    app = make_app(FLY_LAUNCH, mix_root=".")
    found = {c.rule_id: list(c(app)) for c in ALL_CHECKS}
    assert {rule: lines(f) for rule, f in found.items() if f} == {"FLY301": [10]}


# -- totality --------------------------------------------------------------------------------------

ODD_CONFIGS = [
    "",
    "# nothing\n",
    "http_service = 5\nservices = 'x'\nmounts = [1]\nchecks = 3\nstatics = [1, {url_prefix = 2}]\n",
    "[http_service]\nchecks = 5\nports = 7\ntls_options = {versions = 'TLSv1.2'}\n",
    "[[http_service]]\ninternal_port = 1\n[[http_service]]\ninternal_port = 2\n",
    "[[services]]\nports = [1, {port = 'x', handlers = 5, force_https = 'yes'}]\n"
    "tcp_checks = [{interval = true, timeout = []}]\n",
    "[deploy]\nstrategy = 5\n[[mounts]]\ndestination = 7\nprocesses = 'x'\n",
    "[[vm]]\nprocesses = 'web'\n[checks.a]\nprocesses = 5\ninterval = {a = 1}\n",
    "kill_signal = ['SIGTERM']\n[processes]\napp = 5\n",
    "[mount]\nsource = 1\n[[mount]]\n",
]


@pytest.mark.parametrize("text", ODD_CONFIGS)
def test_checks_are_total_on_odd_models(make_app, text):
    app = make_app(text, mix_root=".")
    for check in ALL_CHECKS:
        for finding in check(app):
            assert finding.rule == check.rule_id
            assert finding.location.path == "fly.toml" and finding.location.line >= 1


def test_checks_are_total_without_a_model(tmp_path):
    app = App(config_path="fly.toml", fs=ProjectFS(tmp_path), fly=None, mix_root=".")
    for check in ALL_CHECKS:
        assert list(check(app)) == []


# -- inputs ----------------------------------------------------------------------------------------


def test_input_checks_hand_back_their_rules_findings(make_app):
    app = make_app(
        'processes = []\nrelease = 1\nkill_timeout = 999\n[deploy]\nrelease_command = "a \'b"\n'
    )
    got = {c.rule_id: lines(c(app)) for c in ALL_CHECKS[:5]}
    assert got == {"FLY001": [], "FLY002": [2], "FLY003": [3], "FLY004": [1], "FLY005": [5]}


def test_parse_error_is_handed_back(tmp_path):
    cfg, findings = parse_fly_config(SourceFile.from_text("fly.toml", "app = \n"))
    app = App(config_path="fly.toml", fs=ProjectFS(tmp_path), fly=cfg, input_findings=findings)
    [finding] = inputs.check_parse_error(app)
    assert finding.location.line == 1
    assert list(health.check_health_check_missing(app)) == []


# -- FLY103 / FLY108 / FLY109 -------------------------------------------------------------------

SERVICES = """\
[[services]]
  internal_port = 8080
  protocol = "{protocol}"
  [[services.ports]]
    port = 80
    handlers = ["http"]
    force_https = true
  [[services.ports]]
    port = 443
    handlers = {handlers443}
    {extra443}
"""


def services(handlers443='["tls", "http"]', extra443="", protocol="tcp") -> str:
    return SERVICES.format(handlers443=handlers443, extra443=extra443, protocol=protocol)


def test_force_https_on_a_port_without_http(make_app):
    app = make_app(services('["tls"]', "force_https = true"))
    [finding] = https.check_force_https_non_http_handler(app)
    assert finding.location.line == 11 and finding.key == "services[0].ports[1].force_https"
    assert '["tls"]' in finding.message


def test_force_https_on_http_ports_is_fine(make_app):
    assert list(https.check_force_https_non_http_handler(make_app(services()))) == []
    assert list(https.check_force_https_non_http_handler(make_app(FLY_LAUNCH))) == []


def test_force_https_on_raw_tcp_port(make_app):
    app = make_app(
        "[[services]]\ninternal_port = 5432\nports = [{port = 5432, force_https = true}]\n"
    )
    [finding] = https.check_force_https_non_http_handler(app)
    assert "raw TCP" in finding.message and finding.location.line == 3


def test_tls_versions(make_app):
    app = make_app(
        "[http_service]\ninternal_port = 1\n"
        '[http_service.tls_options]\nversions = ["TLSv1.0", "TLSv1.3", "tls1.2"]\n'
    )
    [finding] = https.check_tls_versions_unsupported(app)
    assert finding.location.line == 4 and finding.key == "http_service.tls_options.versions"
    assert '"TLSv1.0", "tls1.2"' in finding.message
    app = make_app(services(extra443='tls_options = {versions = ["TLSv1.1"]}'))
    [finding] = https.check_tls_versions_unsupported(app)
    assert (
        finding.key == "services[0].ports[1].tls_options.versions" and finding.location.line == 11
    )
    app = make_app(services(extra443='tls_options = {versions = ["TLSv1.2", "TLSv1.3"]}'))
    assert list(https.check_tls_versions_unsupported(app)) == []


@pytest.mark.parametrize(
    ("handlers", "expected"),
    [
        ('["http"]', [10]),
        ("[]", [10]),
        ('["proxy_proto"]', [10]),
        ('["tls", "http"]', []),
        ('["tls"]', []),
        ('["pg_tls"]', []),
    ],
)
def test_port_443_without_tls(make_app, handlers, expected):
    assert lines(https.check_port_443_without_tls(make_app(services(handlers)))) == expected


def test_port_443_without_handlers_key_points_at_the_port(make_app):
    app = make_app("[[services]]\ninternal_port = 1\n[[services.ports]]\nport = 443\n")
    [finding] = https.check_port_443_without_tls(app)
    assert finding.location.line == 3 and finding.key == "services[0].ports[0]"


def test_port_443_udp_is_silent(make_app):
    assert list(https.check_port_443_without_tls(make_app(services("[]", protocol="udp")))) == []


# -- FLY208 ---------------------------------------------------------------------------------------


def test_statics_bypass_app(make_app):
    app = make_app(
        'app = "x"\n[[statics]]\nguest_path = "/a"\nurl_prefix = "/static"\n'
        '[[statics]]\nguest_path = "/b"\nurl_prefix = "/img"\n'
    )
    found = list(headers.check_statics_bypass_app(app))
    assert lines(found) == [2, 5]
    assert "/static" in found[0].message and found[1].key == "statics[1]"
    assert list(headers.check_statics_bypass_app(make_app(FLY_LAUNCH))) == []


# -- FLY301 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[http_service]\ninternal_port = 1\n", [1]),
        ('[http_service]\ninternal_port = 1\n[[http_service.checks]]\npath = "/"\n', []),
        # a table-shaped checks key is FLY003, not "missing"
        ('[http_service]\ninternal_port = 1\n[http_service.checks]\npath = "/"\n', []),
        ("[http_service]\ninternal_port = 1\nchecks = 5\n", []),
        (services(), [1]),
        (services() + '  [[services.tcp_checks]]\n    interval = "15s"\n', []),
        (services() + '  [[services.http_checks]]\n    path = "/"\n', []),
        # raw TCP services are not HTTP services
        ("[[services]]\ninternal_port = 5432\n[[services.ports]]\nport = 5432\n", []),
        # top-level checks are machine checks: they do not count
        ('[http_service]\ninternal_port = 1\n[checks.a]\ntype = "tcp"\nport = 1\n', [1]),
    ],
)
def test_health_check_missing(make_app, text, expected):
    assert lines(health.check_health_check_missing(make_app(text))) == expected


# -- FLY305 ---------------------------------------------------------------------------------------

CHECK = '[http_service]\ninternal_port = 1\n[[http_service.checks]]\npath = "/"\n{body}\n'


@pytest.mark.parametrize(
    ("body", "expected", "fragment"),
    [
        ("grace_period = 30", ["grace_period"], "30 ms"),
        ("interval = 15", ["interval"], "meant as seconds"),
        ('interval = "500ms"', ["interval"], "under 1 s"),
        ('timeout = "0s"', ["timeout"], "under 1 s"),
        ('interval = "2m"', ["interval"], "over 1 minute"),
        ('grace_period = "90s"', ["grace_period"], "over 1 minute"),
        ('grace_period = "500ms"', ["grace_period"], "under 1 s"),
        ("grace_period = 0", [], ""),
        ('grace_period = "0s"', [], ""),
        ('interval = "15s"\ntimeout = "2s"\ngrace_period = "60s"', [], ""),
        ("interval = 15000\ntimeout = 2000\ngrace_period = 5000", [], ""),
        ('interval = "fifteen"', [], ""),  # unparseable: FLY003
        ('interval = 1\ntimeout = "2m"', ["interval", "timeout"], ""),
    ],
)
def test_health_check_timing(make_app, body, expected, fragment):
    found = list(health.check_health_check_timing(make_app(CHECK.format(body=body))))
    assert [f.key.rsplit(".", 1)[1] for f in found] == expected
    assert all(f.key.startswith("http_service.checks[0].") for f in found)
    if fragment:
        assert fragment in found[0].message


def test_health_check_timing_in_services_and_not_top_level(make_app):
    text = services() + "  [[services.tcp_checks]]\n    interval = 100\n"
    [finding] = health.check_health_check_timing(make_app(text))
    assert finding.key == "services[0].tcp_checks[0].interval" and finding.location.line == 13
    assert finding.message.startswith("tcp check")
    top = '[checks.a]\ntype = "tcp"\nport = 1\ninterval = 100\n'
    assert list(health.check_health_check_timing(make_app(top))) == []


# -- FLY306 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("[http_service]\ninternal_port = 1\n", [2]),
        ('[http_service]\ninternal_port = 1\n[[http_service.checks]]\npath = "/"\n', []),
        ('[checks.a]\ntype = "tcp"\nport = 1\n', []),
        (services() + "  [[services.tcp_checks]]\n", []),
    ],
)
def test_bluegreen_without_checks(make_app, extra, expected):
    app = make_app('[deploy]\nstrategy = "bluegreen"\n' + extra)
    assert lines(health.check_bluegreen_without_checks(app)) == expected


def test_other_strategies_need_no_checks(make_app):
    app = make_app('[deploy]\nstrategy = "rolling"\n[http_service]\ninternal_port = 1\n')
    assert list(health.check_bluegreen_without_checks(app)) == []


# -- FLY311 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('# comment\napp = "x"\n', [2]),  # missing: at the app line
        ("# comment only\n", [1]),
        ('app = "x"\nkill_signal = "SIGINT"\n', [2]),
        ('app = "x"\nkill_signal = "SIGTERM"\n', []),
        ('app = "x"\nkill_signal = "sigterm"\n', []),
        ('app = "x"\nkill_signal = 15\n', []),  # FLY003's business
        ('app = "x"\n[env]\nkill_signal = "SIGTERM"\n', [1]),  # an env var, not the setting
    ],
)
def test_kill_signal_for_elixir_releases(make_app, text, expected):
    found = list(health.check_kill_signal_not_sigterm(make_app(text, mix_root=".")))
    assert lines(found) == expected
    assert all(f.key == "kill_signal" for f in found)


def test_kill_signal_ignored_for_non_elixir_apps(make_app):
    assert list(health.check_kill_signal_not_sigterm(make_app('app = "x"\n'))) == []


# -- FLY315 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected_key"),
    [
        ('auto_stop_machines = "stop"\nauto_start_machines = false', "auto_start_machines"),
        ('auto_stop_machines = "suspend"\nauto_start_machines = false', "auto_start_machines"),
        ("auto_stop_machines = true\nauto_start_machines = false", "auto_start_machines"),
        ("auto_stop_machines = false\nauto_start_machines = true", "auto_stop_machines"),
        ('auto_stop_machines = "off"\nauto_start_machines = true', "auto_stop_machines"),
        ("auto_start_machines = true", "auto_start_machines"),
        ('auto_stop_machines = "stop"\nauto_start_machines = true', None),
        ('auto_stop_machines = "stop"', None),  # autostart defaults to true
        ("auto_stop_machines = false\nauto_start_machines = false", None),
        ("", None),
    ],
)
def test_autostart_autostop_mismatch(make_app, body, expected_key):
    found = list(
        health.check_autostart_autostop_mismatch(
            make_app(f"[http_service]\ninternal_port = 1\n{body}\n")
        )
    )
    assert [f.key for f in found] == ([f"http_service.{expected_key}"] if expected_key else [])


def test_autostart_autostop_mismatch_in_services(make_app):
    text = services().replace(
        'protocol = "tcp"',
        'protocol = "tcp"\n  auto_start_machines = false\n  auto_stop_machines = "stop"',
    )
    [finding] = health.check_autostart_autostop_mismatch(make_app(text))
    assert finding.key == "services[0].auto_start_machines" and finding.location.line == 4


# -- FLY401 / FLY402 ---------------------------------------------------------------------------

MOUNT = '[[mounts]]\nsource = "{source}"\ndestination = "{dest}"\n{extra}\n'


def mount(source="data", dest="/data", extra="") -> str:
    return MOUNT.format(source=source, dest=dest, extra=extra)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("canary", [2]), ("bluegreen", [2]), ("rolling", []), ("immediate", [])],
)
def test_mount_with_incompatible_strategy(make_app, strategy, expected):
    app = make_app(f'[deploy]\nstrategy = "{strategy}"\n' + mount())
    found = list(volumes.check_mount_with_incompatible_strategy(app))
    assert lines(found) == expected
    if found:
        assert [r.line for r in found[0].related] == [3]


def test_strategy_without_mounts_is_fine(make_app):
    app = make_app('[deploy]\nstrategy = "canary"\n')
    assert list(volumes.check_mount_with_incompatible_strategy(app)) == []


def test_multiple_mounts_per_process_group(make_app):
    text = mount("a", "/a") + mount("b", "/b") + mount("c", "/c")
    [finding] = volumes.check_multiple_mounts_per_process(make_app(text))
    assert finding.location.line == 5 and finding.key == "mounts[1]"
    assert [r.line for r in finding.related] == [1, 9]
    assert 'group "app" gets more than one mount ("a", "b", "c")' in finding.message


def test_multiple_mounts_counted_per_group(make_app):
    text = (
        '[processes]\napp = "s"\nworker = "w"\n'
        + mount("a", "/a", 'processes = ["app", "worker"]')
        + mount("b", "/b", 'processes = ["worker"]')
        + mount("c", "/c", 'processes = ["app"]')
        + mount("d", "/d", 'processes = ["ghost"]')
    )
    found = list(volumes.check_multiple_mounts_per_process(make_app(text)))
    assert [(f.key, f.message.split('"')[1]) for f in found] == [
        ("mounts[2]", "app"),
        ("mounts[1]", "worker"),
    ]


def test_one_extra_mount_for_several_groups_is_one_finding(make_app):
    text = (
        '[processes]\napp = "s"\nworker = "w"\n'
        + mount("a", "/a", 'processes = ["app", "worker"]')
        + mount("b", "/b", 'processes = ["app", "worker"]')
    )
    [finding] = volumes.check_multiple_mounts_per_process(make_app(text))
    assert finding.key == "mounts[1]" and 'groups "app", "worker" each get' in finding.message


def test_one_mount_per_group_is_fine(make_app):
    text = (
        '[processes]\napp = "s"\nworker = "w"\n'
        + mount("a", "/a", 'processes = ["app"]')
        + mount("b", "/b", 'processes = ["worker"]')
    )
    assert list(volumes.check_multiple_mounts_per_process(make_app(text))) == []


# -- FLY403 ---------------------------------------------------------------------------------------


def dockerfile(workdir: str | None, line: int = 12):
    instructions = [SimpleNamespace(keyword="FROM", line=1, column=1)]
    if workdir is not None:
        instructions.append(SimpleNamespace(keyword="WORKDIR", line=line, column=1))
    return SimpleNamespace(runner=SimpleNamespace(workdir=workdir, instructions=instructions))


@pytest.mark.parametrize(
    ("dest", "severity", "fragment"),
    [
        ("data", None, "absolute"),
        ("./data", None, "absolute"),
        ("/", None, "root filesystem"),
        ("//", None, "root filesystem"),
        ("/app", "warning", "hides the release in /app"),
        ("/app/", "warning", "hides the release"),
        ("/data", "", ""),
        ("/app/data", "", ""),
    ],
)
def test_mount_destination_without_dockerfile(make_app, dest, severity, fragment):
    found = list(volumes.check_mount_destination_invalid(make_app(mount(dest=dest))))
    if severity == "":
        assert found == []
        return
    [finding] = found
    assert finding.severity == severity and fragment in finding.message
    assert finding.location.line == 3 and finding.key == "mounts[0].destination"


def test_mount_over_the_runner_workdir(make_app):
    app = make_app(
        mount(dest="/srv"), dockerfile=dockerfile("/srv/app"), dockerfile_path="Dockerfile"
    )
    [finding] = volumes.check_mount_destination_invalid(app)
    assert finding.severity == "warning" and "/srv/app" in finding.message
    [related] = finding.related
    assert (related.path, related.line, related.label) == ("Dockerfile", 12, "runner WORKDIR")
    # /app is not special when the image keeps the release elsewhere
    app = make_app(
        mount(dest="/app"), dockerfile=dockerfile("/srv/app"), dockerfile_path="Dockerfile"
    )
    assert list(volumes.check_mount_destination_invalid(app)) == []


def test_mount_with_dockerfile_without_workdir(make_app):
    app = make_app(mount(dest="/app"), dockerfile=dockerfile(None), dockerfile_path="Dockerfile")
    assert list(volumes.check_mount_destination_invalid(app)) == []
    odd = SimpleNamespace()  # a Dockerfile model without a runner stage
    app = make_app(mount(dest="/app"), dockerfile=odd, dockerfile_path="Dockerfile")
    assert list(volumes.check_mount_destination_invalid(app)) == []
    # relative destinations are errors whatever the image
    app = make_app(mount(dest="data"), dockerfile=odd, dockerfile_path="Dockerfile")
    assert [f.severity for f in volumes.check_mount_destination_invalid(app)] == [None]


def test_legacy_single_mount_is_located(make_app):
    app = make_app('[mounts]\nsource = "d"\ndestination = "rel"\n')
    [finding] = volumes.check_mount_destination_invalid(app)
    assert finding.location.line == 3 and finding.key == "mounts[0].destination"


# -- FLY407 ---------------------------------------------------------------------------------------


def test_mount_vm_and_check_processes_unknown(make_app):
    text = (
        '[processes]\nweb = "s"\n'
        + mount(extra='processes = ["app", "web"]')
        + '[[vm]]\nmemory = "1gb"\nprocesses = ["worker"]\n'
        + '[checks.a]\ntype = "tcp"\nport = 1\nprocesses = ["web"]\n'
        + '[checks.b]\ntype = "tcp"\nport = 1\nprocesses = ["wrk"]\n'
    )
    found = list(volumes.check_mount_process_unknown(make_app(text)))
    assert [(f.key, f.location.line) for f in found] == [
        ("mounts[0].processes", 6),
        ("vm[0].processes", 9),
        ("checks.b.processes", 17),
    ]
    assert '"app"' in found[0].message and "groups: web" in found[0].message


def test_processes_without_a_processes_section(make_app):
    found = list(volumes.check_mount_process_unknown(make_app(mount(extra='processes = ["web"]'))))
    assert len(found) == 1 and "no [processes] section" in found[0].message
    assert (
        list(volumes.check_mount_process_unknown(make_app(mount(extra='processes = ["app"]'))))
        == []
    )
