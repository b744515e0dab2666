"""Stopping a user's push channels (on unlink, calendar change and disconnect); best effort."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from functions.core.models import Link
from functions.google.errors import GoogleError, NotFound
from functions.services.errors import ServiceError
from functions.services.google_clients import calendar_client
from functions.services.token_service import call_with_token
from functions.store import channel_store

log = logging.getLogger(__name__)


def stop_channels(uid: str, links: Iterable[Link]) -> list[str]:
    """Ask Google to stop each link's channel; the channel ids that were attempted."""
    stopped: list[str] = []
    for link in links:
        if not link.channel_id:
            continue
        stopped.append(link.channel_id)
        resource_id = channel_store.resource_id(link.channel_id)
        if not resource_id:
            continue
        channel_id = link.channel_id
        try:
            call_with_token(uid, lambda token, c=channel_id, r=resource_id: calendar_client(token).stop_channel(c, r))
        except NotFound:
            pass
        except (GoogleError, ServiceError) as exc:
            log.warning("could not stop channel %s of %s: %s", channel_id, uid, exc)
    return stopped
