"""Checks that a module's catalogue translates what it shows.

Shared by the modules of the suite (no test here: pytest collects test_*):

    class PhotoPaymentTranslationTestCase(
            MessageTranslationTestMixin, unittest.TestCase):
        module = 'photo_payment'

    class PhotoPaymentTestCase(
            CatalogueTranslationTestMixin, ModuleTestCase):
        module = 'photo_payment'
"""
import importlib
import os
import re
import xml.etree.ElementTree as ET

import polib

from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

# Named values and literal percent signs: a translation with others would
# fail when formatted, or show a stray sign.
PLACEHOLDER = re.compile(r'%\(\w+\)\w|%%')


def messages(module_dir):
    "{xml id: text} of the ir.message records of the module's message.xml."
    root = ET.parse(os.path.join(module_dir, 'message.xml')).getroot()
    return {
        record.get('id'): record.findtext("field[@name='text']")
        for record in root.iter('record')
        if record.get('model') == 'ir.message'}


def message_problems(module_dir, language):
    """[(message id, problem)] of locale/<language>.po against message.xml:
    missing or empty, fuzzy, made for another English text, or with other
    placeholders than the English text (gettext would then fail)."""
    catalogue = polib.pofile(
        os.path.join(module_dir, 'locale', f'{language}.po'))
    entries = {e.msgctxt: e for e in catalogue if not e.obsolete}
    return catalogue_problems(entries, {
            xml_id: (f'model:ir.message,text:{xml_id}', text)
            for xml_id, text in messages(module_dir).items()})


def catalogue_problems(entries, texts):
    """[(name, problem)] of texts ({name: (key of its entry, English
    text)}) against entries ({key: polib entry}), by name."""
    problems = []
    for name, (key, text) in sorted(texts.items()):
        problem = entry_problem(entries.get(key), text)
        if problem:
            problems.append((name, problem))
    return problems


def forms(entry):
    """The translations of a polib entry: [msgstr], or a plural's (ngettext)
    forms when all are there; [] when untranslated."""
    if entry.msgid_plural:
        plural = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
        return plural if plural and all(plural) else []
    return [entry.msgstr] if entry.msgstr else []


def entry_problem(entry, text):
    """What is wrong with the .po entry (a polib one, or None) that should
    translate text, or None."""
    if not entry or not forms(entry):
        return "not translated"
    elif 'fuzzy' in entry.flags:
        return "fuzzy"
    elif entry.msgid != text:
        return "translates another text"
    elif any(sorted(PLACEHOLDER.findall(form))
            != sorted(PLACEHOLDER.findall(text)) for form in forms(entry)):
        return "placeholders differ"


class MessageTranslationTestMixin:
    "Every message of the module's message.xml is translated."
    module = None
    languages = ('ru',)

    def test_messages_translated(self):
        "Every message is translated, with the English text's placeholders"
        module_dir = os.path.dirname(importlib.import_module(
                f'trytond.modules.{self.module}').__file__)
        for language in self.languages:
            with self.subTest(language=language):
                self.assertEqual(message_problems(module_dir, language), [])


def untranslated(module, language):
    """[(msgctxt, msgid)] of what trytond exports of module for language
    (field, selection, view, menu, report and message strings) that
    locale/<language>.po leaves untranslated, as trytond-admin
    --export-translations sees it. Inside a transaction on a database
    where module is activated."""
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    TranslationSet = pool.get('ir.translation.set', type='wizard')
    TranslationUpdate = pool.get('ir.translation.update', type='wizard')
    session_id, _, _ = TranslationSet.create()
    TranslationSet.execute(session_id, {}, 'set_')
    lang, = Lang.search([('code', '=', language)])
    session_id, _, _ = TranslationUpdate.create()
    TranslationUpdate.execute(
        session_id, {'start': {'language': lang.id}}, 'update')
    exported = polib.pofile(
        Translation.translation_export(language, module).decode())
    module_dir = os.path.dirname(importlib.import_module(
            f'trytond.modules.{module}').__file__)
    translated = {(e.msgctxt, e.msgid)
        for e in polib.pofile(
            os.path.join(module_dir, 'locale', f'{language}.po'))
        if forms(e) and not e.obsolete and 'fuzzy' not in e.flags}
    return [(e.msgctxt, e.msgid) for e in exported
        if (e.msgctxt, e.msgid) not in translated]


class CatalogueTranslationTestMixin:
    "Every string the module shows is translated (for a ModuleTestCase)."
    languages = ('ru',)

    @with_transaction()
    def test_catalogue_translated(self):
        "Every field, view, menu and message string has its translation"
        if backend.name != 'sqlite':
            # What the catalogue holds does not depend on the database:
            # ./scripts/test checks it once, on SQLite (seconds a module).
            self.skipTest("checked on SQLite")
        for language in self.languages:
            with self.subTest(language=language):
                self.assertEqual(untranslated(self.module, language), [])
