"""The portal pages' own texts: a gettext catalogue per module.

English is the source. A module with portal pages ships its Russian in
locale/<lang>/LC_MESSAGES/portal.po, extracted by Babel from its Python
(`_()`, `N_()`) and templates (see README: scripts/portal-texts); the
portal merges the catalogues of the modules activated in the database it
serves. The .po files are read directly (compiled in memory once per
process): no .mo file to build or commit.

Model texts (service names, selection labels, messages), month and day
names, numbers and money come from Tryton (locale/<lang>.po, ir.lang).
"""
import functools
import importlib.util
import io
import os

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ('ru', 'en')
DOMAIN = 'portal'
BABEL_KEYWORDS = {'_': None, 'N_': None}   # pybabel -k _ -k N_


def N_(text):
    "Mark text for extraction; it is translated where it is shown."
    return text


# Time zones by the name people use; others by their city.
ZONE_NAMES = {
    'Europe/Moscow': N_("Moscow time"),
    'Europe/Kaliningrad': N_("Kaliningrad time"),
    'Europe/Samara': N_("Samara time"),
    'Asia/Yekaterinburg': N_("Yekaterinburg time"),
    'Asia/Omsk': N_("Omsk time"),
    'Asia/Novosibirsk': N_("Novosibirsk time"),
    'Asia/Krasnoyarsk': N_("Krasnoyarsk time"),
    'Asia/Irkutsk': N_("Irkutsk time"),
    'Asia/Vladivostok': N_("Vladivostok time"),
    'Europe/Berlin': N_("Berlin time"),
    'UTC': "UTC",
    }


def module_folder(module):
    "The folder of trytond.modules.<module>, or None if not installed."
    try:
        spec = importlib.util.find_spec(f'trytond.modules.{module}')
    except ImportError:
        return None
    if not spec or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def catalogue_path(module, lang):
    folder = module_folder(module)
    if folder:
        return os.path.join(
            folder, 'locale', lang, 'LC_MESSAGES', DOMAIN + '.po')


@functools.cache
def translations(lang, modules=('photo_portal',)):
    """The texts of lang: the catalogues of modules, later ones adding to
    (and overriding) earlier ones; fuzzy entries are left out."""
    catalog = Catalog(locale=lang if lang in LANGUAGES else None,
        domain=DOMAIN)
    for module in modules:
        path = catalogue_path(module, lang)
        if not path or not os.path.exists(path):
            continue
        with open(path, 'rb') as f:
            for message in read_po(f, locale=lang, domain=DOMAIN):
                if message.id and message.string and not message.fuzzy:
                    catalog[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(texts, text, **values):
    "text in the language of texts (a Translations), with its values."
    text = texts.gettext(text)
    return text % values if values else text


def zone_name(texts, tz_name):
    "The time zone as people call it: 'Москва', 'Moscow time'."
    name = ZONE_NAMES.get(tz_name)
    if name is None:
        return tz_name.rsplit('/', 1)[-1].replace('_', ' ')
    return texts.gettext(name)
