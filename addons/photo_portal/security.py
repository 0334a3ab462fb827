"""The portal's own safety: server-signed visitor ids, CSRF tokens bound to
them, and the portal's rate limits.

Plain functions over photo_booking's signing secret, unit-tested directly.
"""
import hmac
import secrets

from trytond.modules.photo_booking.security import sign

# `[photo_booking] rate_limit_<kind>` overrides them ('count/seconds').
LIMITS = {
    # Every form posted, per address (web.route), and per signed-in
    # account (each account's own pages: cabinet, chat, payment).
    'portal_write': '300/600',
    'account_write': '120/600',
    # Per address, plus holds per address, contact and device (abuse.py).
    'booking': '20/600',
    'signup': '5/3600',
    'login': '20/600',
    'reset': '5/3600',
    'reset_confirm': '10/3600',
    # Per e-mail address: mails one address can be sent by strangers.
    'signup_contact': '3/3600',
    'reset_contact': '3/3600',
    }


def new_session_id():
    "A visitor id the server signed, so no one can choose their own."
    nonce = secrets.token_urlsafe(18)
    return f'{nonce}.{sign("sid", nonce)[:32]}'


def valid_session_id(session_id):
    nonce, _, signature = (session_id or '').partition('.')
    return bool(nonce and signature) and hmac.compare_digest(
        sign('sid', nonce)[:32], signature)


def csrf_token(session_id, session_key=None):
    """The form token bound to the visitor's server-issued id and, once
    signed in, to their session key, neither of which a third party can
    choose or read."""
    return sign('csrf', f'{session_id}:{session_key or ""}')


def check_csrf(session_id, token, session_key=None):
    if not valid_session_id(session_id) or not token:
        return False
    return hmac.compare_digest(csrf_token(session_id, session_key), token)
