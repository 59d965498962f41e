"""FLY1xx: HTTPS and TLS at Fly's edge and in the app."""

from __future__ import annotations

import json
from collections.abc import Iterable

from flylint.checks import rule
from flylint.findings import Finding
from flylint.model import App

SUPPORTED_TLS_VERSIONS = ("TLSv1.2", "TLSv1.3")


def _handlers(handlers: list[str]) -> str:
    return json.dumps(list(handlers)) if handlers else "[] (raw TCP)"


@rule("FLY103")
def check_force_https_non_http_handler(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for service in fly.services:
        if service.is_http_service:
            continue  # its force_https applies to the implicit port 80 ["http"]
        for port in service.ports:
            if port.force_https and "http" not in port.handlers:
                key = f"{port.key}.force_https"
                yield Finding(
                    "FLY103",
                    f"force_https = true on port {port.port} whose handlers are "
                    f"{_handlers(port.handlers)}: the redirect needs the http handler, "
                    "and flyctl rejects the deploy",
                    fly.locate(key),
                    fix='remove force_https from this port, or add "http" to its handlers',
                    key=key,
                )


@rule("FLY108")
def check_tls_versions_unsupported(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    seen: set[str] = set()
    for service in fly.services:
        for port in service.ports:
            if port.tls_versions is None:
                continue
            key = (
                "http_service.tls_options.versions"
                if service.is_http_service
                else f"{port.key}.tls_options.versions"
            )
            if key in seen:
                continue
            seen.add(key)
            bad = [v for v in port.tls_versions if v not in SUPPORTED_TLS_VERSIONS]
            if bad:
                yield Finding(
                    "FLY108",
                    f"tls_options.versions lists {', '.join(json.dumps(v) for v in bad)}; "
                    'Fly\'s proxy supports only "TLSv1.2" and "TLSv1.3"',
                    fly.locate(key),
                    fix='versions = ["TLSv1.2", "TLSv1.3"] (or drop tls_options.versions)',
                    key=key,
                )


@rule("FLY109")
def check_port_443_without_tls(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for service in fly.services:
        if service.is_http_service or service.protocol.lower() == "udp":
            continue
        for port in service.ports:
            if port.port != 443 or "tls" in port.handlers or "pg_tls" in port.handlers:
                continue
            key = f"{port.key}.handlers" if fly.has_key(f"{port.key}.handlers") else port.key
            yield Finding(
                "FLY109",
                f'port 443 has handlers {_handlers(port.handlers)} without "tls": Fly\'s proxy '
                "does not terminate TLS there, so https:// clients fail unless the app does TLS",
                fly.locate(key),
                fix='handlers = ["tls", "http"]',
                key=key,
            )
