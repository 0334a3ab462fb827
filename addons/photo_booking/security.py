"""Web safety shared by the API and the portal: the server's signing
secret, calendar and known-device tokens, input checks, and the one per-IP
rate limit (Redis or in-process), which abuse.py extends.

No trytond model here: plain functions configured from `[photo_booking]`
at call time, unit-tested directly.
"""
import hashlib
import hmac
import logging
import math
import os
import secrets
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

import trytond.config as config

logger = logging.getLogger(__name__)

SECTION = 'photo_booking'
# Record ids are INTEGER columns on PostgreSQL; SQLite overflows past 2**63.
MAX_ID = 2 ** 31 - 1
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
        _file_secrets[path] = read_or_create(path)
    return _file_secrets[path]


def read_or_create(path, make=None, ephemeral=True):
    """The text of the file at path, created (mode 600) with make() (a
    random hex secret by default) if it is not there yet. When it cannot
    be written, an ephemeral text if ephemeral, else the OSError."""
    make = make or (lambda: secrets.token_hex(32))
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
        if not ephemeral:
            raise
        logger.warning("Cannot keep the portal secret in %s; forms only "
            "work within this process", path, exc_info=True)
        return make()
    secret = make()
    with os.fdopen(fd, 'w') as file:
        file.write(secret)
    return secret.strip()


def is_id(value):
    "Whether value is an int that can be a record's id."
    return (isinstance(value, int) and not isinstance(value, bool)
        and 0 < value <= MAX_ID)


def has_nul(value):
    "PostgreSQL refuses NUL characters in text."
    return isinstance(value, str) and '\x00' in value


def calendar_uid(token):
    "A booking's stable calendar UID, from which its token cannot be had."
    return sign('ics', token)[:32]


def sign(purpose, value):
    "An HMAC of value for purpose with the server's secret."
    return hmac.new(_secret().encode(), f'{purpose}:{value}'.encode(),
        hashlib.sha256).hexdigest()


def device_token(email, password_hash):
    """A token proving a past sign-in to email from this device.

    Signed with the server's secret over the password hash, so a new
    password revokes every device."""
    nonce = secrets.token_urlsafe(12)
    return f'{nonce}.{_device_signature(nonce, email, password_hash)}'


def check_device(token, email, password_hash):
    nonce, _, signature = (token or '').partition('.')
    if not nonce or not signature or not password_hash:
        return False
    return hmac.compare_digest(
        _device_signature(nonce, email, password_hash), signature)


def _device_signature(nonce, email, password_hash):
    return sign('device', f'{email}:{nonce}:{password_hash}')


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
        self._scripts = {}

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
        def incr(pipe):
            pipe.incr(key)
            pipe.expire(key, seconds)
        result = self.pipeline(incr)
        return None if result is None else int(result[0])

    def script(self, source, keys, args):
        """The answer of the Lua script source run on keys with args (one
        round trip: EVALSHA, EVAL the first time), or None if Redis is
        unreachable (then not tried for retry_after s)."""
        def run(client):
            script = self._scripts.get(source)
            if script is None:
                script = self._scripts[source] = client.register_script(
                    source)
            return script(keys=keys, args=args)
        return self._run(run)

    def pipeline(self, queue):
        """The results of the commands queue(pipe) put on one pipeline, or
        None if Redis is unreachable (then not tried for retry_after s)."""
        def run(client):
            pipe = client.pipeline()
            queue(pipe)
            return pipe.execute()
        return self._run(run)

    def _run(self, call):
        "call(client), or None if Redis is unreachable (then not tried)."
        client = self.client()
        if client is None:
            return None
        import redis
        try:
            return call(client)
        except redis.RedisError:
            logger.warning(
                "Redis unreachable at %s, rate limit kept in process",
                self.url, exc_info=True)
            self._down_until = time.monotonic() + self.retry_after
            return None


_memory = MemoryCounter()
_redis = {}


def shared_store():
    "The Redis of `[photo_booking] redis_url`, or None if not configured."
    return _redis_counter()


def _redis_counter():
    url = config.get(SECTION, 'redis_url', default='redis://127.0.0.1:6379/0')
    if not url:
        return None
    if url not in _redis:
        _redis[url] = RedisCounter(url)
    return _redis[url]


class TooManyRequests(Exception):
    "One address sent more than its share; refused before any work."

    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """One attempt of kind from address, to count against
    `[photo_booking] rate_limit_<kind>` ('count/seconds', default the
    caller's)."""
    kind: str
    address: str
    count: int
    seconds: int
    database: str
    now: float

    @classmethod
    def of(cls, kind, address, default, database=''):
        count, seconds = parse_limit(
            config.get(SECTION, f'rate_limit_{kind}'), default)
        return cls(kind, address, count, seconds, database, time.time())

    @property
    def window(self):
        return int(self.now // self.seconds)

    @property
    def key(self):
        "Its Redis counter: one per fixed window."
        return (f'photo_booking:rl:{self.database}:{self.kind}:'
            f'{self.address}:{self.window}')

    def count_in_memory(self):
        "Counted in this process (Redis unreachable): the hits."
        return _memory.hit(
            f'{self.database}:{self.kind}:{self.address}', self.seconds)

    def retry_after(self, hits):
        """0 if hits are within the limit, else the seconds until the
        window lets the address in again."""
        if hits <= self.count:
            return 0
        # The fixed window's end (the in-process window slides: an
        # estimate).
        return max(1, math.ceil(
                (self.window + 1) * self.seconds - self.now))


def retry_after(kind, address, default, database=''):
    """Count one attempt of kind from address: 0 while within the limit,
    else the seconds until the window lets it in again.

    Refusing costs no database work and no sleep, so a flood cannot hold
    the workers. (abuse.check counts a hold's attempt with its other
    counts, in the same round trip.)"""
    return count(Attempt.of(kind, address, default, database))


def count(attempt):
    "Count attempt: its retry_after."
    counter = _redis_counter()
    hits = counter.hit(attempt.key, attempt.seconds) if counter else None
    if hits is None:
        hits = attempt.count_in_memory()
    return attempt.retry_after(hits)
