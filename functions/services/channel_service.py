"""Stopping a user's push channels (on unlink, calendar change and disconnect); best effort."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from functions.core.models import Link
from functions.google.calendar_port import CalendarApi
from functions.google.errors import GoogleError, InvalidClient, InvalidGrant, NotFound
from functions.services.calendar_access import CalendarAccess
from functions.services.errors import DomainError
from functions.services.ports import Adapters

log = logging.getLogger(__name__)


class ChannelService:
    def __init__(self, adapters: Adapters, access: CalendarAccess) -> None:
        self.stores = adapters.stores
        self.access = access

    def stop_channels(self, uid: str, links: Iterable[Link]) -> list[str]:
        """Ask Google to stop each link's channel; the channel ids that were attempted."""
        with_channel = [lk for lk in links if lk.channel_id]
        known = [(lk.channel_id, self.stores.channels.resource_id(lk.channel_id)) for lk in with_channel]
        to_stop = [(channel_id, resource_id) for channel_id, resource_id in known if resource_id]
        if to_stop:
            try:
                with self.access.calendar(uid) as api:
                    for channel_id, resource_id in to_stop:
                        self._stop(api, uid, channel_id, resource_id)
            except (GoogleError, DomainError) as exc:
                log.warning("could not stop the channels of %s: %s", uid, exc)
        return [lk.channel_id for lk in with_channel if lk.channel_id]

    @staticmethod
    def _stop(api: CalendarApi, uid: str, channel_id: str, resource_id: str) -> None:
        try:
            api.stop_channel(channel_id, resource_id)
        except NotFound:
            pass
        except (InvalidGrant, InvalidClient):
            raise
        except GoogleError as exc:
            log.warning("could not stop channel %s of %s: %s", channel_id, uid, exc)
