"Client reviews of finished shoots."
from sql import Literal

from trytond.i18n import gettext
from trytond.model import Check, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import ReviewError


class Review(Workflow, ModelSQL, ModelView):
    "Photo Review"
    __name__ = 'photo.review'
    booking = fields.Many2One(
        'photo.booking', "Booking", required=True, ondelete='CASCADE',
        domain=[('state', '=', 'done')])
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True, readonly=True,
        ondelete='CASCADE')
    client = fields.Many2One(
        'party.party', "Client", required=True, readonly=True,
        ondelete='CASCADE')
    rating = fields.Integer("Rating", required=True, help="From 1 to 5.")
    comment = fields.Text("Comment")
    state = fields.Selection([
            ('pending', "Pending"),
            ('published', "Published"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False,
        help="Only published reviews are shown on the portal and count in "
        "the photographer's rating; a manager moderates them.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('rating_range', Check(t, (t.rating >= 1) & (t.rating <= 5)),
                'photo_booking.msg_review_rating_range'),
            ('booking_unique', Unique(t, t.booking),
                'photo_booking.msg_review_booking_unique'),
            ]
        cls._order.insert(0, ('create_date', 'DESC'))
        cls._transitions |= {
            ('pending', 'published'), ('pending', 'rejected'),
            ('published', 'rejected'), ('rejected', 'published'),
            }
        cls._buttons.update({
                'publish': {
                    'invisible': Eval('state') == 'published',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') == 'rejected',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        migrate = (table_h.column_exist('published')
            and not table_h.column_exist('state'))
        super().__register__(module)
        if migrate:
            # Reviews went live at once: those shown stay published.
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.state], ['published'],
                    where=table.published == Literal(True)))
            cursor.execute(*table.update([table.state], ['rejected'],
                    where=table.published != Literal(True)))
            table_h.drop_column('published')

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    @ModelView.button
    @Workflow.transition('published')
    def publish(cls, reviews):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, reviews):
        pass

    @fields.depends('booking')
    def on_change_booking(self):
        if self.booking:
            self.photographer = self.booking.photographer
            self.client = self.booking.client

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('booking'):
            booking = Pool().get('photo.booking')(values['booking'])
            values['photographer'] = booking.photographer.id
            values['client'] = booking.client.id
        return values

    @classmethod
    def validate_fields(cls, reviews, field_names):
        super().validate_fields(reviews, field_names)
        if 'booking' in field_names:
            for review in reviews:
                if review.booking.state != 'done':
                    raise ReviewError(
                        gettext('photo_booking.msg_review_not_done'))

    @classmethod
    def leave(cls, booking, client, rating, comment=None):
        "A client reviews their own finished shoot."
        if booking.client != client:
            raise ReviewError(gettext('photo_booking.msg_review_not_client'))
        if booking.state != 'done':
            raise ReviewError(gettext('photo_booking.msg_review_not_done'))
        review = cls(booking=booking, rating=rating, comment=comment)
        review.on_change_booking()
        review.save()
        return review
