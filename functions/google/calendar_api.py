"""``GoogleCalendarApi``: the Calendar port over google-api-python-client.

The service is built once per session from the discovery document the library bundles (no network),
parsed once per process. ``client_options.api_endpoint`` points it at ``<GOOGLE_API_BASE_URL>calendar/v3/``
and batches go to ``<GOOGLE_API_BASE_URL>batch/calendar/v3`` explicitly (the library would derive the batch
URL from the document's rootUrl). Every call runs under the RetryPolicy; every library exception becomes
a typed GoogleError (``library_errors``). googleapiclient is imported on first use only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from functions.core import clock
from functions.core.models import CalendarEntry
from functions.google.calendar_port import (
    BatchCall,
    BatchResult,
    DeleteEvent,
    Event,
    EventPage,
    InsertEvent,
    PatchEvent,
    calendar_entry,
)
from functions.google.errors import AuthError, GoogleError, is_retryable
from functions.google.retry import RetryPolicy
from functions.google.session import GoogleSession

MAX_BATCH = 1000  # Google's limit of calls in one batch request
CALENDAR_LIST_PAGE_SIZE = 250
MAX_CALENDAR_LIST_PAGES = 100

_document_lock = threading.Lock()
_document: dict[str, Any] | None = None
_services: dict[str, tuple[Any, Any, Any, Any]] = {}  # api base URL -> service and resources (no session)


def discovery_document() -> dict[str, Any]:
    """The bundled Calendar v3 discovery document, parsed once per process.

    google-api-python-client completes method descriptions in place the first time it builds them
    (idempotently); that is done here once, under a lock, so later builds only read the document.
    """
    global _document
    with _document_lock:
        if _document is None:
            from googleapiclient import discovery_cache
            from googleapiclient.discovery import build_from_document

            document = json.loads(discovery_cache.get_static_doc("calendar", "v3"))
            service = build_from_document(document, http=_Unreachable())
            for resource in (service.events, service.calendarList, service.channels):
                resource()
            _document = document
        return _document


class _Unreachable:
    """The http of the shared services: requests run on their session's http, never on this one."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a shared Calendar service sends nothing itself: execute with the session's http")


class GoogleCalendarApi:
    """The CalendarApi port for one GoogleSession (build one per session and reuse it)."""

    def __init__(
        self,
        session: GoogleSession,
        api_base_url: str | None = None,
        retry: RetryPolicy | None = None,
        batch_size: int = MAX_BATCH,
    ) -> None:
        if api_base_url is None:
            from functions.config import get_settings

            api_base_url = get_settings().google_api_base_url
        base = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        self.session = session
        self.retry = retry or RetryPolicy()
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.batch_uri = base + "batch/calendar/v3"
        self.service, self._events, self._calendar_list, self._channels = _resources(base)

    # ------------------------------------------------------------------ events
    def list_events(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        page_token: str | None = None,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        show_deleted: bool | None = None,
        single_events: bool | None = None,
        max_results: int | None = None,
    ) -> EventPage:
        params = _present(
            calendarId=calendar_id,
            syncToken=sync_token,
            pageToken=page_token,
            timeMin=_rfc3339(time_min),
            timeMax=_rfc3339(time_max),
            showDeleted=show_deleted,
            singleEvents=single_events,
            maxResults=max_results,
        )
        return _page(self._execute(self._events.list(**params)))

    def get_event(self, calendar_id: str, event_id: str) -> Event:
        return self._execute(self._events.get(calendarId=calendar_id, eventId=event_id))

    def insert_event(self, calendar_id: str, event: Event, *, send_updates: str | None = None) -> Event:
        return self._execute(self._request_for(InsertEvent(calendar_id, event, send_updates)))

    def patch_event(
        self,
        calendar_id: str,
        event_id: str,
        patch: Event,
        *,
        etag: str | None = None,
        send_updates: str | None = None,
    ) -> Event:
        return self._execute(self._request_for(PatchEvent(calendar_id, event_id, patch, etag, send_updates)))

    def delete_event(
        self, calendar_id: str, event_id: str, *, etag: str | None = None, send_updates: str | None = None
    ) -> None:
        self._execute(self._request_for(DeleteEvent(calendar_id, event_id, etag, send_updates)))

    def list_instances(
        self,
        calendar_id: str,
        event_id: str,
        *,
        page_token: str | None = None,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        show_deleted: bool | None = None,
        max_results: int | None = None,
    ) -> EventPage:
        params = _present(
            calendarId=calendar_id,
            eventId=event_id,
            pageToken=page_token,
            timeMin=_rfc3339(time_min),
            timeMax=_rfc3339(time_max),
            showDeleted=show_deleted,
            maxResults=max_results,
        )
        return _page(self._execute(self._events.instances(**params)))

    # ------------------------------------------------------------------ push
    def watch_events(
        self,
        calendar_id: str,
        channel_id: str,
        address: str,
        *,
        token: str | None = None,
        ttl_seconds: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"id": channel_id, "type": "web_hook", "address": address}
        if token is not None:
            body["token"] = token
        if ttl_seconds is not None:
            body["params"] = {"ttl": str(int(ttl_seconds))}
        return self._execute(self._events.watch(calendarId=calendar_id, body=body))

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        self._execute(self._channels.stop(body={"id": channel_id, "resourceId": resource_id}))

    # ------------------------------------------------------------------ calendar list
    def list_calendars(self) -> list[CalendarEntry]:
        calendars: list[CalendarEntry] = []
        resource = self._calendar_list
        page_token: str | None = None
        for _ in range(MAX_CALENDAR_LIST_PAGES):
            params = _present(maxResults=CALENDAR_LIST_PAGE_SIZE, pageToken=page_token)
            page = self._execute(resource.list(**params))
            calendars.extend(calendar_entry(item) for item in page.get("items") or [] if item.get("id"))
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        return calendars

    # ------------------------------------------------------------------ batch
    def batch(self, calls: Sequence[BatchCall]) -> list[BatchResult]:
        """One result per call, in order: the event (insert, patch), None (delete) or the typed error.

        At most ``batch_size`` calls a request. Parts failing with a retryable error are sent again under the
        retry policy; parts answering 401 are sent again once after one refresh of the session.
        """
        results: list[BatchResult] = [None] * len(calls)
        for start in range(0, len(calls), self.batch_size):
            self._batch_chunk(calls, list(range(start, min(start + self.batch_size, len(calls)))), results)
        return results

    def _batch_chunk(self, calls: Sequence[BatchCall], pending: list[int], results: list[BatchResult]) -> None:
        refreshed = False
        attempt = 0
        while pending:
            answers = self.retry.call(lambda todo=pending: self._send_batch(calls, todo))
            for index in pending:
                results[index] = answers.get(index)
            attempt += 1
            redo: list[int] = []
            unauthorized = [i for i in pending if isinstance(results[i], AuthError)]
            if unauthorized and not refreshed:
                self.session.refresh()
                refreshed = True
                redo += unauthorized
            failed = [i for i in pending if _retryable(results[i])]
            if failed and attempt < self.retry.max_attempts:
                retry_after = max((w for i in failed if (w := _retry_after(results[i]))), default=None)
                self.retry.sleep(self.retry.backoff(attempt - 1, retry_after))
                redo += failed
            pending = sorted(redo)

    def _send_batch(self, calls: Sequence[BatchCall], indices: list[int]) -> dict[int, BatchResult]:
        from googleapiclient.http import BatchHttpRequest

        from functions.google.library_errors import LIBRARY_ERRORS, typed_error

        answers: dict[int, BatchResult] = {}

        def collect(request_id: str, response: Any, exception: BaseException | None) -> None:
            index = int(request_id)
            if exception is not None:
                answers[index] = typed_error(exception)
            else:
                answers[index] = None if isinstance(calls[index], DeleteEvent) else response

        batch = BatchHttpRequest(callback=collect, batch_uri=self.batch_uri)
        for index in indices:
            batch.add(self._request_for(calls[index]), request_id=str(index))
        try:
            batch.execute(http=self.session.authorized_http())
        except LIBRARY_ERRORS as exc:
            raise typed_error(exc) from exc
        return answers

    # ------------------------------------------------------------------ plumbing
    def _request_for(self, call: BatchCall) -> Any:
        if isinstance(call, InsertEvent):
            params = _present(calendarId=call.calendar_id, sendUpdates=call.send_updates)
            return self._events.insert(body=call.event, **params)
        if isinstance(call, PatchEvent):
            params = _present(calendarId=call.calendar_id, eventId=call.event_id, sendUpdates=call.send_updates)
            return _if_match(self._events.patch(body=call.patch, **params), call.etag)
        params = _present(calendarId=call.calendar_id, eventId=call.event_id, sendUpdates=call.send_updates)
        return _if_match(self._events.delete(**params), call.etag)

    def _execute(self, request: Any) -> Any:
        http = self.session.authorized_http()
        return self.retry.call(lambda: _execute_once(request, http))


def _resources(base: str) -> tuple[Any, Any, Any, Any]:
    """The service and its resources for one endpoint, built once per process and shared by every session.

    Building them from the document costs about 25 ms of CPU (the library writes every method's docstring);
    per user per run that was most of an idle run's time. They hold no session: each request is executed with
    its session's ``http`` (``_execute``, ``batch``); their own http refuses to send, so a request that forgot
    its session fails instead of going out unsigned or as another user.
    """
    with _document_lock:
        found = _services.get(base)
    if found is None:
        from googleapiclient.discovery import build_from_document

        service = build_from_document(discovery_document(), http=_Unreachable(),
                                      client_options={"api_endpoint": base + "calendar/v3/"})
        found = (service, service.events(), service.calendarList(), service.channels())
        with _document_lock:
            found = _services.setdefault(base, found)
    return found


def _execute_once(request: Any, http: Any) -> Any:
    from functions.google.library_errors import LIBRARY_ERRORS, typed_error

    try:
        return request.execute(http=http, num_retries=0)
    except LIBRARY_ERRORS as exc:
        raise typed_error(exc) from exc


def _retryable(result: BatchResult) -> bool:
    return isinstance(result, GoogleError) and is_retryable(result)


def _retry_after(result: BatchResult) -> float | None:
    return result.retry_after if isinstance(result, GoogleError) else None


def _if_match(request: Any, etag: str | None) -> Any:
    if etag:
        request.headers["If-Match"] = etag
    return request


def _present(**params: Any) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


def _rfc3339(value: datetime | str | None) -> str | None:
    if isinstance(value, datetime):
        return clock.isoformat(value)
    return value


def _page(body: dict[str, Any]) -> EventPage:
    return EventPage(
        items=list(body.get("items") or []),
        next_page_token=body.get("nextPageToken"),
        next_sync_token=body.get("nextSyncToken"),
    )
