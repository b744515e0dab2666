"""Structured logs: one JSON line per record on stdout, which Cloud Logging reads as jsonPayload
(``severity``, ``message``, ``run_id``, and ``uid``, ``calendar``, ``counts``, ``duration_ms``, ...).

- :func:`install` puts the handler on the root logger once (main.py calls it; it costs
  microseconds and builds no client). Production sets ``CALBRIDGE_LOG_FORMAT=json``; locally,
  ``CALBRIDGE_LOG_FORMAT=text`` or a terminal gets the same lines readably. When the host
  already configured logging (the dev server, a test runner) and no format is set, its
  handlers are left as they are.
- :func:`sync_run` gives every line logged inside a run the run's ``run_id``, ``kind``, ``uid``
  and ``calendar``, and ends with :func:`log_run_summary`: one summary line per run, at ERROR
  when the run failed or counted errors (the log-based metric ``calbridge/sync_errors``).
- :func:`log_needs_reauth`: the line behind the ``calbridge/needs_reauth`` metric.
- Nothing secret is written: a field whose name contains token, secret, password,
  authorization or code_verifier is replaced, and so is anything in a message or value that
  looks like a bearer token, a JWT, a Google access or refresh token, or a sealed secret.

Add fields to any line with ``log.info("...", extra={"uid": uid, "counts": {...}})``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TextIO

FORMAT_VARIABLE = "CALBRIDGE_LOG_FORMAT"  # "json" or "text"; unset: text on a terminal, else json
REDACTED = "[REDACTED]"
RUN_SUMMARY_EVENT = "sync_run_summary"
NEEDS_REAUTH_EVENT = "needs_reauth"
APP_LOGGERS = ("main", "functions", "calbridge")

# Compiled on first use, not at import (cold starts).
SENSITIVE_NAME_PATTERN = r"token|secret|password|authorization|code_verifier"
BEARER_PATTERN = r"\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*"
SECRET_VALUE_PATTERN = (
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # a JWT (Firebase ID token, OIDC)
    r"|\bya29\.[A-Za-z0-9_.\-]+"  # a Google access token
    r"|\b1//[A-Za-z0-9_\-]{16,}"  # a Google refresh token
    r"|\bv1:[A-Za-z0-9+/=]{24,}"  # a sealed secret (functions/core/secret_box.py)
)


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    return (
        re.compile(SENSITIVE_NAME_PATTERN, re.IGNORECASE),
        re.compile(BEARER_PATTERN, re.IGNORECASE),
        re.compile(SECRET_VALUE_PATTERN),
    )


log = logging.getLogger("calbridge.run")
_installed = False
_lock = threading.Lock()
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_SEVERITY = {"WARN": "WARNING", "FATAL": "CRITICAL"}


# --- redaction ---------------------------------------------------------------------------------


def redact(value: Any, name: str | None = None) -> Any:
    """``value`` with every secret-looking part replaced; ``name`` is the field it is logged as."""
    sensitive_name, bearer, secret_value = _patterns()
    if name is not None and sensitive_name.search(name):
        return REDACTED
    if isinstance(value, str):
        return secret_value.sub(REDACTED, bearer.sub(lambda match: f"{match.group(1)} {REDACTED}", value))
    if isinstance(value, Mapping):
        return {str(key): redact(item, str(key)) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


# --- runs ----------------------------------------------------------------------------------------


class Run:
    """One sync run: its id and subject, what it counted, when it started."""

    __slots__ = ("kind", "uid", "calendar", "run_id", "counts", "started")

    def __init__(self, kind: str, uid: str | None = None, calendar: str | None = None) -> None:
        self.kind = kind
        self.uid = uid
        self.calendar = calendar
        self.run_id = new_run_id()
        self.counts: dict[str, int] = {}
        self.started = time.monotonic()

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def context(self) -> dict[str, Any]:
        found = {"run_id": self.run_id, "kind": self.kind, "uid": self.uid, "calendar": self.calendar}
        return {key: value for key, value in found.items() if value is not None}

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


_current_run: ContextVar[Run | None] = ContextVar("calbridge_run", default=None)


def new_run_id() -> str:
    return os.urandom(8).hex()


def current_run() -> Run | None:
    return _current_run.get()


@contextmanager
def sync_run(kind: str, uid: str | None = None, calendar: str | None = None) -> Iterator[Run]:
    """Run a sync step as one run: its lines carry its run_id; one summary line at the end.

    An exception is logged in the summary (at ERROR) and raised again.
    """
    install()
    run = Run(kind=kind, uid=uid, calendar=calendar)
    token = _current_run.set(run)
    try:
        yield run
    except Exception as exc:
        log_run_summary(run.run_id, kind, uid=uid, counts=run.counts, duration_ms=run.elapsed_ms(),
                        calendar=calendar, error=f"{type(exc).__name__}: {exc}")
        raise
    else:
        log_run_summary(run.run_id, kind, uid=uid, counts=run.counts, duration_ms=run.elapsed_ms(), calendar=calendar)
    finally:
        _current_run.reset(token)


def log_run_summary(
    run_id: str,
    kind: str,
    uid: str | None = None,
    counts: Mapping[str, int] | None = None,
    duration_ms: int | float | None = None,
    calendar: str | None = None,
    error: str | None = None,
    **fields: Any,
) -> None:
    """One line per sync run: what it did, how long it took; ERROR if it failed or counted errors."""
    install()
    counts = dict(counts or {})
    failed = bool(error) or counts.get("errors", 0) > 0
    subject = f" of {uid}" if uid else ""
    where = f" on {calendar}" if calendar else ""
    tally = ", ".join(f"{name} {value}" for name, value in sorted(counts.items())) or "nothing counted"
    took = f" in {int(duration_ms)} ms" if duration_ms is not None else ""
    outcome = f"failed: {error}" if error else "finished"
    extra: dict[str, Any] = {
        "event": RUN_SUMMARY_EVENT, "run_id": run_id, "kind": kind, "counts": counts, **fields,
    }
    if uid is not None:
        extra["uid"] = uid
    if calendar is not None:
        extra["calendar"] = calendar
    if duration_ms is not None:
        extra["duration_ms"] = int(duration_ms)
    if error:
        extra["error"] = error
    log.log(logging.ERROR if failed else logging.INFO, "%s run%s%s %s (%s)%s",
            kind, subject, where, outcome, tally, took, extra=extra)


def log_needs_reauth(uid: str, reason: str) -> None:
    """Google refused a user's grant: they must reconnect (the calbridge/needs_reauth metric)."""
    install()
    log.warning("user %s needs to reconnect: %s", uid, reason, extra={"event": NEEDS_REAUTH_EVENT, "uid": uid})


# --- formatting ------------------------------------------------------------------------------


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's own fields (``extra=``) over the current run's context, redacted."""
    found: dict[str, Any] = {}
    run = current_run()
    if run is not None:
        found.update(run.context())
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
            found[key] = value
    return redact(found)


def _message(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    message = record.getMessage()
    if record.exc_info:
        message = f"{message}\n{formatter.formatException(record.exc_info)}"
    if record.stack_info:
        message = f"{message}\n{formatter.formatStack(record.stack_info)}"
    return redact(message)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, in the shape Cloud Logging turns into jsonPayload."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelname, record.levelname),
            "message": _message(record, self),
            "logger": record.name,
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "logging.googleapis.com/sourceLocation": {
                "file": record.pathname, "line": record.lineno, "function": record.funcName,
            },
        }
        for key, value in _fields(record).items():
            payload.setdefault(key, value)
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The same lines for a person: time, severity, logger, message, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = " ".join(
            f"{key}={json.dumps(value, default=str) if not isinstance(value, str) else value}"
            for key, value in _fields(record).items()
        )
        line = f"{stamp} {record.levelname:<7} {record.name}: {_message(record, self)}"
        return f"{line}  [{fields}]" if fields else line


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at emit time (Cloud Functions collects stdout)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def formatter_for(stream: Any, environ: Mapping[str, str] | None = None) -> logging.Formatter:
    """JSON unless CALBRIDGE_LOG_FORMAT=text, or unset on a terminal."""
    chosen = (environ if environ is not None else os.environ).get(FORMAT_VARIABLE, "").strip().lower()
    if chosen == "text":
        return TextFormatter()
    if chosen == "json":
        return JsonFormatter()
    isatty = getattr(stream, "isatty", None)
    return TextFormatter() if callable(isatty) and isatty() else JsonFormatter()


def install(force: bool = False) -> None:
    """Structured logging on the root logger, once. Cheap: no I/O, no client, stdlib only."""
    global _installed
    if _installed and not force:
        return
    with _lock:
        if _installed and not force:
            return
        root = logging.getLogger()
        explicit = bool(os.environ.get(FORMAT_VARIABLE, "").strip())
        ours = [handler for handler in root.handlers if isinstance(handler, _StdoutHandler)]
        plain = [handler for handler in root.handlers if type(handler) is logging.StreamHandler]
        if ours:
            for handler in ours:
                handler.setFormatter(formatter_for(sys.stdout))
        elif not root.handlers:
            handler = _StdoutHandler()
            handler.setFormatter(formatter_for(sys.stdout))
            root.addHandler(handler)
        elif explicit:
            for handler in plain:
                handler.setFormatter(formatter_for(handler.stream))
        for name in APP_LOGGERS:
            app_logger = logging.getLogger(name)
            if app_logger.level == logging.NOTSET:
                app_logger.setLevel(logging.INFO)
        _installed = True
