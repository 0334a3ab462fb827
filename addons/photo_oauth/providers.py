"""Sign-in with Google, VK ID, Yandex ID and Apple: the protocol, with no
trytond import (unit-tested directly against tests/fake_oidc.py).

Every provider is the authorization code flow with PKCE (S256) and a
`state`; the two OpenID Connect ones (Google, Apple) also get a `nonce` and
send an ID token, whose signature is checked against the provider's JWKS
and whose `iss`, `aud`, `exp`, `iat` and `nonce` are checked before anything
in it is believed. VK ID and Yandex ID are OAuth 2 without an ID token one
can verify: the person is read from their own userinfo endpoints, with the
access token just obtained, and the answer must be about our application
(Yandex's `client_id`) and the user the token was issued to (VK's
`user_id`).

authlib builds the requests (OAuth2Session: PKCE, state, client
authentication); joserfc (authlib's JOSE library, which replaces the
deprecated authlib.jose) verifies the ID token and signs Apple's client
secret (ES256).
"""
import base64
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

logger = logging.getLogger(__name__)

TIMEOUT = 10          # seconds for every call to a provider
LEEWAY = 60           # seconds of clock skew allowed on exp / iat
CACHE_SECONDS = 3600  # discovery documents and JWKS are read again after
ID_TOKEN_ALGORITHMS = ['RS256', 'ES256']
APPLE_SECRET_SECONDS = 300


class SignInError(Exception):
    """The provider's answer cannot be trusted or used. reason is for the
    log (never shown to the visitor)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Kind:
    "What a provider is: its protocol and its documented endpoints."
    label: str
    protocol: str                 # 'oidc', 'vk' or 'yandex'
    scope: str
    discovery_url: str = None     # OpenID Connect discovery
    authorize_url: str = None     # OAuth 2 without discovery
    token_url: str = None
    userinfo_url: str = None
    response_mode: str = None     # Apple: 'form_post'
    token_auth: str = 'client_secret_post'


KINDS = {
    'google': Kind(
        label="Google", protocol='oidc', scope='openid email profile',
        discovery_url=(
            'https://accounts.google.com/.well-known/openid-configuration')),
    'vk': Kind(
        label="VK ID", protocol='vk', scope='vkid.personal_info email phone',
        authorize_url='https://id.vk.com/authorize',
        token_url='https://id.vk.com/oauth2/auth',
        userinfo_url='https://id.vk.com/oauth2/user_info',
        token_auth='none'),
    'yandex': Kind(
        label="Yandex ID", protocol='yandex',
        scope='login:email login:info login:default_phone',
        authorize_url='https://oauth.yandex.ru/authorize',
        token_url='https://oauth.yandex.ru/token',
        userinfo_url='https://login.yandex.ru/info'),
    'apple': Kind(
        label="Apple", protocol='oidc', scope='name email',
        discovery_url=(
            'https://appleid.apple.com/.well-known/openid-configuration'),
        response_mode='form_post'),
    }


@dataclass(frozen=True)
class AppleKey:
    """Apple's client secret is a JWT we sign (ES256) with the key made in
    the developer account: its team id, key id and private key (PEM)."""
    team_id: str
    key_id: str
    private_key: str


@dataclass(frozen=True)
class Provider:
    "A configured provider (see the module's README for the keys)."
    name: str
    kind: Kind
    client_id: str
    client_secret: str = None
    discovery_url: str = None
    authorize_url: str = None
    token_url: str = None
    userinfo_url: str = None
    apple_key: AppleKey = None
    # VK ID and Yandex ID say nothing of whether the address was
    # confirmed: trusted only when the studio says so.
    trust_email: bool = False

    @property
    def label(self):
        return self.kind.label


@dataclass(frozen=True)
class Person:
    "Who the provider says signed in."
    subject: str
    email: str = None
    email_verified: bool = False
    name: str = ''
    phone: str = None


@dataclass
class Authorization:
    "A started sign-in: where to send the visitor and what to keep."
    url: str
    state: str
    nonce: str
    code_verifier: str


def new_secret():
    return secrets.token_urlsafe(32)


# --- documents read from the provider, cached -----------------------------

_cache = {}
_cache_lock = threading.Lock()


def _get_json(url, fresh=False):
    "The JSON at url, kept CACHE_SECONDS (fresh: read it again)."
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(url)
    if hit and not fresh and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as e:
        raise SignInError(f"cannot read {url}: {e}") from e
    with _cache_lock:
        _cache[url] = (now, document)
    return document


def clear_cache():
    with _cache_lock:
        _cache.clear()


def _metadata(provider):
    "Endpoints: discovered (OpenID Connect) or configured (OAuth 2)."
    kind = provider.kind
    if kind.protocol == 'oidc':
        document = _get_json(provider.discovery_url or kind.discovery_url)
        for key in ('issuer', 'authorization_endpoint', 'token_endpoint',
                'jwks_uri'):
            if not document.get(key):
                raise SignInError(f"discovery without {key}")
        return document
    return {
        'authorization_endpoint': provider.authorize_url or kind.authorize_url,
        'token_endpoint': provider.token_url or kind.token_url,
        'userinfo_endpoint': provider.userinfo_url or kind.userinfo_url,
        }


def _client_secret(provider, metadata):
    if provider.apple_key:
        return apple_client_secret(
            provider.apple_key, provider.client_id, metadata['issuer'])
    return provider.client_secret


def apple_client_secret(key, client_id, audience, now=None):
    """Apple's client secret: a JWT signed with the developer key (ES256),
    header kid = key id; iss = team id, sub = the Services ID (client id),
    aud = Apple's issuer, short-lived."""
    now = int(now or time.time())
    private = ECKey.import_key(key.private_key)
    return jwt.encode({'alg': 'ES256', 'kid': key.key_id}, {
            'iss': key.team_id, 'iat': now,
            'exp': now + APPLE_SECRET_SECONDS,
            'aud': audience, 'sub': client_id}, private,
        algorithms=['ES256'])


def _session(provider, redirect_uri, client_secret=None):
    kind = provider.kind
    return OAuth2Session(
        provider.client_id, client_secret,
        token_endpoint_auth_method=(
            'none' if kind.token_auth == 'none' else kind.token_auth),
        scope=kind.scope, redirect_uri=redirect_uri,
        code_challenge_method='S256')


# --- the flow ----------------------------------------------------------------

def authorize(provider, redirect_uri):
    """Where to send the visitor: the provider's authorization endpoint with
    a new state, PKCE challenge and (OpenID Connect) nonce."""
    metadata = _metadata(provider)
    state, nonce = new_secret(), new_secret()
    verifier = secrets.token_urlsafe(64)
    extra = {}
    if provider.kind.protocol == 'oidc':
        extra['nonce'] = nonce
    if provider.kind.response_mode:
        extra['response_mode'] = provider.kind.response_mode
    url, _ = _session(provider, redirect_uri).create_authorization_url(
        metadata['authorization_endpoint'], state=state,
        code_verifier=verifier, **extra)
    return Authorization(url, state, nonce, verifier)


def finish(provider, redirect_uri, params, nonce, code_verifier, state):
    """The person the provider's answer (params: the callback's query or
    form) is about, once the code is exchanged and what came back verified.
    The caller has already matched params['state'] to its own state."""
    if params.get('error'):
        raise SignInError(f"provider said {params.get('error')}")
    code = params.get('code')
    if not code:
        raise SignInError("no code")
    metadata = _metadata(provider)
    session = _session(
        provider, redirect_uri, _client_secret(provider, metadata))
    extra, body = {}, ''
    protocol = provider.kind.protocol
    if protocol == 'vk':
        # VK ID's token request repeats the device and the state (authlib
        # keeps its own `state` argument out of the body).
        extra = {'device_id': params.get('device_id') or ''}
        body = urlencode({'state': state})
    try:
        token = session.fetch_token(
            metadata['token_endpoint'], body=body,
            grant_type='authorization_code', code=code,
            code_verifier=code_verifier, timeout=TIMEOUT, **extra)
    except (OAuthError, requests.RequestException, ValueError) as e:
        raise SignInError(f"token request failed: {e}") from e
    if protocol == 'oidc':
        person = _id_token_person(provider, metadata, token, nonce)
        return _with_apple_name(person, params)
    if protocol == 'vk':
        return _vk_person(provider, metadata, token, state)
    return _yandex_person(provider, metadata, token)


def _id_token_person(provider, metadata, token, nonce):
    id_token = token.get('id_token')
    if not id_token:
        raise SignInError("no ID token")
    claims = verify_id_token(
        id_token, metadata, provider.client_id, nonce)
    verified = claims.get('email_verified') in (True, 'true')
    return Person(
        subject=str(claims['sub']),
        email=(claims.get('email') or '').strip().lower() or None,
        email_verified=verified,
        name=(claims.get('name') or ' '.join(filter(None, (
                        claims.get('given_name'),
                        claims.get('family_name'))))).strip())


def verify_id_token(id_token, metadata, client_id, nonce, now=None):
    """The claims of id_token once its signature is one of the provider's
    keys (JWKS; read again once for a key id we do not know, as keys
    rotate) and iss, aud, exp, iat, sub and nonce are right."""
    jwks_uri = metadata['jwks_uri']
    try:
        header = json.loads(_b64decode(id_token.split('.')[0]))
    except (ValueError, IndexError) as e:
        raise SignInError("ID token is not a JWT") from e
    keys = _key_set(jwks_uri)
    if header.get('kid') and not _has_kid(keys, header['kid']):
        keys = _key_set(jwks_uri, fresh=True)
    try:
        decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    except (JoseError, ValueError, KeyError) as e:
        raise SignInError(
            f"ID token signature: {type(e).__name__}: {e}") from e
    claims = decoded.claims
    registry = jwt.JWTClaimsRegistry(
        now=now, leeway=LEEWAY,
        iss={'essential': True, 'value': metadata['issuer']},
        aud={'essential': True, 'value': client_id},
        sub={'essential': True},
        exp={'essential': True},
        iat={'essential': True},
        nonce={'essential': True, 'value': nonce})
    try:
        registry.validate(claims)
    except JoseError as e:
        raise SignInError(
            f"ID token claims: {type(e).__name__}: {e}") from e
    audience = claims['aud']
    if isinstance(audience, list) and len(audience) > 1 \
            and claims.get('azp') != client_id:
        raise SignInError("ID token for several audiences, not azp")
    return claims


def _b64decode(segment):
    return base64.urlsafe_b64decode(segment + '=' * (-len(segment) % 4))


def _key_set(jwks_uri, fresh=False):
    try:
        return KeySet.import_key_set(_get_json(jwks_uri, fresh=fresh))
    except (JoseError, ValueError, KeyError, TypeError) as e:
        raise SignInError(f"bad JWKS: {type(e).__name__}: {e}") from e


def _has_kid(keys, kid):
    return any(key.kid == kid for key in keys.keys)


def _with_apple_name(person, params):
    """Apple posts the name (not in the ID token) with the first sign-in
    only, as JSON in the form field `user`."""
    raw = params.get('user')
    if person.name or not raw:
        return person
    try:
        name = json.loads(raw).get('name') or {}
        full = ' '.join(filter(None, (
                    name.get('firstName'), name.get('lastName'))))
    except (ValueError, AttributeError):
        return person
    return Person(person.subject, person.email, person.email_verified,
        full.strip()[:100], person.phone)


def _post_form(url, data):
    try:
        response = requests.post(url, data=data, timeout=TIMEOUT)
        return response.status_code, response.json()
    except (requests.RequestException, ValueError) as e:
        raise SignInError(f"cannot read {url}: {e}") from e


def _vk_person(provider, metadata, token, state):
    """VK ID: the token response names the user (user_id) and repeats the
    state; /oauth2/user_info (client_id + access_token) says who it is."""
    if token.get('state') not in (None, state):
        raise SignInError("VK ID token for another state")
    status, answer = _post_form(metadata['userinfo_endpoint'], {
            'client_id': provider.client_id,
            'access_token': token['access_token']})
    user = answer.get('user') if isinstance(answer, dict) else None
    if status != 200 or not isinstance(user, dict) or not user.get('user_id'):
        raise SignInError(f"VK ID user_info: {status} {answer!r}"[:300])
    if token.get('user_id') is not None \
            and str(token['user_id']) != str(user['user_id']):
        raise SignInError("VK ID user_info about another user")
    name = ' '.join(filter(None, (
                user.get('first_name'), user.get('last_name'))))
    email = (user.get('email') or '').strip().lower() or None
    return Person(
        subject=str(user['user_id']), email=email,
        email_verified=bool(email and provider.trust_email),
        name=name.strip(), phone=user.get('phone') or None)


def _yandex_person(provider, metadata, token):
    """Yandex ID: GET login.yandex.ru/info?format=json with
    `Authorization: OAuth <token>`; the answer must be for our client_id."""
    try:
        response = requests.get(
            metadata['userinfo_endpoint'], params={'format': 'json'},
            headers={'Authorization': f"OAuth {token['access_token']}"},
            timeout=TIMEOUT)
        status, info = response.status_code, response.json()
    except (requests.RequestException, ValueError) as e:
        raise SignInError(f"Yandex ID info: {e}") from e
    if status != 200 or not isinstance(info, dict) or not info.get('id'):
        raise SignInError(f"Yandex ID info: {status} {info!r}"[:300])
    if info.get('client_id') != provider.client_id:
        raise SignInError("Yandex ID token of another application")
    email = (info.get('default_email') or '').strip().lower() or None
    phone = (info.get('default_phone') or {}).get('number')
    name = info.get('real_name') or ' '.join(filter(None, (
                info.get('first_name'), info.get('last_name'))))
    return Person(
        subject=str(info['id']), email=email,
        email_verified=bool(email and provider.trust_email),
        name=(name or '').strip(), phone=phone)
