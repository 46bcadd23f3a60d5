"""A `TokenRepository` held in a dictionary, for tests and single-process demos."""

from dataclasses import replace

from application.ports import TokenRepository
from domain.portal import Portal


class InMemoryTokenRepository(TokenRepository):
    """Portals kept in this process only.

    The store keeps copies, so changing a portal after `save` or `get` leaves the
    stored one as it was until the next `save`, as a database would.
    """

    def __init__(self) -> None:
        self._portals: dict[str, Portal] = {}

    def get(self, member_id: str) -> Portal | None:
        stored = self._portals.get(member_id)
        return None if stored is None else replace(stored)

    def save(self, portal: Portal) -> None:
        self._portals[portal.member_id] = replace(portal)

    def delete(self, member_id: str) -> None:
        self._portals.pop(member_id, None)

    def list(self) -> list[Portal]:
        return [replace(self._portals[key]) for key in sorted(self._portals)]
