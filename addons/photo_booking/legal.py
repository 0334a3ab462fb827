"Legal pages shown on the client portal, edited by the studio manager."
from trytond.model import ModelSQL, ModelView, Unique, fields

PAGES = [
    ('privacy', "Privacy Policy"),
    ('offer', "Public Offer"),
    ('consent', "Consent to Personal Data Processing"),
    ]


class LegalPage(ModelSQL, ModelView):
    "Legal Page"
    __name__ = 'photo.legal.page'
    code = fields.Selection(PAGES, "Page", required=True, sort=False)
    title = fields.Char("Title", required=True, translate=True)
    body = fields.Text(
        "Text", required=True, translate=True,
        help="Plain text; a blank line starts a new paragraph.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'photo_booking.msg_legal_page_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

    @classmethod
    def get_page(cls, code):
        "The page for code, or None."
        pages = cls.search([('code', '=', code)], limit=1)
        return pages[0] if pages else None

    @property
    def paragraphs(self):
        return [p.strip() for p in (self.body or '').split('\n\n') if p.strip()]
