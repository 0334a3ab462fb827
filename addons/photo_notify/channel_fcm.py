"""FCM for the native app, through the FCM HTTP v1 API
(POST {fcm_api}/v1/projects/<project>/messages:send), authorised by
google-auth with the project's service account (OAuth 2 JWT bearer grant at
the account's token_uri).

Why not firebase-admin: its messaging service has the FCM address written
in (`_MessagingService.FCM_URL`, https://fcm.googleapis.com) with no option
or emulator variable to change it, so it could only be tested against
Google. The request is the same one it makes, built from the documented
v1 message (firebase.google.com/docs/reference/fcm/rest/v1/
projects.messages): google-auth is the library firebase-admin itself
authorises with."""
import json

import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

import trytond.config as config

from . import outbox
from .channel import (
    Channel, PermanentFailure, RecipientGone, TemporaryFailure, short_text)

SECTION = 'photo_notify'
SCOPE = 'https://www.googleapis.com/auth/firebase.messaging'
TIMEOUT = 10
# FcmError codes (v1 API): the token is gone; worth trying later.
GONE = {'UNREGISTERED'}
LATER = {'QUOTA_EXCEEDED', 'UNAVAILABLE', 'INTERNAL'}


def credentials_info():
    """The service account of [photo_notify] fcm_credentials (environment
    only): its JSON itself, or the path of its file; None when unset."""
    value = (config.get(SECTION, 'fcm_credentials') or '').strip()
    if not value:
        return None
    if not value.startswith('{'):
        with open(value) as file:
            value = file.read()
    return json.loads(value)


def build(message):
    "The v1 API's request body for message to the token message.address."
    body = short_text(message)
    collapse = outbox.digest(message.key, 32)
    data = {'key': message.key, 'lang': message.language or ''}
    if message.link:
        data['url'] = message.link
    return {'message': {
            'token': message.address,
            'notification': {'title': message.subject, 'body': body},
            'data': data,
            # A resent message replaces the first on the device.
            'android': {'collapse_key': collapse,
                'notification': {'tag': collapse}},
            'apns': {'headers': {'apns-collapse-id': collapse}},
            }}


def classify(status, answer):
    """The failure of an FCM answer (status, its JSON): UNREGISTERED (or
    404) the token is gone; 429/5xx and quota later; else for good
    (INVALID_ARGUMENT, SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR)."""
    error = answer.get('error') if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    codes = {d.get('errorCode') for d in error.get('details') or []
        if isinstance(d, dict)}
    reason = (f"FCM {status} {error.get('status') or ''} "
        f"{'/'.join(sorted(c for c in codes if c))}: "
        f"{error.get('message') or ''}")[:500]
    if codes & GONE or status == 404:
        return RecipientGone(reason)
    if codes & LATER or status in {401, 429} or status >= 500:
        return TemporaryFailure(reason)
    return PermanentFailure(reason)


class FcmChannel(Channel):
    """[photo_notify] fcm_credentials (environment only) and fcm_api
    (default https://fcm.googleapis.com; the fake in tests)."""
    name = 'fcm'

    def __init__(self):
        info = credentials_info()
        if not info:
            raise TemporaryFailure("no [photo_notify] fcm_credentials")
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[SCOPE])
        api = config.get(SECTION, 'fcm_api',
            default='https://fcm.googleapis.com').rstrip('/')
        self.url = f"{api}/v1/projects/{info['project_id']}/messages:send"
        self.session = AuthorizedSession(credentials)

    def send(self, message):
        try:
            response = self.session.post(
                self.url, json=build(message), timeout=TIMEOUT)
        except (requests.RequestException, GoogleAuthError) as exception:
            raise TemporaryFailure(str(exception)) from exception
        if response.status_code == 200:
            return
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        raise classify(response.status_code, answer)

    def close(self):
        self.session.close()
