"""The one-off upgrade step for ``links.next_poll_at`` (docs/deploy.md, *Upgrading*).

Links saved before ``next_poll_at`` existed have none, so the scheduled import's query never finds them.
``python -m functions.admin_cli backfill-poll`` pages through every user's links (collection group) and
gives each link without one the value of the poll rule (``core.poll_rules``: due now without a live
channel, the safety net with one; none for import off, paused, or a user who is not connected). Each
write is a transaction that writes ``next_poll_at`` alone and only where the link still has none, so a
save racing with it wins and nothing else on the link changes. Running it again writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from functions.core.models import CONNECTED, Link
from functions.core.poll_rules import next_poll_at
from functions.services.ports import Adapters

log = logging.getLogger(__name__)

PAGE_SIZE = 300  # links read per page


@dataclass
class BackfillReport:
    """What one backfill run found and did."""

    links: int = 0  # links read
    written: int = 0  # links given a next_poll_at
    already_set: int = 0  # links that had one
    not_polled: int = 0  # links the rule leaves without one (import off, paused, user not connected)
    raced: int = 0  # links that got a value (or vanished) between the read and the write

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


class PollBackfillService:
    def __init__(self, adapters: Adapters) -> None:
        self.stores = adapters.stores
        self.now = adapters.now

    def run(self, dry_run: bool = False, page_size: int = PAGE_SIZE) -> BackfillReport:
        """Every link without ``next_poll_at`` gets the poll rule's value (``dry_run``: counted, not written)."""
        report = BackfillReport()
        connected: dict[str, bool] = {}
        cursor: str | None = None
        while True:
            page, cursor = self.stores.links.page_links(cursor, page_size)
            for uid, link in page:
                report.links += 1
                if link.next_poll_at is not None:
                    report.already_set += 1
                    continue
                if uid not in connected:
                    user = self.stores.users.get_user(uid)
                    connected[uid] = user is not None and user.connection.status == CONNECTED
                self._fill(uid, link, connected[uid], dry_run, report)
            if cursor is None:
                return report

    def _fill(self, uid: str, link: Link, connected: bool, dry_run: bool, report: BackfillReport) -> None:
        if next_poll_at(link, self.now(), connected) is None:
            report.not_polled += 1
            return
        if dry_run:
            report.written += 1
            return
        written = self.stores.links.backfill_poll(
            uid, link.activity_type, lambda current: next_poll_at(current, self.now(), connected))
        if written is None:
            report.raced += 1
        else:
            report.written += 1
            log.info("next_poll_at of %s's link %r set to %s", uid, link.activity_type, written.isoformat())
