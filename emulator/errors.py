"""Errors the emulator answers with, one class per outward protocol."""

from __future__ import annotations


class EmulatorError(Exception):
    """Base of every error the emulator raises on purpose."""


class RestError(EmulatorError):
    """A REST error envelope: `{"error": code, "error_description": text}`.

    `code` is often empty: CRM methods answer 400 with only a description.
    """

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def envelope(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


class OAuthError(EmulatorError):
    """An OAuth server error answer (`invalid_grant`, `invalid_client`, ...)."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def envelope(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


class ControlError(EmulatorError):
    """A control API request that cannot be served (unknown portal, bad body)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def unknown_portal(member_id: str) -> ControlError:
    return ControlError(404, f"unknown portal: {member_id}")


# The REST errors below are quoted from the Bitrix24 REST documentation
# (_includes/system-errors.md and the method pages).


def no_auth_found() -> RestError:
    return RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")


def invalid_token() -> RestError:
    # The system-errors page does not list it; this is what portals answer for
    # a token they do not know (the code and text of the REST module).
    return RestError(401, "invalid_token", "Unable to get application by token")


def expired_token() -> RestError:
    return RestError(401, "expired_token", "The access token provided has expired.")


def insufficient_scope() -> RestError:
    return RestError(
        401,
        "insufficient_scope",
        "The request requires higher privileges than provided by the access token",
    )


def method_not_found() -> RestError:
    return RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def crm_error(description: str) -> RestError:
    return RestError(400, "", description)


def argument_error(name: str) -> RestError:
    return RestError(400, "ERROR_ARGUMENT", f"Argument '{name}' is null or empty")
