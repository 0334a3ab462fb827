"""Fuzzing: schemathesis against the served OpenAPI document and hypothesis
against every portal form, counting the answers 5xx and the rows written
by refused requests.

    .venv/bin/python -m bench.fuzz [--api N] [--portal N] [--seed S]

One SQLite database with photo_portal, photo_payment and photo_chat (the
tests' cached install), a studio, a signed-in client with bookings and held
times; requests go through trytond's WSGI application in this process, with
the rate and abuse limits out of the way (so requests reach the code behind
them; tests check the limits).
- API: the document is read from GET /<db>/photo_booking/api/v1/openapi.json;
  schemathesis generates each operation's requests (bodies, query strings,
  headers, path tokens as the document describes them, half of the tokens
  replaced by real ones and half of the requests signed in);
- portal: hypothesis fills every form (booking and details, sign-up,
  sign-in, reset and its confirmation, verification link again, sign-out,
  cabinet cancel, reschedule, review, profile, deletion, chat message, promo
  code) with valid, near-valid and arbitrary values, with the visitor's
  CSRF token (and a forged one now and then), and the GET forms (/book,
  /studios).
Before and after each request every table's row count, highest id and
last write are read: a request answered 4xx must leave them as they were
(web_user's failed sign-in attempts excepted: it records them on purpose).
Prints the counts by status; exits 1 on any 5xx or row written by a 4xx.
Default: 6,000 API and 4,000 portal requests.
"""
import argparse
import logging
import os
import random
import shutil
import sqlite3
import string
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from urllib.parse import quote

from bench.common import progress
from tryton_db import RELAXED_ABUSE, TrytonDB

MODULES = ('photo_portal', 'photo_payment', 'photo_chat')
# Written on purpose by a refused request: web_user counts the failed
# sign-ins (401 / the login page's 400) to slow the next ones.
WRITTEN_ON_PURPOSE = {'web_user_authenticate_attempt'}
PASSWORD = 'Fuzz-Password-2030'


class Snapshot:
    "Every table's (count, max id, max write date), read aside."

    def __init__(self, path):
        self.connection = sqlite3.connect(path, isolation_level=None)
        parts = []
        for table, in self.connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'"):
            columns = {row[1] for row in self.connection.execute(
                    f'PRAGMA table_info("{table}")')}
            parts.append(f"""SELECT '{table}', count(*), {
                'max(id)' if 'id' in columns else 'NULL'}, {
                'max(write_date)' if 'write_date' in columns else 'NULL'}
                FROM "{table}\"""")
        self.query = ' UNION ALL '.join(parts)

    def take(self):
        return {row[0]: row[1:] for row in self.connection.execute(
                self.query)}

    @staticmethod
    def changed(before, after):
        return sorted(t for t in after
            if before.get(t) != after[t] and t not in WRITTEN_ON_PURPOSE)


class Findings:
    "What the requests got, and what went wrong."

    def __init__(self, label):
        self.label = label
        self.statuses = Counter()
        self.kinds = Counter()     # (form or operation, status)
        self.errors = []   # (what, status, detail)
        self.writes = []   # (what, status, tables)

    def record(self, what, status, before, after, body, kind=None):
        self.statuses[status] += 1
        self.kinds[kind or what, status] += 1
        if status >= 500:
            self.errors.append((what, status, body[-700:]))
        elif 400 <= status < 500:
            tables = Snapshot.changed(before, after)
            if tables:
                self.writes.append((what, status, tables))

    @property
    def count(self):
        return sum(self.statuses.values())

    def report(self):
        progress(f"{self.label}: {self.count} requests, statuses "
            f"{dict(sorted(self.statuses.items()))}; "
            f"{len(self.errors)} answers 5xx, {len(self.writes)} refused "
            f"requests that wrote rows")
        by_kind = {}
        for (kind, status), n in sorted(self.kinds.items()):
            by_kind.setdefault(kind, []).append(f'{status}: {n}')
        for kind, counts in by_kind.items():
            progress(f"  {kind}: {', '.join(counts)}")
        for what, status, detail in self.errors[:10]:
            progress(f"  {status} {what}: {detail}")
        for what, status, tables in self.writes[:10]:
            progress(f"  {status} {what} wrote {tables}")
        return not self.errors and not self.writes


def configure(db):
    import trytond.config as config
    db.configure()
    # Mails cannot leave (no SMTP server): said once, not per request.
    logging.basicConfig(level=logging.ERROR)
    for name in ('trytond.sendmail', 'trytond.modules.photo_booking.mail',
            'trytond.modules.photo_notify'):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if not config.has_section('photo_booking'):
        config.add_section('photo_booking')
    for key, value in {
            **RELAXED_ABUSE, 'portal_database': db.name, 'redis_url': '',
            'altcha_max_number': '1000',
            **{f'rate_limit_{kind}': '1000000/60' for kind in (
                    'api_write', 'login', 'booking', 'signup', 'reset',
                    'reset_confirm', 'code', 'chat')},
            }.items():
        config.set('photo_booking', key, value)
    for section, key, value in [
            ('email', 'uri', 'smtp://127.0.0.1:1'),  # mails fail, logged
            ('web_user', 'max_attempt', '1000000'),
            ('web_user', 'max_attempt_ip_network', '1000000')]:
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, key, value)


class World:
    "The records the requests aim at, made once."

    def __init__(self, db):
        import datetime as dt
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        from trytond.modules.photo_booking.tests.tools import (
            create_world, local, tomorrow)
        self.db = db
        with Transaction().start(db.name, 0) as transaction:
            pool = Pool()
            Booking = pool.get('photo.booking')
            w = create_world(photographers=2)
            self.service, self.studio = w.service.id, w.studio.id
            self.photographers = [p.id for p in w.photographers]
            self.email = 'fuzz-client@example.com'
            self.user = self._user(pool, w.client)
            bookings = []
            for day in range(2, 12):
                booking = Booking.create_hold(
                    w.service, local(w.studio, tomorrow(day), 11), w.client,
                    studio=w.studio, email=self.email, phone='+79990001122',
                    source='web', web_user=self.user)
                bookings.append(booking)
            Booking.submit(bookings[:6])
            self.tokens = [b.token for b in bookings]
            self.starts = [
                (dt.datetime.combine(tomorrow(d), dt.time(h))
                    - dt.timedelta(hours=3)).strftime('%Y-%m-%dT%H:%M')
                for d in range(1, 20) for h in range(10, 19)]
            transaction.commit()
        self.session = self.new_session()

    def _user(self, pool, party):
        WebUser = pool.get('web.user')
        user, = WebUser.search([('email', '=', self.email)]) or \
            WebUser.create([{'email': self.email, 'password': PASSWORD,
                        'party': party.id}])
        return user

    def new_session(self):
        """A session key of the client (again after a sign-out); after the
        account's deletion, of a new account given the bookings."""
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(self.db.name, 0) as transaction:
            pool = Pool()
            WebUser = pool.get('web.user')
            Booking = pool.get('photo.booking')
            users = WebUser.search([('email', '=', self.email)])
            if not users:
                self.email = f'fuzz-{uuid.uuid4().hex[:8]}@example.com'
                party, = pool.get('party.party').create([{'name': "Fuzz"}])
                users = WebUser.create([{'email': self.email,
                            'password': PASSWORD, 'party': party.id}])
                Booking.write(Booking.search(
                        [('token', 'in', self.tokens)]),
                    {'web_user': users[0].id})
            key = users[0].new_session()
            transaction.commit()
            return key


def client(address='10.66.0.1'):
    from trytond.modules.photo_booking.tests.tools import AddressedClient
    return AddressedClient(address)


# --- API ----------------------------------------------------------------------

def fuzz_api(db, world, snapshot, count, seed):
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    findings = Findings("API (schemathesis)")
    http = client()
    base = f'/{db.name}/photo_booking/api/v1'
    served = http.get(f'{base}/openapi.json')
    assert served.status_code == 200, served.status_code
    schema = schemathesis.openapi.from_dict(served.json)
    operations = [result.ok() for result in schema.get_all_operations()]
    per_operation = max(1, count // len(operations))
    progress(f"API: {len(operations)} operations from the served document, "
        f"{per_operation} requests each")
    rng = random.Random(seed)

    for operation in operations:
        # A module's routes under their own prefix name it (api_paths).
        prefix = (served.json['paths'][operation.path].get('servers')
            or [{'url': base}])[0]['url']
        # Valid requests and requests the document says are invalid.
        strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
        try:
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
        except Exception:  # nothing to make invalid (no parameters)
            pass

        @settings(max_examples=per_operation, deadline=None, database=None,
            derandomize=True, phases=[Phase.generate],
            suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(strategies), real=st.booleans(),
            signed=st.booleans())
        def run(case, real, signed):
            path_parameters = dict(case.path_parameters or {})
            if real and 'token' in path_parameters:
                path_parameters['token'] = rng.choice(world.tokens)
            path = operation.path.format(**{
                    k: quote(str(v), safe='')
                    for k, v in path_parameters.items()})
            headers = {k: v for k, v in (case.headers or {}).items()
                if isinstance(v, str) and v.isascii()}
            if signed and world.session:
                headers['Authorization'] = f'Bearer {world.session}'
            kwargs = {'headers': headers,
                'query_string': query_string(case.query)}
            if not isinstance(case.body, schemathesis.core.NotSet):
                kwargs['data'] = encoded(case.body)
                kwargs['content_type'] = case.media_type or 'application/json'

            before = snapshot.take()
            try:
                response = http.open(
                    prefix + path, method=case.method.upper(), **kwargs)
                status, body = response.status_code, response.get_data(
                    as_text=True)
            except Exception:
                status, body = 599, traceback.format_exc()
            findings.record(f'{case.method.upper()} {path}', status,
                before, snapshot.take(), body,
                kind=f'{case.method.upper()} {operation.path}')
            if status == 204 and case.method.upper() == 'DELETE' \
                    and operation.path == '/session':
                world.session = world.new_session()  # signed out
        hypothesis.seed(seed)(run)()
    return findings


def encoded(body):
    "A case's body as sent: JSON, or the bytes a negative case made."
    import json
    if isinstance(body, bytes):
        return body
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return str(body)


def query_string(query):
    "A case's query as werkzeug sends it: lists of strings."
    import json
    result = []
    for name, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, bool):
                item = 'true' if item else 'false'
            elif not isinstance(item, str):
                item = json.dumps(item) if isinstance(item, (dict, list)) \
                    else str(item)
            result.append((name, item))
    return result or None


# --- portal -------------------------------------------------------------------

def text(max_size=300):
    from hypothesis import strategies as st
    return st.text(max_size=max_size)


def portal_forms(world):
    "(name, path strategy, fields strategy, signed in) of each portal form."
    from hypothesis import strategies as st
    token = st.one_of(st.sampled_from(world.tokens),
        st.text(alphabet=string.ascii_letters + string.digits + '-_.~%',
            max_size=40))
    number = st.one_of(st.integers(-10, 10 ** 12).map(str), text(20))
    ids = st.one_of(st.sampled_from(
            [str(i) for i in (world.service, world.studio,
                    *world.photographers)] + ['any', 'location']), number)
    start = st.one_of(st.sampled_from(world.starts), text(30))
    email = st.one_of(st.sampled_from([
                world.email, 'new@example.com', 'x@y', '']), st.emails(),
        text(250))
    yes = st.one_of(st.just('yes'), text(5))
    phone = st.one_of(st.just('+7 900 123-45-67'), text(30))
    password = st.one_of(st.just(PASSWORD), text(210))

    def form(valid=None, **fields):
        "Any of fields, or (half the time) the valid ones given."
        anything = st.fixed_dictionaries({}, optional=fields)
        if not valid:
            return anything
        return st.one_of(anything, st.fixed_dictionaries(
                {k: v if isinstance(v, st.SearchStrategy) else st.just(v)
                    for k, v in valid.items()}))
    person = {'name': "Anna", 'email': st.emails(),
        'phone': '+7 900 123-45-67', 'consent': 'yes'}
    contact = dict(name=text(120), email=email, phone=phone,
        comment=text(2100), consent=yes, website=st.just('bot'),
        location=text(220))
    same = st.just
    def at(template):
        "A path strategy: template with a token, or as it is."
        if '<token>' not in template:
            return same(template)
        return token.map(lambda t: template.replace('<token>', t))
    return [(name, at(name), fields, signed) for name, fields, signed in [
        ('/book/hold', form(service=ids, photographer=ids, studio=ids,
                start=start, website=same('bot'), altcha=text(300),
                valid={'service': str(world.service),
                    'studio': str(world.studio),
                    'photographer': st.sampled_from(
                        [str(p) for p in world.photographers] + ['any']),
                    'start': st.sampled_from(world.starts)}), False),
        ('/book/details/<token>', form(valid=person, **contact), False),
        ('/book/details/<token>/code', form(code=text(40)), False),
        ('/account/signup', form(valid={**person, 'password': PASSWORD},
                **contact, password=password), False),
        ('/account/login', form(email=email, password=password,
                valid={'email': world.email, 'password': PASSWORD}), False),
        ('/account/reset', form(email=email, website=same('bot')), False),
        ('/account/reset/confirm', form(email=email, token=text(64),
                password=password), False),
        ('/account/verify/resend', form(), True),
        ('/account/logout', form(), True),
        ('/account/booking/<token>/cancel',
            form(fee=st.one_of(st.just('0.00'), number)), True),
        ('/account/booking/<token>/reschedule', form(start=start), True),
        ('/account/booking/<token>/review', form(rating=number,
                comment=text(2100), valid={
                    'rating': st.sampled_from('12345'),
                    'comment': text(100)}), True),
        ('/account/profile', form(name=text(120), phone=phone, email=email,
                language=st.sampled_from(['ru', 'en', 'xx', '']),
                email_reminders=yes, telegram_notifications=yes), True),
        ('/account/delete', form(confirm=yes), True),
        ('/account/booking/<token>/chat', form(text=text(5000)), True),
        ]]


def fuzz_portal(db, world, snapshot, count, seed):
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from werkzeug.datastructures import MultiDict
    from trytond.modules.photo_portal import security
    findings = Findings("portal (hypothesis)")
    forms = portal_forms(world)
    gets = (
        st.builds(lambda args: ('/book', args), st.dictionaries(
                st.sampled_from(['service', 'photographer', 'studio',
                        'month', 'day', 'lang']),
                text(40), max_size=5)),
        st.builds(lambda args: ('/studios', args), st.dictionaries(
                st.sampled_from(['city', 'lat', 'lon', 'page']),
                text(40), max_size=4)))
    progress(f"portal: {len(forms)} forms and 2 GET forms, {count} "
        "requests")

    @settings(max_examples=count, deadline=None, database=None,
        derandomize=True, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck))
    @given(index=st.integers(0, len(forms) + 1), data=st.data(),
        honest=st.integers(0, 19))
    def run(index, data, honest):
        visitor = client(f'10.67.{honest}.{random.randrange(250)}')
        sid = security.new_session_id()
        visitor.set_cookie('pb_sid', sid)
        if index >= len(forms):
            path, args = data.draw(gets[index - len(forms)])
            before = snapshot.take()
            response = visitor.get(path, query_string=args)
            findings.record(f'GET {path}', response.status_code, before,
                snapshot.take(), response.get_data(as_text=True),
                kind=f'GET {path}')
            return
        name, path_strategy, fields_strategy, signed = forms[index]
        path = data.draw(path_strategy)
        fields = data.draw(fields_strategy)
        key = None
        if signed:
            key = world.session or world.new_session()
            world.session = key
            visitor.set_cookie('pb_session', key)
        # One form in twenty with a forged token.
        fields['csrf'] = (security.csrf_token(sid, key) if honest
            else uuid.uuid4().hex)
        before = snapshot.take()
        try:
            response = visitor.post(path, data=MultiDict(fields))
            status, body = response.status_code, response.get_data(
                as_text=True)
        except Exception:
            status, body = 599, traceback.format_exc()
        findings.record(f'POST {path}', status, before, snapshot.take(),
            body, kind=f'POST {name}')
        if signed and status == 303 and path in (
                '/account/logout', '/account/delete'):
            world.session = None  # signed out or deleted: a new one
    hypothesis.seed(seed)(run)()
    return findings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--api', type=int, default=6000)
    parser.add_argument('--portal', type=int, default=4000)
    parser.add_argument('--seed', type=int, default=7)
    args = parser.parse_args(argv)
    started = time.monotonic()
    progress(f"creating a SQLite database with {', '.join(MODULES)}")
    # In memory (tmpfs) where there is one: commits need no disk.
    shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
    db = TrytonDB('sqlite', modules=MODULES,
        workdir=tempfile.mkdtemp(prefix='photo-fuzz-', dir=shm)).create()
    configure(db)
    from trytond.pool import Pool
    Pool(db.name).init()
    world = World(db)
    snapshot = Snapshot(db.sqlite_file)
    results = []
    if args.api:
        results.append(fuzz_api(db, world, snapshot, args.api, args.seed))
        results[-1].report()
    if args.portal:
        results.append(fuzz_portal(
                db, world, snapshot, args.portal, args.seed))
        results[-1].report()
    shutil.rmtree(db.workdir, ignore_errors=True)
    total = sum(f.count for f in results)
    ok = all(not f.errors and not f.writes for f in results)
    progress(f"{total} generated requests in "
        f"{time.monotonic() - started:.0f} s: "
        + ("no answer 5xx, no row written by a refused request" if ok
            else "FAILED"))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
