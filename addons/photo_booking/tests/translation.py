"""Checks that a module's catalogue translates every message it raises.

Shared by the modules of the suite (no test here: pytest collects test_*):

    class PhotoPaymentTranslationTestCase(
            MessageTranslationTestMixin, unittest.TestCase):
        module = 'photo_payment'
"""
import importlib
import os
import re
import xml.etree.ElementTree as ET

import polib

PLACEHOLDER = re.compile(r'%\((\w+)\)')


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
    problems = []
    for xml_id, text in sorted(messages(module_dir).items()):
        entry = entries.get(f'model:ir.message,text:{xml_id}')
        if not entry or not entry.msgstr:
            problems.append((xml_id, "not translated"))
        elif 'fuzzy' in entry.flags:
            problems.append((xml_id, "fuzzy"))
        elif entry.msgid != text:
            problems.append((xml_id, "translates another text"))
        elif (sorted(PLACEHOLDER.findall(entry.msgstr))
                != sorted(PLACEHOLDER.findall(text))):
            problems.append((xml_id, "placeholders differ"))
    return problems


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
