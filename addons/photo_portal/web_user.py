"""Portal accounts through web_user's own flows (validate_email,
reset_password), with the portal's mails in the client's language and
links on the configured addresses, never on the request's Host."""
import trytond.config as config
from trytond.pool import PoolMeta

from .translation import LANGUAGES
from .pages import mail_message
from .web import DEFAULT_LANGUAGE, portal_url

VALIDATION_PATH = '/account/verify'
RESET_PATH = '/account/reset/confirm'


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    def get_email_validation_url(self, url=None):
        "[web] email_validation_url, else the portal's page."
        if url is None:
            url = config.get('web', 'email_validation_url',
                default=portal_url(VALIDATION_PATH))
        return super().get_email_validation_url(url)

    def get_email_reset_password_url(self, url=None):
        "[web] reset_password_url, else the portal's page."
        if url is None:
            url = config.get('web', 'reset_password_url',
                default=portal_url(RESET_PATH))
        return super().get_email_reset_password_url(url)

    @classmethod
    def portal_login_panels(cls):
        """Extra fragments for the sign-in and sign-up pages (e.g. other
        ways to sign in): dicts with the 'template' to include (from an
        activated module) and its data."""
        return []

    def portal_account_panels(self):
        "Extra fragments for the Account section of the cabinet."
        return []

    def portal_profile_panels(self):
        """Fragments other modules show in the profile form in place of
        its notification choices (dicts with the 'template' to include and
        its data, as Booking.portal_panels); none: the account's own."""
        return []

    def portal_profile_save(self, form):
        "Save what those fragments asked in the posted profile form."
        pass

    @property
    def mail_language(self):
        """web_user's languages: the client's (chosen at sign-up or in the
        profile), else the one of the page that sent the mail."""
        codes = [lang.code for lang in self.languages]
        return codes[0] if codes and codes[0] in LANGUAGES \
            else DEFAULT_LANGUAGE

    def get_email_validation(self):
        return mail_message('mail_verify.txt', self.mail_language,
            url=self.get_email_validation_url())

    def get_email_reset_password(self):
        return mail_message('mail_reset.txt', self.mail_language,
            url=self.get_email_reset_password_url())

    @classmethod
    def reset_password(cls, users, from_=None):
        """A new link at each request: web_user's sends none while a link
        is valid, so a request made by someone else would keep the owner
        from getting one; the new link also ends the one such a request
        may have leaked."""
        for user in users:
            user.clear_reset_password_token()
        super().reset_password(users, from_=from_)
