"""Calendar abuse: how many holds one address, contact or device may make
in a window and keep open at once, and when an anonymous hold must first
prove some work (altcha.py, or a CAPTCHA of captcha.py).

A hold is counted under each of its keys: the client's IP address (IPv6 by
its /64 network), each contact it gives (e-mail, phone) and its device (the
API's `X-Device-Id`, the portal's signed visitor id). Only holds made are
counted (`record`, after the commit), and a hold stops being open when it
is submitted or cancelled (`release`) or its time runs out.

Plain functions over security.py's store, Redis when `redis_url` reaches
one, else this process: no database query, so a refusal costs no database
work and the hold path stays as fast. Keys are HMACs of the values: no
e-mail or phone is kept in Redis.
"""
import heapq
import ipaddress
import math
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

import trytond.config as config

from . import altcha, captcha, security
from .common import DataManager

SECTION = 'photo_booking'
KINDS = ('ip', 'contact', 'device')
# `[photo_booking] holds_per_<kind>`: holds made per window, 'count/seconds'.
MADE = {'ip': '20/3600', 'contact': '10/3600', 'device': '10/3600'}
# `[photo_booking] open_holds_per_<kind>`: holds open at once.
OPEN = {'ip': 10, 'contact': 3, 'device': 3}
# `[photo_booking] proof_after_<kind>`: anonymous holds made in the window
# of MADE before the next one must bring a proof of work.
PROOF_AFTER = {'ip': 5, 'contact': 5, 'device': 5}
# `[photo_booking] altcha_max_number`, `altcha_expires` (seconds).
ALTCHA_MAX_NUMBER = 100000
ALTCHA_EXPIRES = 600


class Refused(Exception):
    """A hold refused before any work: its HTTP status, the id of its
    message (photo_booking's message.xml), the seconds to wait (429) and
    whether a proof of work would let it in (403)."""

    def __init__(self, status, message, retry_after=None, values=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.values = values or {}

    @property
    def wants_proof(self):
        return self.status in (403, 422)


@dataclass(frozen=True)
class Keys:
    "What one hold is counted under: [(kind, hashed value)]."
    items: tuple

    @classmethod
    def of(cls, ip=None, contacts=(), device=None):
        items = []
        if ip:
            items.append(('ip', _hashed('ip', network(ip))))
        for contact in contacts:
            value = normal_contact(contact)
            if value:
                items.append(('contact', _hashed('contact', value)))
        if device:
            items.append(('device', _hashed('device', device[:200])))
        return cls(tuple(dict.fromkeys(items)))


def network(ip):
    "An IPv4 address as it is, an IPv6 one as its /64: one subscriber."
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f'{address}/64', strict=False))
    return str(address)


def normal_contact(value):
    "An e-mail lower-cased, a phone as its digits; None if neither."
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    if '@' in value:
        return value[:200]
    digits = re.sub(r'\D', '', value)
    return digits[-15:] if len(digits) >= 6 else None


def _hashed(kind, value):
    return security.sign(f'abuse-{kind}', value)[:32]


def _made_limit(kind):
    return security.parse_limit(
        config.get(SECTION, f'holds_per_{kind}'), MADE[kind])


def _open_limit(kind):
    return config.getint(SECTION, f'open_holds_per_{kind}', default=OPEN[kind])


def _proof_after(kind):
    return config.getint(
        SECTION, f'proof_after_{kind}', default=PROOF_AFTER[kind])


@dataclass
class Usage:
    "One key's holds: made in the window (and the oldest), open (and the end)."
    made: int = 0
    oldest: float | None = None
    open: int = 0
    first_end: float | None = None
    # Holds being made now (checked, not yet committed or refused).
    pending: int = 0


class MemoryLedger:
    "The holds of one process."
    sweep_every = 60  # seconds between two sweeps of what ran out

    def __init__(self):
        self._made = defaultdict(deque)  # key -> times
        self._window = {}                # key -> its window
        self._open = defaultdict(dict)   # key -> {token: end}
        # key -> heap of (end, token): the first to end, and those that
        # ended, without a pass over all the open holds of a key (an
        # address's are thousands where the limits are relaxed).
        self._ends = defaultdict(list)
        self._keys_of = {}               # token -> (keys, end)
        self._spent = {}                 # proof -> its expiry
        self._pending = defaultdict(int)  # key -> holds being made
        self._lock = threading.Lock()
        self._next_sweep = 0

    def usage(self, keys, windows, now):
        with self._lock:
            return self._usage(keys, windows, now)

    def _usage(self, keys, windows, now):
        result = []
        for key, window in zip(keys, windows):
            made = self._made.get(key)
            while made and made[0] <= now - window:
                made.popleft()
            opened = self._open.get(key, {})
            ends = self._ends.get(key, [])
            self._drop_ended(opened, ends, now)
            result.append(Usage(
                    len(made or ()), made[0] if made else None,
                    len(opened), ends[0][0] if ends else None,
                    self._pending.get(key, 0)))
        return result

    @staticmethod
    def _drop_ended(opened, ends, now):
        """Drop from opened the holds ended by now, and from the heap of
        their ends those ended or released: its first is then the first
        open hold to end."""
        while ends and (ends[0][0] <= now
                or opened.get(ends[0][1]) != ends[0][0]):
            end, token = heapq.heappop(ends)
            if opened.get(token) == end:
                del opened[token]

    def reserve(self, keys, step=1):
        with self._lock:
            self._reserve(keys, step)
        return True

    def _reserve(self, keys, step):
        for key in keys:
            self._pending[key] = max(self._pending[key] + step, 0)
            if not self._pending[key]:
                del self._pending[key]

    def check_reserve(self, keys, windows, now, limits, anonymous,
            attempt=None):
        """Count attempt (a security.Attempt) if any, then, within its
        limit, usage and reserve as passes(): (usages, reserved, hits)."""
        hits = attempt.count_in_memory() if attempt else 0
        if attempt and attempt.retry_after(hits):
            return [], False, hits
        with self._lock:
            usages = self._usage(keys, windows, now)
            reserved = passes(usages, limits, anonymous)
            if reserved:
                self._reserve(keys, 1)
        return usages, reserved, hits

    def record(self, keys, windows, token, now, end, release=False):
        with self._lock:
            if release:
                self._reserve(keys, -1)
            for key, window in zip(keys, windows):
                self._made[key].append(now)
                self._window[key] = window
                self._open[key][token] = end
                heapq.heappush(self._ends[key], (end, token))
            self._keys_of[token] = (keys, end)
            self._sweep(now)

    def _sweep(self, now):
        "Forget what ran out, once a minute at most."
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_every
        for token, (keys, end) in list(self._keys_of.items()):
            if end <= now:
                del self._keys_of[token]
                for key in keys:
                    self._open.get(key, {}).pop(token, None)
        for key, made in list(self._made.items()):
            while made and made[0] <= now - self._window.get(key, 0):
                made.popleft()
            if not made:
                del self._made[key]
                self._window.pop(key, None)
        for key, ends in list(self._ends.items()):
            self._drop_ended(self._open.get(key, {}), ends, now)
            if not ends:
                del self._ends[key]
                self._open.pop(key, None)
        for proof in [p for p, (end, _) in self._spent.items()
                if end <= now]:
            del self._spent[proof]

    def release(self, tokens):
        with self._lock:
            for token in tokens:
                keys, _ = self._keys_of.pop(token, ((), None))
                for key in keys:
                    self._open.get(key, {}).pop(token, None)

    def spend(self, proof, now, end, owner=None):
        with self._lock:
            spent_end, spent_owner = self._spent.get(proof, (0, None))
            if spent_end > now:
                return owner is not None and owner == spent_owner
            self._spent[proof] = (end, owner)
            self._sweep(now)
            return True


# One round trip each for what a hold asks of Redis (a pipeline of the
# same commands costs the worker ~0.5 ms of CPU packing and parsing them):
# CHECK_RESERVE counts the request's attempt first when it is given one
# (the last key, ARGV 3-4: its count, 0 for none, and seconds) and stops
# there past its limit, then it is usage() for every key and the reserve
# of passes() when it passes (ARGV: now, anonymous, then window, open cap,
# made count, proof after per key), atomically: {reserved, the attempt's
# hits, usages}; RECORD is record() and, with release, the end of the
# hold's reservation.
CHECK_RESERVE = """
local now, anonymous = tonumber(ARGV[1]), ARGV[2] == '1'
local attempts, seconds = tonumber(ARGV[3]), tonumber(ARGV[4])
local keys, hits = #KEYS, 0
if attempts > 0 then
  hits = redis.call('INCR', KEYS[keys])
  redis.call('EXPIRE', KEYS[keys], seconds)
  if hits > attempts then return {0, hits} end
  keys = keys - 1
end
local result, passes, wants_proof = {0, hits}, true, false
for i = 1, keys do
  local key = KEYS[i]
  local a = 5 + (i - 1) * 4
  local window, cap = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local count, proof_after = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  redis.call('ZREMRANGEBYSCORE', key .. ':made', '-inf', now - window)
  local made = redis.call('ZCARD', key .. ':made')
  local oldest = redis.call('ZRANGE', key .. ':made', 0, 0, 'WITHSCORES')
  redis.call('ZREMRANGEBYSCORE', key .. ':open', '-inf', now)
  local open = redis.call('ZCARD', key .. ':open')
  local first = redis.call('ZRANGE', key .. ':open', 0, 0, 'WITHSCORES')
  local pending = tonumber(redis.call('GET', key .. ':pending') or 0)
  pending = math.max(pending, 0)
  if open + pending >= cap or made + pending >= count then passes = false end
  if made >= proof_after then wants_proof = true end
  for _, v in ipairs({made, oldest[2] or '', open, first[2] or '', pending}) do
    table.insert(result, v)
  end
end
if passes and not (anonymous and wants_proof) then
  for _, key in ipairs(KEYS) do
    redis.call('INCRBY', key .. ':pending', 1)
    redis.call('EXPIRE', key .. ':pending', 120)
  end
  result[1] = 1
end
return result
"""
RECORD = """
local token, now, finish, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local hold = 'photo_booking:hold:' .. token
for _, key in ipairs(KEYS) do
  if ARGV[5] == '1' then
    redis.call('INCRBY', key .. ':pending', -1)
    redis.call('EXPIRE', key .. ':pending', 120)
  end
  redis.call('ZADD', key .. ':made', now, token)
  redis.call('EXPIRE', key .. ':made', ttl)
  redis.call('ZADD', key .. ':open', finish, token)
  redis.call('EXPIRE', key .. ':open', ttl)
  redis.call('SADD', hold, key)
end
redis.call('EXPIRE', hold, ttl)
return 1
"""


class RedisLedger:
    "The holds of every worker, in Redis (None: unreachable, use memory)."

    def __init__(self, store):
        self.store = store

    def check_reserve(self, keys, windows, now, limits, anonymous,
            attempt=None):
        args = [repr(now), int(anonymous)]
        args += [attempt.count, attempt.seconds] if attempt else [0, 0]
        for window, limit in zip(windows, limits):
            args += [window, *limit]
        answer = self.store.script(CHECK_RESERVE,
            [*keys, attempt.key] if attempt else keys, args)
        if answer is None:
            return None
        reserved, hits, values = answer[0], int(answer[1]), answer[2:]
        if attempt and attempt.retry_after(hits):
            return [], False, hits
        usages = []
        for i in range(len(keys)):
            made, oldest, opened, first, pending = values[i * 5:(i + 1) * 5]
            usages.append(Usage(int(made), float(oldest) if oldest else None,
                    int(opened), float(first) if first else None,
                    int(pending)))
        return usages, bool(reserved), hits

    def usage(self, keys, windows, now):
        def queue(pipe):
            for key, window in zip(keys, windows):
                pipe.zremrangebyscore(f'{key}:made', '-inf', now - window)
                pipe.zcard(f'{key}:made')
                pipe.zrange(f'{key}:made', 0, 0, withscores=True)
                pipe.zremrangebyscore(f'{key}:open', '-inf', now)
                pipe.zcard(f'{key}:open')
                pipe.zrange(f'{key}:open', 0, 0, withscores=True)
                pipe.get(f'{key}:pending')
        answers = self.store.pipeline(queue)
        if answers is None:
            return None
        result = []
        for i in range(len(keys)):
            _, made, oldest, _, opened, first, pending = (
                answers[i * 7:(i + 1) * 7])
            result.append(Usage(
                    int(made), oldest[0][1] if oldest else None,
                    int(opened), first[0][1] if first else None,
                    max(int(pending or 0), 0)))
        return result

    def reserve(self, keys, step=1):
        def queue(pipe):
            for key in keys:
                pipe.incrby(f'{key}:pending', step)
                # A worker that died while making a hold: forgotten soon.
                pipe.expire(f'{key}:pending', 120)
        return self.store.pipeline(queue)

    def record(self, keys, windows, token, now, end, release=False):
        # A key lives as long as the longest of its entries may (those
        # past their time are dropped by score when read).
        ttl = max(int(end - now), *map(int, windows), 0) + 1
        return self.store.script(RECORD, keys,
            [token, repr(now), repr(end), ttl, int(release)])

    def release(self, tokens):
        def members(pipe):
            for token in tokens:
                pipe.smembers(f'photo_booking:hold:{token}')
        answers = self.store.pipeline(members)
        if answers is None:
            return None

        def remove(pipe):
            for token, keys in zip(tokens, answers):
                for key in keys:
                    pipe.zrem(f'{key.decode()}:open', token)
                pipe.delete(f'photo_booking:hold:{token}')
        return self.store.pipeline(remove)

    def spend(self, proof, now, end, owner=None):
        key = f'photo_booking:proof:{proof}'
        answers = self.store.pipeline(lambda pipe: (
                pipe.set(key, owner or '', nx=True,
                    ex=max(int(end - now), 1)),
                pipe.get(key)))
        if answers is None:
            return None
        return bool(answers[0]) or (
            owner is not None and answers[1] == owner.encode())


_memory = MemoryLedger()


def _call(method, *args):
    "method of the Redis ledger, else (unreachable, none) of memory's."
    store = security.shared_store()
    if store is not None:
        result = getattr(RedisLedger(store), method)(*args)
        if result is not None:
            return result
    return getattr(_memory, method)(*args)


def _stored(database, keys):
    return [f'photo_booking:abuse:{database}:{kind}:{value}'
        for kind, value in keys.items]


def _windows(keys):
    return [_made_limit(kind)[1] for kind, _ in keys.items]


def check(database, keys, anonymous, proof=None, remote_ip=None, now=None,
        owner=None, attempt=None):
    """Refused if a hold with keys would pass a limit, or (anonymous) needs
    a proof that proof ({'altcha': payload, 'captcha': token}) does not
    give; a proof that passes is spent, except for the request sent again
    by its owner (its Idempotency-Key). With attempt (a security.Attempt),
    the request is counted first: security.TooManyRequests past its limit.

    Else the hold is pending under its keys (counted by the next checks,
    so clients racing from one key cannot pass the limits together) until
    done(the reservation returned), once it is recorded or refused."""
    now = now or time.time()
    if not keys.items:
        wait = security.count(attempt) if attempt else 0
        if wait:
            raise security.TooManyRequests(wait)
        return None
    stored = Reservation(_stored(database, keys))
    limits = _limits(keys)
    # Usually one round trip: the attempt, the usage, and the reservation
    # when it passes without a proof.
    usages, reserved, hits = _call('check_reserve', stored, _windows(keys),
        now, limits, anonymous, attempt)
    if attempt and attempt.retry_after(hits):
        raise security.TooManyRequests(attempt.retry_after(hits))
    try:
        wants_proof = False
        for (kind, _), usage, (cap, count, proof_after) in zip(
                keys.items, usages, limits):
            if usage.open + usage.pending >= cap:
                raise Refused(429, 'msg_abuse_open_holds',
                    _wait(usage.first_end or now + 60, now), {'count': cap})
            if usage.made + usage.pending >= count:
                _, seconds = _made_limit(kind)
                raise Refused(429, 'msg_abuse_holds_made',
                    _wait((usage.oldest or now) + seconds, now))
            wants_proof |= usage.made >= proof_after
        if anonymous and wants_proof:
            check_proof(database, proof or {}, remote_ip, now, owner)
    except Refused:
        if reserved:  # the ledger's view changed between the two
            _call('reserve', stored, -1)
        raise
    if not reserved:
        _call('reserve', stored)
    return stored


class Reservation(list):
    "The stored keys of a hold pending until done() or record(reservation)."
    pending = True


def _limits(keys):
    "(open cap, made count, proof after) per key."
    return [(_open_limit(kind), _made_limit(kind)[0], _proof_after(kind))
        for kind, _ in keys.items]


def passes(usages, limits, anonymous):
    """Whether a hold of these usages is let through without a proof
    (check raises the refusals themselves)."""
    wants_proof = False
    for usage, (cap, count, proof_after) in zip(usages, limits):
        if (usage.open + usage.pending >= cap
                or usage.made + usage.pending >= count):
            return False
        wants_proof |= usage.made >= proof_after
    return not (anonymous and wants_proof)


def done(reservation):
    """The hold check() let through is made (and recorded) or refused: it
    is pending no longer."""
    if reservation and getattr(reservation, 'pending', True):
        reservation.pending = False
        _call('reserve', reservation, -1)


def _wait(until, now):
    return max(1, math.ceil((until or now) - now))


def check_proof(database, proof, remote_ip, now, owner=None):
    "Refused (403 none, 422 wrong or spent) unless proof passes; spends it."
    payload, token = proof.get('altcha'), proof.get('captcha')
    if not payload and not token:
        raise Refused(403, 'msg_abuse_proof_required')
    if payload:
        try:
            verified = altcha.verify(altcha_key(), payload, now)
        except altcha.ProofError:
            raise Refused(422, 'msg_abuse_proof_invalid')
        spent = f'{database}:{verified["signature"]}'
        if not _call('spend', spent, now, verified['expires'], owner):
            raise Refused(422, 'msg_abuse_proof_spent')
    elif not captcha.verify(token, remote_ip):
        raise Refused(422, 'msg_abuse_proof_invalid')


def record(database, keys, token, end, now=None, reservation=None):
    """Count the hold token, open until end (unix time), under its keys;
    the reservation check() gave it is done at the same time."""
    now = now or time.time()
    release = bool(reservation) and reservation.pending
    if release:
        reservation.pending = False
    if keys.items:
        _call('record', _stored(database, keys), _windows(keys), token,
            now, end, release)


def release(tokens):
    "The holds of tokens are open no longer (submitted, cancelled)."
    tokens = list(tokens)
    if tokens:
        _call('release', tokens)


def altcha_key():
    "`[photo_booking] altcha_hmac_key`, else derived from the secret."
    return (config.get(SECTION, 'altcha_hmac_key', default='')
        or security.sign('altcha-key', ''))


def new_challenge(now=None):
    "A fresh ALTCHA challenge, valid altcha_expires seconds."
    now = now or time.time()
    return altcha.create_challenge(
        altcha_key(),
        config.getint(SECTION, 'altcha_max_number',
            default=ALTCHA_MAX_NUMBER),
        now + config.getint(SECTION, 'altcha_expires',
            default=ALTCHA_EXPIRES),
        salt=secrets.token_hex(12))


class AfterCommit(DataManager):
    """A trytond data manager running callbacks once its transaction has
    committed (and dropping them on a rollback): holds are counted and
    released as the database says they are."""

    def __init__(self):
        self.callbacks = []

    def tpc_finish(self, transaction):
        callbacks, self.callbacks = self.callbacks, []
        for callback, args in callbacks:
            callback(*args)

    def tpc_abort(self, transaction):
        self.callbacks = []


def after_commit(transaction, callback, *args):
    transaction.join(AfterCommit()).callbacks.append((callback, args))
