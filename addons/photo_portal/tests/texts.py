"""Checks that a module's portal catalogue translates its pages' texts.

Shared by the modules with portal pages (no test here: pytest collects
test_*):

    class PhotoPaymentPageTextsTestCase(
            PageTextsTestMixin, unittest.TestCase):
        module = 'photo_payment'
"""
import importlib
import os

import polib
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from trytond.modules.photo_booking.tests.translation import (
    catalogue_problems)
from trytond.modules.photo_portal.translation import (
    BABEL_KEYWORDS, DOMAIN)


def page_texts(module_dir):
    """{English text} of what the module's babel.cfg extracts from its
    Python and templates, as scripts/portal-texts does."""
    with open(os.path.join(module_dir, 'babel.cfg')) as f:
        method_map, options_map = parse_mapping_cfg(f)
    texts = set()
    for _name, _line, message, _comments, _context in extract_from_dir(
            module_dir, method_map, options_map, keywords=BABEL_KEYWORDS):
        texts.update([message] if isinstance(message, str) else message)
    return texts


def page_text_problems(module_dir, language):
    """[(text, problem)] of locale/<language>/LC_MESSAGES/portal.po against
    the texts of the module's pages: missing or empty, fuzzy, or with other
    placeholders than the English text."""
    catalogue = polib.pofile(os.path.join(
            module_dir, 'locale', language, 'LC_MESSAGES', DOMAIN + '.po'))
    entries = {e.msgid: e for e in catalogue if not e.obsolete}
    return catalogue_problems(
        entries, {text: (text, text) for text in page_texts(module_dir)})


class PageTextsTestMixin:
    "Every text of the module's portal pages is translated."
    module = None
    languages = ('ru',)

    def test_page_texts_translated(self):
        "Every page text is translated, with the English text's placeholders"
        module_dir = os.path.dirname(importlib.import_module(
                f'trytond.modules.{self.module}').__file__)
        self.assertGreater(len(page_texts(module_dir)), 10)
        for language in self.languages:
            with self.subTest(language=language):
                self.assertEqual(
                    page_text_problems(module_dir, language), [])
