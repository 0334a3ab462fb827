"Application keys for the staff side of the JSON API."
from trytond.pool import PoolMeta


class UserApplication(metaclass=PoolMeta):
    __name__ = 'res.user.application'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        application = ('photo_booking', "Photo Booking")
        if application not in cls.application.selection:
            cls.application.selection.append(application)
