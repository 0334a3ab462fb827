"""Who may sign in to a portal account through a provider (Google, VK ID,
Yandex ID, Apple), and the sign-ins under way.

Only the provider's subject (its stable id of the person) and the address
it gave are kept: no token, as nothing is asked of the provider after the
sign-in."""
import datetime as dt
import hashlib

from trytond.model import ModelSQL, ModelView, Unique, fields

from trytond.modules.photo_booking.common import utc_now

from . import providers

PROVIDERS = [(name, kind.label) for name, kind in providers.KINDS.items()]
# A started sign-in must come back within this time.
SIGN_IN_TIMEOUT = dt.timedelta(minutes=15)


class Identity(ModelSQL, ModelView):
    "Sign-in Account"
    __name__ = 'photo.oauth.identity'
    __string__ = "Sign-in Account"

    web_user = fields.Many2One(
        'web.user', "Web User", required=True, ondelete='CASCADE')
    provider = fields.Selection(PROVIDERS, "Provider", required=True)
    provider_string = provider.translated('provider')
    subject = fields.Char(
        "Subject", required=True, strip=False,
        help="The provider's id of the person.")
    email = fields.Char("Email", readonly=True,
        help="The address the provider gave when the account was linked.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('provider_subject_unique', Unique(t, t.provider, t.subject),
                'photo_oauth.msg_identity_taken'),
            ('web_user_provider_unique', Unique(t, t.web_user, t.provider),
                'photo_oauth.msg_identity_one_per_provider'),
            ]
        cls._order = [
            ('web_user', 'ASC'), ('provider', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.provider_string}: {self.email or self.subject}'

    @classmethod
    def find(cls, provider, subject):
        "The identity of subject at provider whose account is open."
        identities = cls.search([
                ('provider', '=', provider),
                ('subject', '=', subject),
                ('web_user.active', '=', True),
                ], limit=1)
        return identities[0] if identities else None

    @classmethod
    def link(cls, user, provider, person):
        identity, = cls.create([{
                    'web_user': user.id, 'provider': provider,
                    'subject': person.subject, 'email': person.email}])
        return identity


class SignIn(ModelSQL):
    "Sign-in Under Way"
    # What to check when the provider sends the visitor back (state, nonce,
    # PKCE verifier, the visitor it started for), then who the provider
    # said it was, until the visitor finishes.
    __name__ = 'photo.oauth.sign_in'
    __string__ = "Sign-in Under Way"

    state = fields.Char("State", required=True, strip=False)
    provider = fields.Selection(PROVIDERS, "Provider", required=True)
    nonce = fields.Char("Nonce", required=True, strip=False)
    code_verifier = fields.Char("Code Verifier", required=True, strip=False)
    visitor = fields.Char("Visitor", required=True, strip=False,
        help="A hash of the visitor id of the browser that started it.")
    web_user = fields.Many2One('web.user', "Link To", ondelete='CASCADE',
        help="The signed-in account the provider is to be linked to.")
    expire = fields.Timestamp("Expire", required=True)
    step = fields.Selection([
            ('started', "Started"),
            ('returned', "Returned"),
            ('signup', "Sign-up"),
            ], "Step", required=True)
    subject = fields.Char("Subject", strip=False)
    email = fields.Char("Email")
    email_verified = fields.Boolean("Email Verified")
    name = fields.Char("Name")
    phone = fields.Char("Phone")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('state_unique', Unique(t, t.state),
                'photo_oauth.msg_sign_in_state_unique'),
            ]
        cls.__rpc__ = {}

    @staticmethod
    def visitor_hash(visitor_id):
        return hashlib.sha256(
            f'photo_oauth:{visitor_id}'.encode()).hexdigest()

    @classmethod
    def start(cls, provider, authorization, visitor_id, web_user=None):
        cls.delete(cls.search([('expire', '<', utc_now())]))
        sign_in, = cls.create([{
                    'state': authorization.state, 'provider': provider,
                    'nonce': authorization.nonce,
                    'code_verifier': authorization.code_verifier,
                    'visitor': cls.visitor_hash(visitor_id),
                    'web_user': web_user.id if web_user else None,
                    'expire': utc_now() + SIGN_IN_TIMEOUT,
                    'step': 'started'}])
        return sign_in

    @classmethod
    def take(cls, state, step, provider=None, visitor_id=None, lock=True):
        """The unexpired sign-in of state at step (for provider, started
        by visitor_id), locked (unless lock is False: a read-only page),
        else None."""
        if not state or len(state) > 100:
            return None
        domain = [
            ('state', '=', state),
            ('step', '=', step),
            ('expire', '>=', utc_now()),
            ]
        if provider:
            domain.append(('provider', '=', provider))
        records = cls.search(domain, limit=1)
        if not records:
            return None
        sign_in, = records
        if visitor_id is not None and sign_in.visitor != cls.visitor_hash(
                visitor_id):
            return None
        if not lock:
            return sign_in
        cls.lock([sign_in])
        # Locked: a replay that read it before must find it moved on.
        if cls.search([('id', '=', sign_in.id), ('step', '=', step)]) \
                != [sign_in]:
            return None
        return sign_in

    def returned(self, person):
        self.step = 'returned'
        self.subject = person.subject
        self.email = person.email
        self.email_verified = person.email_verified
        self.name = (person.name or '')[:100]
        self.phone = (person.phone or '')[:20] or None
        self.save()

    @property
    def person(self):
        return providers.Person(self.subject, self.email,
            bool(self.email_verified), self.name or '', self.phone)
