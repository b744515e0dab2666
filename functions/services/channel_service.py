"""Stopping a user's push channels (on unlink, calendar change and disconnect); best effort."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from functions.core.models import Link
from functions.google.errors import GoogleError, NotFound
from functions.services.errors import DomainError
from functions.services.ports import Adapters
from functions.services.token_service import TokenService

log = logging.getLogger(__name__)


class ChannelService:
    def __init__(self, adapters: Adapters, tokens: TokenService) -> None:
        self.stores = adapters.stores
        self.google = adapters.google
        self.tokens = tokens

    def stop_channels(self, uid: str, links: Iterable[Link]) -> list[str]:
        """Ask Google to stop each link's channel; the channel ids that were attempted."""
        stopped: list[str] = []
        for link in links:
            if not link.channel_id:
                continue
            channel_id = link.channel_id
            stopped.append(channel_id)
            resource_id = self.stores.channels.resource_id(channel_id)
            if not resource_id:
                continue
            try:
                self.tokens.call_with_token(
                    uid, lambda token, c=channel_id, r=resource_id: self.google.calendar(token).stop_channel(c, r)
                )
            except NotFound:
                pass
            except (GoogleError, DomainError) as exc:
                log.warning("could not stop channel %s of %s: %s", channel_id, uid, exc)
        return stopped
