"""FLY2xx: security headers, browser and request protections."""

from __future__ import annotations

from collections.abc import Iterable

from flylint.checks import rule
from flylint.findings import Finding
from flylint.model import App


@rule("FLY208")
def check_statics_bypass_app(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for entry in fly.statics:
        key = entry.get("key") if isinstance(entry.get("key"), str) else "statics"
        prefix = entry.get("url_prefix")
        what = f"[[statics]] {prefix}" if isinstance(prefix, str) else "[[statics]]"
        yield Finding(
            "FLY208",
            f"{what} is served by Fly's proxy straight from the image: the app's security "
            "headers (HSTS, CSP, X-Frame-Options) are not sent with these files",
            fly.locate(key),
            fix="serve these files through Plug.Static, or accept that they carry no app headers",
            key=key,
        )
