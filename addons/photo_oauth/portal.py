"""The portal's sign-in with Google, VK ID, Yandex ID and Apple, and the
cabinet's linked accounts.

photo_portal knows nothing of providers: its sign-in, sign-up and cabinet
pages include the fragments web.user's portal_login_panels and
portal_account_panels name (user.py here answers them), and the pages
below are added with photo_portal's own route decorator:

- /account/oauth/<provider>: starts a sign-in (a new state, nonce and PKCE
  verifier kept server-side in photo.oauth.sign_in, bound to the visitor)
  and sends the visitor to the provider;
- /account/oauth/<provider>/link (signed in): the same, to link the
  provider to the account;
- /account/oauth/<provider>/callback (GET, or POST for Apple's form_post):
  the provider's answer; the state is used once, the code exchanged and
  what came back verified (providers.py), then on to
- /account/oauth/finish: in the browser that started it (Apple's form post
  comes without its SameSite cookies: the visitor is checked here), signs
  in, links by a verified address, or goes to
- /account/oauth/signup: a new account, with the consent the sign-up asks;
- /account/oauth/<provider>/unlink (POST, signed in).
"""
import logging
from urllib.parse import urlsplit

import trytond.config as config
from trytond.protocols.wrappers import HTTPStatus, exceptions

from trytond.modules.photo_portal.account import attach_guest_bookings
from trytond.modules.photo_portal.book import validate_contact
from trytond.modules.photo_portal.pages import require_user
from trytond.modules.photo_portal.translation import N_
from trytond.modules.photo_portal.web import (
    BadInput, check_rate, error_page, portal_url, redirect_to, render, route)

from . import providers

logger = logging.getLogger(__name__)
SECTION = 'photo_oauth'
# Sign-ins started per address ([photo_booking] rate_limit_oauth).
RATE_LIMIT = '30/600'
# The providers' names as the pages write them (providers.KINDS' labels).
LABELS = [N_("Google"), N_("VK ID"), N_("Yandex ID"), N_("Apple")]


def provider_config(name):
    """The provider name as [photo_oauth] configures it, or None when it has
    no client id (then it is not offered)."""
    kind = providers.KINDS.get(name)
    if not kind:
        return None

    def get(key, default=None):
        return config.get(SECTION, f'{name}_{key}', default=default)
    client_id = get('client_id')
    if not client_id:
        return None
    apple_key = None
    if name == 'apple':
        private_key = (get('private_key') or '').replace('\\n', '\n')
        if not (get('team_id') and get('key_id') and private_key):
            logger.warning("Apple sign-in needs apple_team_id, apple_key_id "
                "and apple_private_key")
            return None
        apple_key = providers.AppleKey(
            get('team_id'), get('key_id'), private_key)
        _warn_without_cors(get('discovery_url') or kind.discovery_url)
    return providers.Provider(
        name=name, kind=kind, client_id=client_id,
        client_secret=get('client_secret'),
        discovery_url=get('discovery_url'),
        authorize_url=get('authorize_url'), token_url=get('token_url'),
        userinfo_url=get('userinfo_url'), apple_key=apple_key,
        trust_email=config.getboolean(
            SECTION, f'{name}_trust_email', default=False))


def _warn_without_cors(discovery_url):
    """Apple posts its answer from its own origin (form_post), which trytond
    refuses (403) unless `[web] cors` lists it."""
    parts = urlsplit(discovery_url)
    origin = f'{parts.scheme}://{parts.netloc}'
    if origin not in config.get('web', 'cors', default='').split():
        logger.warning("Apple sign-in needs %s in [web] cors", origin)


def configured_providers():
    "The configured providers, in the order they are offered."
    return [p for p in map(provider_config, providers.KINDS) if p]


def callback_url(name):
    "On the portal's configured address, never the request's Host."
    return portal_url(f'/account/oauth/{name}/callback')


def _provider(pool, name):
    "The configured provider name where photo_oauth is activated, else 404."
    try:
        pool.get('photo.oauth.identity')
    except KeyError:
        raise exceptions.NotFound()
    provider = provider_config(name)
    if not provider:
        raise exceptions.NotFound()
    return provider


def label(visit, provider):
    "The provider's name in the visitor's language (Яндекс ID)."
    return visit.gettext(provider.label)


def _failed(visit, provider):
    _ = visit.gettext
    return BadInput(_("Signing in with %(provider)s did not work. "
            "Please try again.", provider=label(visit, provider)),
        back='/account/login')


def _start(visit, pool, name, web_user=None):
    SignIn = pool.get('photo.oauth.sign_in')
    provider = _provider(pool, name)
    check_rate(visit, 'oauth', RATE_LIMIT)
    try:
        authorization = providers.authorize(provider, callback_url(name))
    except providers.SignInError as e:
        logger.warning("%s sign-in not started: %s", name, e.reason)
        raise _failed(visit, provider)
    SignIn.start(name, authorization, visit.sid, web_user=web_user)
    return redirect_to(authorization.url)


@route('/account/oauth/<name>', readonly=False)
def start(visit, pool, name):
    return _start(visit, pool, name)


@route('/account/oauth/<name>/link', readonly=False)
def link(visit, pool, name):
    """A link, not a form: the pages' CSP (form-action 'self') would stop
    a form's redirect to the provider. Started by someone else, it can only
    link the visitor's own account at the provider to their own here."""
    require_user(visit)
    return _start(visit, pool, name, web_user=visit.user)


def _callback(visit, pool, name, params):
    SignIn = pool.get('photo.oauth.sign_in')
    _ = visit.gettext
    provider = _provider(pool, name)
    state = params.get('state') or ''
    sign_in = SignIn.take(state, 'started', provider=name)
    if not sign_in:
        # Unknown, expired or already used (a replayed answer).
        raise BadInput(_("This sign-in has expired or was already used. "
                "Please start again."), back='/account/login')
    try:
        person = providers.finish(provider, callback_url(name), params,
            sign_in.nonce, sign_in.code_verifier, sign_in.state)
    except providers.SignInError as e:
        logger.warning("%s sign-in refused: %s", name, e.reason)
        # The state is spent all the same: the page is shown, not raised,
        # so that this transaction commits.
        SignIn.delete([sign_in])
        return render(visit, 'error.html', status=HTTPStatus.BAD_REQUEST,
            message=_failed(visit, provider).message, back='/account/login')
    sign_in.returned(person)
    return redirect_to('/account/oauth/finish', {'state': sign_in.state})


@route('/account/oauth/<name>/callback', readonly=False)
def callback(visit, pool, name):
    return _callback(visit, pool, name, visit.request.args)


@route('/account/oauth/<name>/callback', methods=['POST'], csrf=False)
def callback_post(visit, pool, name):
    "response_mode=form_post (Apple): the state is the form's protection."
    return _callback(visit, pool, name, visit.request.form)


@route('/account/oauth/finish', readonly=False)
def finish(visit, pool):
    Identity = pool.get('photo.oauth.identity')
    SignIn = pool.get('photo.oauth.sign_in')
    User = pool.get('web.user')
    _ = visit.gettext
    sign_in = SignIn.take(visit.request.args.get('state'), 'returned',
        visitor_id=visit.sid)
    if not sign_in:
        raise BadInput(_("This sign-in has expired or was already used. "
                "Please start again."), back='/account/login')
    provider = _provider(pool, sign_in.provider)
    person, name = sign_in.person, label(visit, provider)
    values, user = _copy(sign_in), sign_in.web_user
    # The sign-in is spent whatever follows: refusals are pages answered,
    # not errors raised, so that this transaction commits.
    SignIn.delete([sign_in])
    identity = Identity.find(provider.name, person.subject)
    if user:
        if not visit.user or visit.user != user:
            return error_page(visit, _("Log in again to link %(provider)s.",
                    provider=name), back='/account/login')
        if identity and identity.web_user != user:
            return error_page(visit, _("This %(provider)s account is "
                    "already linked to another account.", provider=name),
                back='/account')
        if not identity:
            if any(i.provider == provider.name
                    for i in user.oauth_identities):
                return error_page(visit, _("Another %(provider)s account "
                        "is linked to yours: unlink it first.",
                        provider=name), back='/account')
            Identity.link(user, provider.name, person)
        return redirect_to('/account', {'notice': 'linked'})
    if identity:
        return _log_in(visit, identity.web_user)
    if not person.email or not person.email_verified:
        # An address the provider did not confirm finds no account and
        # makes none: it could be someone else's.
        return error_page(visit, _("%(provider)s has not confirmed your "
                "email address to us. Log in with your password or sign up, "
                "then link %(provider)s on your account page.",
                provider=name), back='/account/login')
    users = User.search([('email', '=', person.email)], limit=1)
    if users:
        user = users[0]
        if any(i.provider == provider.name for i in user.oauth_identities):
            return error_page(visit, _("Your account is linked to another "
                    "%(provider)s account.", provider=name),
                back='/account/login')
        if not user.email_valid:
            # Someone signed up with this address and never proved it: the
            # password they chose must not open the owner's account.
            User.write([user], {'email_valid': True, 'password_hash': None})
            Session = pool.get('web.user.session')
            Session.delete(Session.search([('user', '=', user.id)]))
            attach_guest_bookings(pool, user)
        Identity.link(user, provider.name, person)
        return _log_in(visit, user, {'notice': 'linked'})
    # A new account: the sign-up page asks the consent first.
    SignIn.create([{**values, 'step': 'signup'}])
    return redirect_to('/account/oauth/signup', {'state': values['state']})


def _copy(sign_in):
    return {name: getattr(sign_in, name) for name in (
            'state', 'provider', 'nonce', 'code_verifier', 'visitor',
            'expire', 'subject', 'email', 'email_verified', 'name', 'phone')}


def _log_in(visit, user, args=None):
    visit.login(user.new_session())
    return redirect_to('/account', args)


def _signup_values(sign_in):
    "The sign-up form filled with what the provider said."
    return {'name': sign_in.name or '', 'phone': sign_in.phone or '',
        'email': sign_in.email, 'consent': False}


@route('/account/oauth/signup')
def signup(visit, pool):
    SignIn = pool.get('photo.oauth.sign_in')
    _ = visit.gettext
    state = visit.request.args.get('state') or ''
    sign_in = SignIn.take(state, 'signup', visitor_id=visit.sid, lock=False)
    if not sign_in:
        raise BadInput(_("This sign-in has expired or was already used. "
                "Please start again."), back='/account/login')
    return render(visit, 'photo_oauth/signup.html', state=state,
        provider=provider_config(sign_in.provider),
        values=_signup_values(sign_in), errors={})


@route('/account/oauth/signup', methods=['POST'])
def signup_post(visit, pool):
    "A new account for a verified address, with the sign-up's consent."
    Identity = pool.get('photo.oauth.identity')
    Party = pool.get('party.party')
    SignIn = pool.get('photo.oauth.sign_in')
    User = pool.get('web.user')
    _ = visit.gettext
    check_rate(visit, 'signup')
    state = visit.request.form.get('state') or ''
    sign_in = SignIn.take(state, 'signup', visitor_id=visit.sid)
    if not sign_in:
        raise BadInput(_("This sign-in has expired or was already used. "
                "Please start again."), back='/account/login')
    form = visit.request.form.copy()
    form['email'] = sign_in.email
    values, errors = validate_contact(visit, form)
    if errors:
        return render(visit, 'photo_oauth/signup.html', state=state,
            status=HTTPStatus.BAD_REQUEST,
            provider=provider_config(sign_in.provider), values=values,
            errors=errors)
    person, provider_name = sign_in.person, sign_in.provider
    SignIn.delete([sign_in])
    if User.search([('email', '=', person.email)], limit=1) \
            or Identity.find(provider_name, person.subject):
        # Made meanwhile (another tab): sign in through it instead.
        return error_page(visit, _("This sign-in has expired or was "
                "already used. Please start again."), back='/account/login')
    languages = pool.get('ir.lang').search([('code', '=', visit.lang)],
        limit=1)
    party, = Party.create([{
                'name': values['name'],
                'lang': languages[0].id if languages else None,
                'contact_mechanisms': [('create', [
                            {'type': 'email', 'value': person.email},
                            {'type': 'phone', 'value': values['phone']},
                            ])],
                }])
    user, = User.create([{
                'email': person.email, 'party': party.id,
                # The provider confirmed it (email_verified).
                'email_valid': True}])
    Identity.link(user, provider_name, person)
    attach_guest_bookings(pool, user)
    return _log_in(visit, user, {'notice': 'welcome'})


@route('/account/oauth/<name>/unlink', methods=['POST'])
def unlink(visit, pool, name):
    Identity = pool.get('photo.oauth.identity')
    _ = visit.gettext
    require_user(visit)
    provider = _provider(pool, name)
    user = visit.user
    identities = [i for i in user.oauth_identities if i.provider == name]
    if not identities:
        return redirect_to('/account')
    identity, = identities
    if not user.can_unlink(identity):
        raise BadInput(_("%(provider)s is the only way into your account: "
                "set a password first (Forgot your password? on the login "
                "page) or link another account.",
                provider=label(visit, provider)),
            back='/account')
    Identity.delete([identity])
    return redirect_to('/account', {'notice': 'unlinked'})


def login_panels():
    "The buttons of the sign-in and sign-up pages."
    listed = configured_providers()
    if not listed:
        return []
    return [{'template': 'photo_oauth/_login.html', 'providers': listed}]


def account_panel(user):
    "The cabinet's linked accounts."
    listed = configured_providers()
    if not listed and not user.oauth_identities:
        return []
    linked = {i.provider: i for i in user.oauth_identities}
    rows = []
    for provider in listed:
        identity = linked.get(provider.name)
        rows.append({'provider': provider, 'identity': identity,
                'can_unlink': bool(identity) and user.can_unlink(identity)})
    return [{'template': 'photo_oauth/_cabinet.html', 'rows': rows,
            'has_password': bool(user.password_hash)}]

