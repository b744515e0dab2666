"""The client libraries' exceptions as our typed GoogleErrors.

Imports google-api-python-client, google-auth and httplib2: import this module only inside
functions (it is loaded when a call fails or a session refreshes, never at cold start).
"""

from __future__ import annotations

import http.client

import google.auth.exceptions
import httplib2
from googleapiclient.errors import HttpError

from functions.google.errors import (
    GoogleError,
    TransportError,
    error_from_http_error,
    error_from_refresh_error,
)

# Everything a call through google-api-python-client / google-auth may raise that is Google's (or the
# network's) doing; anything else is a bug and propagates untouched.
LIBRARY_ERRORS: tuple[type[BaseException], ...] = (
    HttpError,
    google.auth.exceptions.RefreshError,
    google.auth.exceptions.TransportError,
    httplib2.HttpLib2Error,
    http.client.HTTPException,
    OSError,  # connection refused, timeouts (socket.timeout is an OSError)
)


def typed_error(exc: BaseException) -> GoogleError:
    """The GoogleError for one of ``LIBRARY_ERRORS``."""
    if isinstance(exc, HttpError):
        return error_from_http_error(exc)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return error_from_refresh_error(exc)
    return TransportError(f"could not reach Google ({type(exc).__name__}): {exc}")
