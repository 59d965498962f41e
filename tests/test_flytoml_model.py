"""fly.toml parsing: the normalised model, FLY001 positions and FLY002-FLY005 validation."""

from __future__ import annotations

import pytest

from flylint.parsers.flytoml import (
    FlyConfig,
    parse_fly_config,
    parse_go_duration,
    parse_size,
    to_duration,
)
from flylint.sources import SourceFile

# What `fly launch` writes for a Phoenix app (knowledge/fly-toml.md §8).
FLY_LAUNCH = """\
app = 'example-app'
primary_region = 'ord'
kill_signal = 'SIGTERM'
[build]
[deploy]
  release_command = '/app/bin/migrate'   # Postgres only
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

# A v1 (Nomad-era) config as old `flyctl launch` wrote it.
LEGACY_V1 = """\
# fly.toml file generated for old-app on 2022-03-01T10:00:00Z

app = "old-app"

kill_signal = "SIGINT"
kill_timeout = 5
processes = []

[build]
  build_target = "release"

[env]
  PORT = 4000
  POOL_SIZE = 10
  RATIO = 1.5
  FLAG = true

[experimental]
  allowed_public_ports = []
  auto_rollback = true

[deploy]
  release_command = "/app/bin/migrate"

[[services]]
  http_checks = []
  internal_port = "4000"
  processes = ["app"]
  protocol = "tcp"
  script_checks = []
  concurrency = "20,25"

  [[services.ports]]
    force_https = true
    handlers = ["http"]
    port = "80"

  [[services.ports]]
    handlers = ["tls", "http"]
    port = 443

  [[services.tcp_checks]]
    grace_period = "1s"
    interval = 15000
    restart_limit = 0
    timeout = "2s"

[mount]
source = "data"
destination = "/data"
initial_size = 3

[vm]
  memory = 1024
"""

# Every quirk of §10: string ports, integer env values, integer-ms durations, 1_000, inline
# comments, no indentation, mixed quotes, [mounts] as a table, empty tables, auto_rollback in [env].
QUIRKS = """\
app="quirky"
primary_region='ams'
kill_signal = "SIGTERM"
[env]
PORT=4000 # inline comment
MAX = 1_000
auto_rollback = false
[build]
[deploy]
[http_service]
internal_port=4000
force_https=true
auto_stop_machines=false
auto_start_machines=false
[http_service.concurrency]
type="requests"
soft_limit=1_000
[[http_service.checks]]
grace_period=1000
interval=15000
timeout = 2000
method="get"
path='/health'
headers = [{name = "X-Forwarded-Proto", value = "https"}]
[mounts]
source="data"
destination="/data"
[checks]
"""


def parse(text: str, path: str = "fly.toml") -> tuple[FlyConfig | None, list]:
    return parse_fly_config(SourceFile.from_text(path, text))


def rules_at(findings) -> list[tuple[str, int]]:
    return [(f.rule, f.location.line) for f in findings]


# -- fly launch output ---------------------------------------------------------------------------


def test_fly_launch_output_is_valid_and_normalised():
    cfg, findings = parse(FLY_LAUNCH)
    assert findings == []
    assert cfg.app_name == "example-app"
    assert cfg.kill_signal == "SIGTERM"
    assert cfg.env == {"PHX_HOST": "example-app.fly.dev", "PORT": "8080"}
    assert cfg.deploy.release_command == "/app/bin/migrate"
    assert cfg.process_groups == ["app"] and cfg.default_group == "app"
    [service] = cfg.services
    assert service.key == "http_service" and service.is_http_service
    assert service.internal_port == 8080
    assert service.force_https is True
    assert [(p.port, p.handlers, p.force_https) for p in service.ports] == [
        (80, ["http"], True),
        (443, ["tls", "http"], False),
    ]
    assert service.auto_stop == "stop" and service.auto_start is True
    assert service.min_machines_running == 0
    assert (service.concurrency_type, service.soft_limit, service.hard_limit) == (
        "connections",
        1000,
        1000,
    )
    assert service.serves_http and service.checks == []
    assert cfg.vms[0]["memory"] == "1gb" and cfg.vms[0]["key"] == "vm[0]"
    assert cfg.locate("http_service.concurrency.soft_limit").line == 19


# -- legacy v1 shapes ----------------------------------------------------------------------------


def test_legacy_v1_is_normalised_like_flyctl_patches():
    cfg, findings = parse(LEGACY_V1)
    assert cfg.env == {"PORT": "4000", "POOL_SIZE": "10", "RATIO": "1.5", "FLAG": "true"}
    assert cfg.build.build_target == "release"
    assert cfg.kill_timeout == 5 and cfg.kill_timeout_duration.seconds == 5
    assert cfg.processes == {} and cfg.process_groups == ["app"]
    [service] = cfg.services
    assert service.key == "services[0]" and not service.is_http_service
    assert service.internal_port == 4000  # string port converted
    assert [p.port for p in service.ports] == [80, 443]
    assert service.ports[0].key == "services[0].ports[0]"
    assert (service.concurrency_type, service.soft_limit, service.hard_limit) == (
        "requests",
        20,
        25,
    )
    [check] = service.checks
    assert check.kind == "tcp" and check.key == "services[0].tcp_checks[0]"
    assert check.interval.seconds == 15 and check.interval.bare_int
    assert check.grace_period.seconds == 1
    [mount] = cfg.mounts
    assert (mount.source, mount.destination, mount.key) == ("data", "/data", "mount[0]")
    assert cfg.vms[0]["memory"] == 1024
    # v1 leftovers are FLY004 and nothing else complains about accepted legacy shapes
    assert sorted({f.rule for f in findings}) == ["FLY004"]
    assert sorted(f.key for f in findings) == [
        "experimental.allowed_public_ports",
        "mount",
        "processes",
        "services[0].script_checks",
        "services[0].tcp_checks[0].restart_limit",
    ]


def test_legacy_list_shapes():
    text = """\
[[processes]]
  name = "web"
  command = "/app/bin/server"
[[processes]]
  name = "worker"
  command = "/app/bin/worker"

[[env]]
  A = "1"
[[env]]
  B = 2

[[checks]]
  name = "alive"
  type = "tcp"
  port = 8080
  headers = []

[[services]]
  internal_port = 8080
  processes = ["web"]
  [services.ports]
    port = 443
    handlers = ["tls", "http"]
  [services.http_checks]
    path = "/health"
    headers = [{name = "X-Forwarded-Proto", value = "https"}]
"""
    cfg, findings = parse(text)
    assert findings == []
    assert cfg.processes == {"web": "/app/bin/server", "worker": "/app/bin/worker"}
    assert cfg.process_groups == ["web", "worker"] and cfg.default_group == "web"
    assert cfg.env == {"A": "1", "B": "2"}
    [top] = cfg.machine_checks
    assert (top.name, top.key, top.type, top.port) == ("alive", "checks[0]", "tcp", 8080)
    [service] = cfg.services
    assert service.ports[0].port == 443
    [check] = service.checks
    assert check.headers == {"X-Forwarded-Proto": "https"}
    assert cfg.locate("env.B").line == 11
    assert cfg.locate(check.key + ".path").line == 26


def test_quirks_of_real_configs_parse_cleanly():
    cfg, findings = parse(QUIRKS)
    # auto_rollback written under [env] becomes an env var: reported as a misplaced setting
    assert rules_at(findings) == [("FLY002", 7)]
    assert cfg.env["MAX"] == "1000" and cfg.env["auto_rollback"] == "false"
    [service] = cfg.services
    assert service.auto_stop == "off" and service.auto_start is False
    assert service.soft_limit == 1000
    [check] = service.checks
    assert check.interval.seconds == 15 and check.grace_period.seconds == 1
    assert check.method == "get" and check.headers == {"X-Forwarded-Proto": "https"}
    [mount] = cfg.mounts
    assert mount.key == "mounts[0]"
    assert cfg.locate(mount.key + ".destination").line == 27
    assert cfg.machine_checks == []


# -- nasty inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n", "# only comments\n  # and more\n"])
def test_empty_and_comment_only_files(text):
    cfg, findings = parse(text)
    assert findings == []
    assert cfg.services == [] and cfg.mounts == [] and cfg.app_name is None
    assert cfg.process_groups == ["app"]
    loc = cfg.locate("http_service.checks[0].path")
    assert (loc.path, loc.line, loc.column) == ("fly.toml", 1, 1)


def test_http_service_checks_as_a_table():
    text = """\
[http_service]
  internal_port = 8080
  [http_service.checks]
    grace_period = "10s"
    path = "/health"
"""
    cfg, findings = parse(text)
    assert rules_at(findings) == [("FLY003", 3)]
    assert findings[0].key == "http_service.checks"
    assert "[[http_service.checks]]" in findings[0].message
    # the model reads the author's intent: one check
    [check] = cfg.services[0].checks
    assert check.path == "/health" and check.key == "http_service.checks[0]"
    assert cfg.locate("http_service.checks[0].grace_period").line == 4


def test_internal_port_string_in_http_service_is_invalid_but_read():
    cfg, findings = parse('[http_service]\ninternal_port = "8080"\n')
    assert rules_at(findings) == [("FLY003", 2)]
    assert "without quotes" in findings[0].message
    assert cfg.services[0].internal_port == 8080


def test_internal_port_string_in_services_is_accepted():
    cfg, findings = parse(
        '[[services]]\ninternal_port = "8080"\n[[services.ports]]\nport = "443"\n'
    )
    assert findings == []
    assert cfg.services[0].internal_port == 8080 and cfg.services[0].ports[0].port == 443


def test_every_section_with_a_wrong_type_never_raises():
    text = """\
app = 1
env = 5
processes = 5
http_service = 5
services = "x"
mounts = [1, 2]
checks = 3
deploy = []
build = 1
experimental = "x"
statics = [1]
files = "f"
vm = true
restart = {policy = "always"}
"""
    cfg, findings = parse(text)
    assert cfg is not None
    assert {f.rule for f in findings} == {"FLY003"}
    assert cfg.services == [] and cfg.mounts == [] and cfg.env == {}
    for finding in findings:
        assert finding.key and finding.location.line >= 1


def test_wrong_types_inside_sections():
    text = """\
[http_service]
  internal_port = 8080
  force_https = "true"
  auto_stop_machines = "true"
  processes = "app"
  checks = [1]
[[services]]
  internal_port = "http"
  concurrency = "lots"
  ports = {port = 443, handlers = "tls"}
"""
    cfg, findings = parse(text)
    assert rules_at(findings) == [
        ("FLY003", 3),
        ("FLY003", 4),
        ("FLY003", 5),
        ("FLY003", 6),
        ("FLY003", 8),
        ("FLY003", 9),
        ("FLY003", 10),
    ]
    service = cfg.services[0]
    assert service.auto_stop is None and service.processes == ["app"]
    assert service.checks_malformed


# -- FLY001 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('app = "demo"\nprimary_region = ams\n', 2, 18),
        ('app = "demo"\n[http_service\n', 2, 14),
        ('app = "demo"\napp = "again"\n', 2, 14),
        ('app = "demo"\nb = [1,\n', 2, 8),
    ],
)
def test_toml_syntax_error_is_one_fly001_at_the_parser_position(text, line, column):
    cfg, findings = parse(text, "deploy/fly.prod.toml")
    assert cfg is None
    [finding] = findings
    assert finding.rule == "FLY001"
    assert (finding.location.path, finding.location.line, finding.location.column) == (
        "deploy/fly.prod.toml",
        line,
        column,
    )
    assert "(at line" not in finding.message and finding.message.startswith("TOML syntax error")


# -- FLY002 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("[http_service]\nforce_http = true\n", 2, "did you mean force_https?"),
        ('[http_service]\nauto_stop_machine = "stop"\n', 2, "did you mean auto_stop_machines?"),
        ('release_command = "x"\n', 1, "belongs in [deploy]"),
        ("[http_service]\nInternal_Port = 8080\n", 2, "only in case"),
        ("[http_services]\ninternal_port = 8080\n", 1, "did you mean http_service?"),
        ('[[restart]]\npolicy = "always"\nmax_retries = 3\n', 3, "did you mean retries?"),
        ("[[http_service.checks]]\nport = 8080\n", 2, "internal_port"),
        ('[checks.a]\ntype = "tcp"\nport = 1\nkind = "readiness"\n', 4, "kind"),
        ('[env]\nkill_signal = "SIGTERM"\n', 2, "environment variable"),
        ('[processes]\nkill_timeout = "30"\n', 2, "process group"),
        ("[http_service]\nport = 8080\n", 2, "internal_port"),
    ],
)
def test_unknown_keys(text, line, fragment):
    _, findings = parse(text)
    unknown = [f for f in findings if f.rule == "FLY002"]
    assert [f.location.line for f in unknown] == [line]
    assert fragment in unknown[0].message


def test_free_form_tables_have_no_unknown_keys():
    text = """\
[env]
  ANYTHING = "x"
[build.args]
  ANY_ARG = "y"
[processes]
  app = "/app/bin/server"
  my_weird_group = "/bin/true"
[http_service]
  internal_port = 8080
  processes = ["app"]
  [http_service.http_options.response.headers]
    X-Anything = "z"
    Server = false
"""
    _, findings = parse(text)
    assert findings == []


# -- FLY003 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_lines", "fragment"),
    [
        ('[deploy]\nstrategy = "canarie"\n', [2], "did you mean canary?"),
        ("[deploy]\nwait_timeout = 300\nrelease_command_timeout = 60\n", [2, 3], "nanoseconds"),
        ('[deploy]\nwait_timeout = "5 minutes"\n', [2], "not a Go duration"),
        ('[deploy]\nwait_timeout = "5m"\nrelease_command_timeout = "90s"\n', [], ""),
        ("kill_timeout = 301\n", [1], "300 s maximum"),
        ('kill_timeout = "6m"\n', [1], "300 s maximum"),
        ("[experimental]\nkill_timeout = 900\n", [2], "300 s maximum"),
        ('kill_timeout = "5m"\n', [], ""),
        ('[[restart]]\npolicy = "no"\n', [2], "never"),
        ('[[restart]]\npolicy = "on-failure"\nretries = 3\n', [], ""),
        ("[[restart]]\nretries = 3\n", [1], "missing"),
        ('[checks.a]\nport = 8080\ninterval = "1s"\n', [1, 3], "2 s minimum"),
        ('[checks.a]\ntype = "http"\nport = 8080\ntimeout = "61s"\n', [4], "60 s maximum"),
        ('[checks.a]\ntype = "grpc"\nport = 8080\n', [2], '"http" or "tcp"'),
        ('[checks.a]\ntype = "tcp"\n', [1], "no port"),
        ('[checks.a]\ninterval = "15s"\n', [1], "no type (top-level"),
        ('[[mounts]]\nprocesses = ["app"]\n', [1], "no source and no destination"),
        ('[http_service]\ninternal_port = 8080\n[checks.a]\ntype = "tcp"\n', [], ""),
        ('[[mounts]]\nsource = "d"\ndestination = "/d"\ninitial_size = "500mb"\n', [4], "1 GB"),
        ('[[mounts]]\nsource = "d"\ndestination = "/d"\ninitial_size = 10\n', [], ""),
        ('[[mounts]]\nsource = "d"\ndestination = "/d"\nsnapshot_retention = 0\n', [4], "1 and 60"),
        (
            '[[mounts]]\nsource = "d"\ndestination = "/d"\nauto_extend_size_threshold = 80\n',
            [4],
            "all three",
        ),
        (
            '[[mounts]]\nsource = "d"\ndestination = "/d"\nauto_extend_size_threshold = 80\n'
            'auto_extend_size_increment = "1GB"\nauto_extend_size_limit = "10GB"\n',
            [],
            "",
        ),
        (
            '[[mounts]]\nsource = "d"\ndestination = "/d"\nauto_extend_size_threshold = 40\n'
            'auto_extend_size_increment = "500GB"\n',
            [4, 5],
            "between",
        ),
        ('[[mounts]]\nsource = "d"\n', [1], "no destination"),
        ('[processes]\nweb = "a"\n[http_service]\ninternal_port = 1\n', [3], "no processes"),
        ('[[services]]\ninternal_port = 1\nprocesses = ["web"]\n', [3], "does not define"),
        (
            '[http_service]\ninternal_port = 1\n[[services.http_checks]]\npath = "/"\n',
            [3],
            "port 0",
        ),
        ('[[vm]]\nsize = "shared-cpu-3x"\n', [2], "shared-cpu-1x"),
        ("[[vm]]\nmemory = 0\n", [2], "zero"),
        ('[[vm]]\nmemory = "2gb"\ncpus = 2\n', [], ""),
        ('[build]\ncompression = "brotli"\ncompression_level = 12\n', [2, 3], ""),
        ("[http_service]\ninternal_port = 1\nmin_machines_running = true\n", [3], "integer"),
        ("[deploy]\nmax_unavailable = 0\n", [2], "above 0"),
        ('[[statics]]\nguest_path = "/a"\nurl_prefix = "/s"\n', [], ""),
        ('[statics]\nguest_path = "/a"\nurl_prefix = "/s"\n', [1], "[[statics]]"),
        ("[[http_service]]\ninternal_port = 8080\n", [1], "[http_service]"),
        ('[[http_service.checks]]\ninterval = "15 seconds"\n', [2], "Go duration"),
        ("[[http_service.checks]]\ninterval = true\n", [2], "not a duration"),
    ],
)
def test_invalid_values(text, expected_lines, fragment):
    _, findings = parse(text)
    invalid = [f for f in findings if f.rule == "FLY003"]
    assert [f.location.line for f in invalid] == expected_lines, [f.message for f in invalid]
    if fragment:
        assert any(fragment in f.message for f in invalid), [f.message for f in invalid]


# -- FLY004 / FLY005 -------------------------------------------------------------------------------


def test_legacy_keys_and_their_replacements():
    text = """\
processes = []
[experimental]
  allowed_public_ports = []
  private_network = true
  auto_rollback = true
[[services]]
  internal_port = 1
  [[services.ports]]
    port = 443
    handlers = ["tls", "http"]
  [[services.http_checks]]
    restart_limit = 6
"""
    _, findings = parse(text)
    assert rules_at(findings) == [("FLY004", 1), ("FLY004", 3), ("FLY004", 4), ("FLY004", 12)]
    assert "[processes]" in findings[0].message
    assert "6PN" in findings[2].message
    assert "[[restart]]" in findings[3].message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[deploy]\nrelease_command = "bin/app eval \'Mod.fun"\n', 2),
        ("console_command = 'bin/app remote \"x'\n", 1),
        ('[processes]\napp = "bin/server"\nworker = "bin/app eval \\"W.run"\n', 3),
        ('console_command = "trailing backslash \\\\"\n', 1),
    ],
)
def test_unsplittable_commands(text, line):
    _, findings = parse(text)
    assert rules_at(findings) == [("FLY005", line)]
    assert "quot" in findings[0].message or "escape" in findings[0].message


def test_balanced_commands_are_fine():
    text = """\
console_command = "/app/bin/demo remote"
[deploy]
  release_command = "/app/bin/demo eval 'Demo.Release.migrate()'"
[processes]
  app = ""
  worker = "/app/bin/demo eval \\"Demo.Worker.run()\\""
"""
    _, findings = parse(text)
    assert findings == []


# -- model helpers ---------------------------------------------------------------------------------


def test_process_groups_and_groups_for():
    cfg, _ = parse('[processes]\nworker = "w"\nweb = "s"\n')
    assert cfg.process_groups == ["web", "worker"]
    assert cfg.default_group == "web"  # no "app": the alphabetically first
    assert cfg.groups_for([]) == ["web"]
    assert cfg.groups_for(["worker", "ghost"]) == ["worker"]
    cfg, _ = parse('[processes]\nworker = "w"\napp = "s"\n')
    assert cfg.default_group == "app"


def test_top_level_checks_model():
    cfg, findings = parse(
        '[checks.alive]\ntype = "http"\nport = 8080\npath = "/up"\ninterval = "15s"\n'
        'timeout = 3000\nprocesses = ["app"]\nheaders = {Authorization = "x"}\n'
    )
    assert findings == []
    [check] = cfg.machine_checks
    assert (check.name, check.key, check.type, check.port, check.path) == (
        "alive",
        "checks.alive",
        "http",
        8080,
        "/up",
    )
    assert check.interval.seconds == 15 and check.timeout.seconds == 3
    assert check.headers == {"Authorization": "x"} and check.processes == ["app"]


def test_response_headers_and_tls_versions():
    cfg, _ = parse(
        "[http_service]\ninternal_port = 1\n[http_service.tls_options]\n"
        'versions = ["TLSv1.2"]\n[http_service.http_options.response.headers]\n'
        'Strict-Transport-Security = "max-age=63072000"\nServer = false\n'
    )
    service = cfg.services[0]
    assert service.ports[1].tls_versions == ["TLSv1.2"] and service.ports[0].tls_versions is None
    assert service.response_headers == {
        "Strict-Transport-Security": "max-age=63072000",
        "Server": False,
    }


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10),
        ("1m30s", 90),
        ("1.5h", 5400),
        ("500ms", 0.5),
        ("250us", 0.00025),
        ("0", 0),
        ("-1s", -1),
        ("10 seconds", None),
        ("5", None),
        ("", None),
        ("s", None),
        ("1d", None),
    ],
)
def test_go_durations(text, seconds):
    result = parse_go_duration(text)
    assert result == pytest.approx(seconds) if seconds is not None else result is None


def test_duration_units_per_key():
    assert to_duration(15000, 1e-3).seconds == 15 and to_duration(15000, 1e-3).bare_int
    assert to_duration(5, 1.0).seconds == 5
    assert to_duration("", 1e-3) is None and to_duration(None, 1.0) is None
    assert to_duration("2s", 1e-3) == to_duration("2s", 1.0)
    assert to_duration(True, 1.0).seconds is None


@pytest.mark.parametrize(
    ("value", "unit", "binary", "expected"),
    [
        (10, 1e9, False, 10),
        ("10", 1e9, False, 10),
        ("10gb", 1e9, False, 10),
        ("1GB", 1e9, False, 1),
        ("500mb", 1e9, False, 0),
        ("1gb", 1024**2, True, 1024),
        ("512MB", 1024**2, True, 512),
        ("lots", 1e9, False, None),
        (True, 1e9, False, None),
    ],
)
def test_sizes(value, unit, binary, expected):
    assert parse_size(value, unit, binary) == expected


def test_findings_carry_key_and_location():
    _, findings = parse(
        'app = "x"\n\n[http_service]\n  internal_port = 8080\n  force_http = true\n'
    )
    [finding] = findings
    assert finding.key == "http_service.force_http"
    loc = finding.location
    assert (loc.path, loc.line, loc.column, loc.end_line, loc.end_column) == (
        "fly.toml",
        5,
        3,
        5,
        20,
    )
    assert finding.fix == "rename force_http to force_https"


def test_http_service_checks_as_named_tables():
    text = """\
[http_service]
  internal_port = 4000
[http_service.checks]
  [http_service.checks.health]
    path = "/healthz"
    timout = "5s"
"""
    cfg, findings = parse(text)
    assert rules_at(findings) == [("FLY003", 3), ("FLY002", 6)]
    assert "named tables (health)" in findings[0].message
    [check] = cfg.services[0].checks
    assert check.key == "http_service.checks.health" and check.path == "/healthz"
    assert cfg.locate(check.key + ".path").line == 5


def test_unknown_sections_are_named_as_sections():
    _, findings = parse(
        "[scaling]\nmin = 1\n[[services]]\ninternal_port = 1\n[[services.regions]]\nr = 1\n"
    )
    assert [f.message.split(" at ")[0].split(" in ")[0] for f in findings] == [
        "unknown section [scaling]",
        "unknown section [[services.regions]]",
    ]
