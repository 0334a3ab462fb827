"Client reviews of finished shoots."
from trytond.i18n import gettext
from trytond.model import Check, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool

from .exceptions import ReviewError


class Review(ModelSQL, ModelView):
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
    published = fields.Boolean(
        "Published", help="Shown on the photographer's public page.")

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

    @classmethod
    def default_published(cls):
        return True

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
