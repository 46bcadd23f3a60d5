"""The root of the service's error tree and the errors of the domain rules.

Every error the service raises on purpose derives from `B24NamesError`, so the web
layer and the command line can map the whole tree to answers in one table.
"""


class B24NamesError(Exception):
    """Base of every error the service raises on purpose."""


class DomainError(B24NamesError):
    """A domain rule was broken by the caller."""


class PortalNotActive(DomainError):
    """An operation needs an installed portal but the portal was uninstalled."""


class ApplicationTokenAlreadySet(DomainError):
    """A portal's application token is pinned once; only an update replaces it."""
