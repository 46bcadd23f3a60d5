"""The HTML the service shows inside Bitrix24's frame.

Every value that comes from a portal is escaped; no token is ever rendered.
"""

from html import escape

from application.page import PortalView
from domain.names import NameField

#: Bitrix24's JavaScript library, which the frame needs for `BX24.installFinish()`.
BX24_SCRIPT = '<script src="//api.bitrix24.com/api/v1/"></script>'

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tidy contact names</title>
{head}
</head>
<body>
<h1>Tidy contact names</h1>
{body}
</body>
</html>
"""

_ABOUT = (
    "<p>When a CRM contact is added or changed, this app formats its first name, "
    "middle name and last name the way a careful person writes them "
    "(<code>JOHN smith</code> becomes <code>John Smith</code>, "
    "<code>иванов</code> becomes <code>Иванов</code>) and saves only the fields "
    "that changed.</p>"
)


def install_finished(domain: str) -> str:
    """The install page: tells Bitrix24 the install is complete."""
    body = (
        f"<p>Installed on {escape(domain)}. New and changed contacts will now get "
        "tidy names.</p>\n"
        "<script>BX24.init(function () { BX24.installFinish(); });</script>"
    )
    return _PAGE.format(head=BX24_SCRIPT, body=body)


def error_page(message: str) -> str:
    """What a person sees in the frame when a request of theirs is refused."""
    body = f"<p>That did not work: {escape(message)}</p>"
    return _PAGE.format(head="", body=body)


def app_page(view: PortalView | None, form_token: str = "", notice: str = "") -> str:
    """The app's main page; the portal's state and settings only with `view`."""
    if view is None:
        return _PAGE.format(head="", body=_ABOUT)

    parts = [_ABOUT]
    if notice:
        parts.append(f"<p><strong>{escape(notice)}</strong></p>")
    parts.append(_state_table(view))
    if view.can_change_settings and form_token:
        parts.append(_settings_form(view, form_token))
    else:
        parts.append("<p>The portal's administrators can change these settings.</p>")
    return _PAGE.format(head="", body="\n".join(parts))


def _state_table(view: PortalView) -> str:
    fields = ", ".join(field.value for field in view.fields) or "none"
    state = "on" if view.formatting_enabled and view.active else "off"
    rows = (
        ("Portal", view.domain),
        ("Formatting", state),
        ("Fields formatted", fields),
        ("Name language", view.name_language),
        ("Installed", view.installed_at.isoformat(timespec="seconds")),
    )
    cells = "\n".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
        for label, value in rows
    )
    return f"<table>\n{cells}\n</table>"


def _settings_form(view: PortalView, form_token: str) -> str:
    def checked(on: bool) -> str:
        return " checked" if on else ""

    boxes = "\n".join(
        f'<label><input type="checkbox" name="fields[]" value="{field.value}"'
        f"{checked(field in view.fields)}> {field.value} name</label>"
        for field in NameField
    )
    language = escape(view.language_override or "")
    return (
        '<form method="post" action="settings">\n'
        f'<input type="hidden" name="member_id" value="{escape(view.member_id)}">\n'
        f'<input type="hidden" name="form_token" value="{escape(form_token)}">\n'
        f'<label><input type="checkbox" name="enabled" value="Y"'
        f"{checked(view.formatting_enabled)}> Format names</label>\n"
        f"{boxes}\n"
        "<label>Language of the rules (empty: the portal's) "
        f'<input type="text" name="language" value="{language}" maxlength="20">'
        "</label>\n"
        '<button type="submit">Save</button>\n</form>'
    )
