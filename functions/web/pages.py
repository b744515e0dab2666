"""Server-rendered settings pages: the user's page, the admin page, their static files.

The pages are shells: they hold no secrets and no user data, only public configuration
(the API's URL, the Firebase web config, the Auth emulator's host when set) in a
``<script type="application/json">`` block. The JavaScript in ``static/app.js`` signs in
with the Firebase Auth JS client and calls the ``api`` function with the ID token.

Routes, relative to the ``pages`` function: ``GET /`` user settings, ``GET /admin`` admin
settings, ``GET /calendar`` the user's activities in a week / month calendar (``static/calendar.js``
over the ``activities`` function, drawn by FullCalendar, vendored in ``static/vendor/``),
``GET /assets/<file>`` this package's CSS and JS (from ``static/``, and ``vendor/<file>``; not under
``/static/``, which functions-framework's Flask app reserves for itself); anything else is a
404 page.

FullCalendar injects its own stylesheet as a ``<style>`` element: every page carries a fresh CSP
nonce for it (``style-src 'self' 'nonce-...'``, read by FullCalendar from ``<meta name="csp-nonce">``),
never ``'unsafe-inline'``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Request, Response

from functions.config import ConfigError, get_settings

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

STATIC_NAME_RE = re.compile(r"^(?:vendor/)?[a-z0-9][a-z0-9_-]*(?:\.min)?\.(?:js|css|svg)$")
# Static files each page loads, with a content hash in their URL.
VERSIONED = ("app.js", "calendar.js", "style.css", "vendor/fullcalendar.min.js")
PAGES = {"user": "user.html", "admin": "admin.html", "calendar": "calendar.html"}
STATIC_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}

# Where the OAuth callback sends the browser back to: ``?connect=error&reason=<code>``.
CONNECT_ERRORS: dict[str, str] = {
    "access_denied": "Access was denied on Google's consent page, so nothing was connected. "
    "Click Authorize and Connect to try again.",
    "invalid_state": "The connection link was not valid or was already used. "
    "Please start again with Authorize and Connect.",
    "expired_state": "The connection attempt took too long and expired. Please try again.",
    "state_user_mismatch": "The connection was started by a different user or in another browser. "
    "Sign in as the right user and try again.",
    "exchange_failed": "Google answered, but calbridge could not finish the connection. "
    "Try again; if it keeps failing, ask your admin to check the Google client settings.",
}
CONNECT_SUCCESS = "Google Calendar is connected. Now choose a calendar for each activity type and save."

# Google endpoints the Firebase Auth JS client talks to when no emulator is configured.
FIREBASE_AUTH_ORIGINS = ("https://identitytoolkit.googleapis.com", "https://securetoken.googleapis.com")


def handle(request: Request) -> Response:
    """Answer one request to the ``pages`` function."""
    path = request.path or "/"
    if path.startswith("/assets/"):
        return _static(request, path[len("/assets/") :])
    if path in ("/", "/index.html"):
        page = "user"
    elif path.rstrip("/") in ("/admin", "/calendar"):
        page = path.strip("/")
    else:
        return _page(request, "not_found.html", "not_found", status=404)
    if request.method not in ("GET", "HEAD"):
        return _page(request, "not_found.html", "not_found", status=405, extra_headers={"Allow": "GET, HEAD"})
    return _page(request, PAGES[page], page)


# --------------------------------------------------------------------------- rendering


@lru_cache(maxsize=1)
def _environment() -> Any:
    """The Jinja environment, built on first use (not at import: cold starts)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _static_version(name: str) -> str:
    """A short hash of a static file, for cache-busting URLs (recomputed when the file changes)."""
    try:
        stat = (STATIC_DIR / name).stat()
    except OSError:
        return "0"
    return _hash_file(name, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _hash_file(name: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def _banner(request: Request) -> dict[str, str] | None:
    """The message for the landing after Google's consent (``?connect=...``)."""
    outcome = request.args.get("connect")
    if outcome == "success":
        return {"kind": "success", "text": CONNECT_SUCCESS, "reason": ""}
    if outcome == "error":
        # Only a reason the callback can send is shown: anyone can craft this link, so free text
        # from the query never reaches the page.
        reason = request.args.get("reason", "")
        if reason in CONNECT_ERRORS:
            return {"kind": "error", "text": CONNECT_ERRORS[reason], "reason": reason}
        return {"kind": "error", "text": "Connecting to Google failed. Please try again.", "reason": ""}
    return None


def _page(
    request: Request,
    template: str,
    page: str,
    status: int = 200,
    extra_headers: dict[str, str] | None = None,
) -> Response:
    settings = get_settings()
    try:
        pages_url = settings.function_url("pages")
        api_url = settings.function_url("api")
        activities_url = settings.function_url("activities")
    except ConfigError:
        # Without a public base URL the pages cannot name the API: say so, plainly.
        pages_url, api_url, activities_url = request.script_root or "", "", ""
        if status == 200:
            template, page, status = "error.html", "error", 500
    static_base = pages_url.rstrip("/") + "/assets/"
    emulator = settings.firebase_auth_emulator_host
    config = {
        "page": page,
        "apiBase": api_url.rstrip("/") + "/" if api_url else "",
        "activitiesBase": activities_url.rstrip("/") + "/" if activities_url else "",
        "pagesBase": pages_url.rstrip("/") + "/",
        "firebase": {"apiKey": settings.firebase_web_api_key, "projectId": settings.project_id or ""},
        "authEmulatorHost": emulator or None,
    }
    nonce = secrets.token_urlsafe(18)
    context = {
        "page": page,
        "style_nonce": nonce,
        "config": config,
        "banner": _banner(request) if page == "user" else None,
        "static_base": static_base,
        "firebase_js_url": settings.firebase_js_url,
        "user_url": config["pagesBase"],
        "admin_url": config["pagesBase"] + "admin",
        "calendar_url": config["pagesBase"] + "calendar",
        "version": {name: _static_version(name) for name in VERSIONED},
        "emulator": bool(emulator),
    }
    html = _environment().get_template(template).render(**context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers.update(_security_headers(settings, static_base, (api_url, activities_url), nonce))
    response.headers["Cache-Control"] = "no-store"
    if extra_headers:
        response.headers.update(extra_headers)
    return response


def _security_headers(settings: Any, static_base: str, api_urls: tuple[str, ...], nonce: str) -> dict[str, str]:
    script_src = ["'self'"]
    style_src = ["'self'"]
    connect_src = ["'self'"]
    for url, targets in (
        (static_base, (script_src, style_src)),
        (settings.firebase_js_url, (script_src,)),
        *((api_url, (connect_src,)) for api_url in api_urls),
    ):
        origin = _origin(url) if url else None
        for target in targets:
            if origin and origin not in target:
                target.append(origin)
    style_src.append(f"'nonce-{nonce}'")  # FullCalendar's own <style> element, and nothing else inline
    if settings.firebase_auth_emulator_host:
        connect_src.append("http://" + settings.firebase_auth_emulator_host)
    else:
        connect_src.extend(FIREBASE_AUTH_ORIGINS)
    policy = "; ".join(
        (
            "default-src 'none'",
            "script-src " + " ".join(script_src),
            "style-src " + " ".join(style_src),
            "img-src 'self' data:",
            "font-src data:",  # FullCalendar's arrow icons: a font inlined in its stylesheet
            "connect-src " + " ".join(connect_src),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


# --------------------------------------------------------------------------- static files


def _static(request: Request, name: str) -> Response:
    if request.method not in ("GET", "HEAD") or not STATIC_NAME_RE.match(name):
        return _page(request, "not_found.html", "not_found", status=404)
    path = STATIC_DIR / name
    try:
        body = path.read_bytes()
    except OSError:
        return _page(request, "not_found.html", "not_found", status=404)
    response = Response(body, mimetype=STATIC_TYPES[name.rsplit(".", 1)[1]])
    # The pages ask for ``?v=<content hash>``, so a long cache is safe; anything else revalidates.
    if request.args.get("v") == _static_version(name):
        response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
