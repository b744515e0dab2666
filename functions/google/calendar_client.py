"""The small part of the Calendar API the settings need: the calendar list, stopping channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from functions.core.models import CalendarEntry
from functions.google.calendar_port import calendar_entry
from functions.google.http import GoogleHttp, default_http

CALENDAR_LIST_PAGE_SIZE = 250
MAX_PAGES = 100


@dataclass
class CalendarClient:
    """Calendar v3 calls with one access token."""

    access_token: str
    api_base_url: str
    http: GoogleHttp = field(default_factory=default_http)

    def _url(self, path: str) -> str:
        return f"{self.api_base_url}calendar/v3/{path}"

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}
        return self.http.request("GET", self._url(path), params=params, headers=headers).json()

    def list_calendars(self) -> list[CalendarEntry]:
        """Every calendar of ``users/me/calendarList``, all pages."""
        calendars: list[CalendarEntry] = []
        params: dict[str, Any] = {"maxResults": CALENDAR_LIST_PAGE_SIZE}
        for _ in range(MAX_PAGES):
            page = self._get("users/me/calendarList", params)
            calendars.extend(calendar_entry(item) for item in page.get("items") or [] if item.get("id"))
            token = page.get("nextPageToken")
            if not token:
                break
            params = {"maxResults": CALENDAR_LIST_PAGE_SIZE, "pageToken": token}
        return calendars

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        headers = {"Authorization": f"Bearer {self.access_token}"}
        self.http.request(
            "POST", self._url("channels/stop"), json={"id": channel_id, "resourceId": resource_id}, headers=headers
        )
