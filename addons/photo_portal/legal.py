"Legal pages shown on the client portal, edited by the studio manager."
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

PAGES = [
    ('privacy', "Privacy Policy"),
    ('offer', "Public Offer"),
    ('consent', "Consent to Personal Data Processing"),
    ]


# The XML ids that were photo_booking's before the portal was split out.
MOVED_FROM_PHOTO_BOOKING = [
    'legal_page_view_list', 'legal_page_view_form', 'act_legal_page_form',
    'act_legal_page_form_view1', 'act_legal_page_form_view2',
    'menu_legal_page_form', 'access_legal_page',
    'access_legal_page_photo_manager', 'legal_page_privacy',
    'legal_page_offer', 'legal_page_consent',
    'msg_legal_page_code_unique', 'msg_booking_hold_replaced',
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
                'photo_portal.msg_legal_page_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

    @classmethod
    def __register__(cls, module):
        # Migration from photo_booking, where the portal lived until 8.0.1:
        # its records become ours before our XML is read, so neither the
        # pages the studio edited nor the menu are deleted and created anew.
        pool = Pool()
        model_data = pool.get('ir.model.data').__table__()
        ir_model = pool.get('ir.model').__table__()
        ir_field = pool.get('ir.model.field').__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*model_data.update(
                [model_data.module], [module],
                where=(model_data.module == 'photo_booking')
                & model_data.fs_id.in_(MOVED_FROM_PHOTO_BOOKING)))
        for table, name_column in [
                (ir_model, ir_model.name), (ir_field, ir_field.model)]:
            cursor.execute(*table.update([table.module], [module],
                    where=(name_column == cls.__name__)
                    & (table.module == 'photo_booking')))
        super().__register__(module)

    @classmethod
    def get_page(cls, code):
        "The page for code, or None."
        pages = cls.search([('code', '=', code)], limit=1)
        return pages[0] if pages else None

    @property
    def paragraphs(self):
        return [p.strip() for p in (self.body or '').split('\n\n') if p.strip()]
