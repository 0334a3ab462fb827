"""What the bot says: a text with inline buttons (callback data or URLs),
made inside a transaction and sent by the handlers outside it."""
from dataclasses import dataclass, field

from trytond.i18n import gettext


@dataclass
class Button:
    label: str
    data: str = None        # callback data, at most 64 bytes
    url: str = None

    def __post_init__(self):
        assert self.data is None or len(self.data.encode()) <= 64


@dataclass
class Reply:
    text: str
    buttons: list = field(default_factory=list)    # rows of Buttons
    ask_contact: str = None     # label of a "share my phone" keyboard
    ask_location: str = None    # label of a "share my location" keyboard
    remove_keyboard: bool = False
    state: object = None        # the dialogue's next state, if it decides
    alert: bool = False         # a callback's answer as an alert


def _(message_id, **values):
    return gettext(f'photo_telegram.{message_id}', **values)


def rows(buttons, width):
    "buttons laid out width per row."
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]
