"""A web-widget inbox's own settings in the admin (conversations.registry): its colour and, on a
live inbox, what the widget asks before the first message; checked where they are saved."""

from conversations.registry import SettingField

from .widget import COLOR, PRECHAT_FIELDS

WIDGET_SETTINGS = (
    SettingField("color", "Colour", "The launcher's and the header's, as #rrggbb: #117a65"),
    SettingField(
        "prechat_fields",
        "Ask before the first message",
        "Live inboxes: what the visitor gives before they can write",
        choices=tuple(PRECHAT_FIELDS),
        many=True,
    ),
)


def widget_config_problems(config: dict) -> list[str]:
    problems = []
    color = config.get("color", "")
    if color and not (isinstance(color, str) and COLOR.match(color)):
        problems.append(f"color: {color!r} is not a colour as #rrggbb (#117a65).")
    asked = config.get("prechat_fields", [])
    if not isinstance(asked, list) or not set(asked) <= set(PRECHAT_FIELDS):
        problems.append(f"prechat_fields: a list of {', '.join(PRECHAT_FIELDS)}.")
    return problems
