"""Portal safety: signed CSRF tokens and a per-IP rate limit.

No trytond model here: plain functions configured from `[photo_booking]`
at call time, unit-tested directly.
"""
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import defaultdict, deque

import trytond.config as config

logger = logging.getLogger(__name__)

SECTION = 'photo_booking'
SECRET_FILE = '.photo_booking_portal_secret'
_file_secrets = {}


def _secret():
    """`[photo_booking] portal_secret`, else one kept in the data path.

    The file is shared by the workers of one host (gunicorn); several hosts
    need the configured secret."""
    secret = config.get(SECTION, 'portal_secret')
    if secret:
        return secret
    directory = config.get('database', 'path') or tempfile.gettempdir()
    path = os.path.join(directory, SECRET_FILE)
    if path not in _file_secrets:
        _file_secrets[path] = _read_or_create(path)
    return _file_secrets[path]


def _read_or_create(path):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            with open(path) as file:
                secret = file.read().strip()
            if secret:
                return secret
            time.sleep(0.01)  # another worker is writing it
        raise RuntimeError(f"{path} is empty")
    except OSError:
        logger.warning("Cannot keep the portal secret in %s; forms only "
            "work within this process", path, exc_info=True)
        return secrets.token_hex(32)
    secret = secrets.token_hex(32)
    with os.fdopen(fd, 'w') as file:
        file.write(secret)
    return secret


def new_session_id():
    return secrets.token_urlsafe(24)


def csrf_token(session_id):
    "The form token bound to the visitor's session cookie."
    return hmac.new(
        _secret().encode(), b'csrf:' + session_id.encode(),
        hashlib.sha256).hexdigest()


def check_csrf(session_id, token):
    if not session_id or not token:
        return False
    return hmac.compare_digest(csrf_token(session_id), token)


def parse_limit(value, default):
    "'count/seconds' as a (count, seconds) pair."
    try:
        count, seconds = (value or default).split('/')
        return int(count), int(seconds)
    except ValueError:
        count, seconds = default.split('/')
        return int(count), int(seconds)


class MemoryCounter:
    "A sliding-window counter for one process."

    def __init__(self):
        self._hits = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key, seconds):
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - seconds:
                hits.popleft()
            hits.append(now)
            return len(hits)


class RedisCounter:
    "A fixed-window counter shared by every worker through Redis."
    retry_after = 30

    def __init__(self, url):
        self.url = url
        self._client = None
        self._down_until = 0

    def client(self):
        if time.monotonic() < self._down_until:
            return None
        if self._client is None:
            try:
                import redis
            except ImportError:
                self._down_until = float('inf')
                return None
            self._client = redis.Redis.from_url(
                self.url, socket_timeout=0.2, socket_connect_timeout=0.2)
        return self._client

    def hit(self, key, seconds):
        "The number of hits in the window, or None if Redis is unreachable."
        client = self.client()
        if client is None:
            return None
        import redis
        try:
            pipe = client.pipeline()
            pipe.incr(key)
            pipe.expire(key, seconds)
            count, _ = pipe.execute()
            return int(count)
        except redis.RedisError:
            logger.warning(
                "Redis unreachable at %s, rate limit kept in process",
                self.url, exc_info=True)
            self._down_until = time.monotonic() + self.retry_after
            return None


_memory = MemoryCounter()
_redis = {}


def _redis_counter():
    url = config.get(SECTION, 'redis_url', default='redis://127.0.0.1:6379/0')
    if not url:
        return None
    if url not in _redis:
        _redis[url] = RedisCounter(url)
    return _redis[url]


LIMITS = {
    'booking': '20/600',
    'signup': '5/3600',
    'login': '20/600',
    'reset': '5/3600',
    }


def allow(kind, address, database=''):
    """Count one attempt of kind from address; False once over the limit.

    `[photo_booking] rate_limit_<kind>` is 'count/seconds'."""
    count, seconds = parse_limit(
        config.get(SECTION, f'rate_limit_{kind}'), LIMITS[kind])
    window = int(time.time() // seconds)
    key = f'photo_booking:rl:{database}:{kind}:{address}:{window}'
    counter = _redis_counter()
    hits = counter.hit(key, seconds) if counter else None
    if hits is None:
        hits = _memory.hit(f'{database}:{kind}:{address}', seconds)
    return hits <= count
