"""Who a Telegram chat is: the links between chats and people, kept where
photo_notify reads them — `party.party.telegram_chat` (clients),
`photo.photographer.telegram_chat` (photographers) and, for other staff, a
Telegram `photo.notification.preference` whose address is the chat."""
import datetime as dt
from dataclasses import dataclass

import trytond.config as config
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking.common import utc_now

from . import link
from .exceptions import LinkError

SECTION = 'photo_telegram'


@dataclass
class Person:
    "What the bot knows of a chat (ids only: kept between transactions)."
    chat: str
    language: str = 'en'
    party: int = None               # the client
    photographer: int = None
    user: int = None                # the staff user
    web_user: int = None

    @property
    def linked(self):
        return bool(self.party or self.photographer or self.user)

    @property
    def staff(self):
        return bool(self.photographer or self.user)


def language_of(code):
    "The catalogue language of a Telegram language_code (ru or en)."
    return 'ru' if (code or '').lower().startswith('ru') else 'en'


def _lang_code(lang, fallback):
    return language_of(lang.code) if lang else fallback


def who(chat, telegram_language=None):
    "The Person of chat (a str or int chat id)."
    pool = Pool()
    Party = pool.get('party.party')
    Photographer = pool.get('photo.photographer')
    Preference = pool.get('photo.notification.preference')
    WebUser = pool.get('web.user')
    chat = str(chat)
    person = Person(chat, language_of(telegram_language))
    photographers = Photographer.search(
        [('telegram_chat', '=', chat)], limit=1)
    if photographers:
        photographer, = photographers
        person.photographer = photographer.id
        if photographer.user:
            person.user = photographer.user.id
    else:
        preferences = Preference.search([
                ('channel', '=', 'telegram'), ('address', '=', chat),
                ('user.active', '=', True)], limit=1)
        if preferences:
            person.user = preferences[0].user.id
    if person.user:
        user = pool.get('res.user')(person.user)
        person.language = _lang_code(user.language, person.language)
    parties = Party.search([('telegram_chat', '=', chat)], limit=1)
    if parties:
        party, = parties
        person.party = party.id
        if not person.user:
            person.language = _lang_code(party.lang, person.language)
        web_users = WebUser.search([('party', '=', party.id)], limit=1)
        person.web_user = web_users[0].id if web_users else None
    return person


# --- tokens ----------------------------------------------------------------

def _user_chat(user):
    "The chat a staff user is linked to, or None."
    pool = Pool()
    Photographer = pool.get('photo.photographer')
    Preference = pool.get('photo.notification.preference')
    photographers = Photographer.search([('user', '=', user.id)], limit=1)
    if photographers:
        return photographers[0].telegram_chat
    preferences = Preference.search([
            ('user', '=', user.id), ('channel', '=', 'telegram'),
            ('address', '!=', None)], limit=1)
    return preferences[0].address if preferences else None


def _state(kind, record):
    return (record.telegram_chat if kind == 'party'
        else _user_chat(record))


def link_lifetime(kind):
    "How long a deep link works: clients' days, staff's minutes."
    if kind == 'party':
        return dt.timedelta(days=config.getint(
                SECTION, 'client_link_days', default=14))
    return dt.timedelta(minutes=config.getint(
            SECTION, 'staff_link_minutes', default=60))


def token_of(record, now=None):
    "The deep-link token of a party (a client) or a res.user (staff)."
    kind = 'party' if record.__name__ == 'party.party' else 'user'
    expires = (now or utc_now()) + link_lifetime(kind)
    return link.make_token(kind, record.id, expires, _state(kind, record))


def start_url(record, now=None):
    "https://t.me/<bot>?start=<token> for record, or None without a bot."
    username = config.get(SECTION, 'bot_username')
    if not username:
        return None
    return link.start_link(username, token_of(record, now))


def link_token(chat, token, now=None):
    """Link chat to whom token names; LinkError with the reason if the
    token is malformed, forged, used or expired."""
    pool = Pool()
    now = now or utc_now()
    try:
        kind, id_ = link.read_token(token)
        Model = pool.get('party.party' if kind == 'party' else 'res.user')
        records = Model.search([('id', '=', id_)], limit=1)
        if not records:
            raise link.InvalidToken(token)
        record, = records
        link.check_token(token, _state(kind, record), now)
    except link.ExpiredToken:
        raise LinkError(gettext('photo_telegram.msg_link_expired'))
    except link.InvalidToken:
        raise LinkError(gettext('photo_telegram.msg_link_invalid'))
    if kind == 'party':
        link_party(record, chat)
    else:
        link_user(record, chat)
    return kind


def link_party(party, chat):
    "Link chat to the client party (the chat leaves any other party)."
    Party = Pool().get('party.party')
    chat = str(chat)
    others = Party.search([('telegram_chat', '=', chat),
            ('id', '!=', party.id)])
    if others:
        Party.write(others, {'telegram_chat': None})
    Party.write([party], {'telegram_chat': chat})


def link_user(user, chat):
    """Link chat to a staff user: their photographer's chat, else a Telegram
    notification channel of theirs; Telegram becomes their first channel
    (e-mail after it) if they had chosen none."""
    pool = Pool()
    Photographer = pool.get('photo.photographer')
    Preference = pool.get('photo.notification.preference')
    chat = str(chat)
    unlink_staff(chat)
    photographers = Photographer.search([('user', '=', user.id)], limit=1)
    preferences = Preference.search([('user', '=', user.id)])
    telegram = [p for p in preferences if p.channel == 'telegram']
    address = None
    if photographers:
        Photographer.write(photographers, {'telegram_chat': chat})
    else:
        address = chat
    if telegram:
        Preference.write(telegram, {'address': address, 'active': True})
    else:
        Preference.create([{'user': user.id, 'channel': 'telegram',
                    'address': address, 'sequence': 0}]
            + ([] if preferences else [{'user': user.id, 'channel': 'email',
                        'sequence': 1}]))


def link_contact(chat, name, phone, telegram_language=None):
    """A new person who shared their own phone: a guest client party with
    that phone, linked to chat."""
    pool = Pool()
    Party = pool.get('party.party')
    Lang = pool.get('ir.lang')
    langs = Lang.search(
        [('code', '=', language_of(telegram_language))], limit=1)
    party, = Party.create([{
                'name': (name or phone)[:100],
                'photo_guest': True,
                'lang': langs[0].id if langs else None,
                'contact_mechanisms': [('create', [{
                                'type': 'mobile', 'value': phone}])],
                }])
    link_party(party, chat)
    return party


def unlink_staff(chat):
    pool = Pool()
    Photographer = pool.get('photo.photographer')
    Preference = pool.get('photo.notification.preference')
    chat = str(chat)
    Photographer.write(
        Photographer.search([('telegram_chat', '=', chat)]),
        {'telegram_chat': None})
    Preference.delete(Preference.search([
                ('channel', '=', 'telegram'), ('address', '=', chat)]))


def unlink(chat):
    "Forget every link of chat (the person wrote /unlink)."
    Party = Pool().get('party.party')
    chat = str(chat)
    Party.write(Party.search([('telegram_chat', '=', chat)]),
        {'telegram_chat': None})
    unlink_staff(chat)


def unlink_user(user):
    "Unlink a staff user's chat (from their preferences)."
    chat = _user_chat(user)
    if chat:
        unlink_staff(chat)


def in_language(person):
    "A context manager: texts in the person's language."
    return Transaction().set_context(language=person.language)
