"Messages between a client and the photographer of a booking."
from trytond.model import Index, ModelSQL, ModelView, fields


class Message(ModelSQL, ModelView):
    "Chat Message"
    __name__ = 'photo.chat.message'
    booking = fields.Many2One(
        'photo.booking', "Booking", required=True, ondelete='CASCADE')
    author = fields.Selection([
            ('client', "Client"),
            ('photographer', "Photographer"),
            ], "Author", required=True)
    body = fields.Text("Message", required=True)
    seen = fields.Boolean("Seen")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.booking, Index.Range()), (t.id, Index.Range())))
        cls._order.insert(0, ('id', 'ASC'))

    @classmethod
    def default_seen(cls):
        return False
