"""A `TokenRepository` held in a dictionary, for tests and single-process demos."""

import threading
from dataclasses import replace

from application.ports import TokenRepository
from domain.portal import Portal


class InMemoryTokenRepository(TokenRepository):
    """Portals kept in this process only; safe to share between threads.

    The store keeps copies, so changing a portal after `save` or `get` leaves the
    stored one as it was until the next `save`, as a database would.
    """

    def __init__(self) -> None:
        self._portals: dict[str, Portal] = {}
        self._lock = threading.Lock()

    def get(self, member_id: str) -> Portal | None:
        with self._lock:
            stored = self._portals.get(member_id)

        return None if stored is None else replace(stored)

    def save(self, portal: Portal) -> None:
        with self._lock:
            self._portals[portal.member_id] = replace(portal)

    def save_if_refresh_token(self, portal: Portal, expected: str) -> bool:
        with self._lock:
            stored = self._portals.get(portal.member_id)
            if stored is None or stored.refresh_token != expected:
                return False

            self._portals[portal.member_id] = replace(portal)
            return True

    def delete(self, member_id: str) -> None:
        with self._lock:
            self._portals.pop(member_id, None)

    def list(self) -> list[Portal]:
        with self._lock:
            stored = [self._portals[key] for key in sorted(self._portals)]

        return [replace(portal) for portal in stored]
