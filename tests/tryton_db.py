"""Throw-away Tryton databases for the concurrency and browser tests and the
benchmarks.

Everything touching trytond runs in child processes: trytond's config and
backend are process-wide, and each backend needs its own.

Installing photo_portal (and photo_booking) takes 30-60 s on PostgreSQL, so
the first install is kept as a template keyed by the modules' model sources (a PostgreSQL
template database photo_tmpl_<hash>, an SQLite file in the temp dir) and
each test database is a fresh, uniquely named copy of it.
PHOTO_DB_CACHE=0 installs from scratch every time.
"""
import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid

PG_URI = os.environ.get(
    'PHOTO_PG_URI', 'postgresql://postgres@127.0.0.1:5432/')
MODULE = 'photo_portal'
# photo_booking's abuse limits (abuse.py, photo_portal's security.LIMITS)
# high enough for servers whose every client is 127.0.0.1: benchmarks,
# concurrency and browser tests ([photo_booking] keys).
RELAXED_ABUSE = {
    **{f'{limit}_{kind}': value
        for limit, value in [('holds_per', '1000000/60'),
            ('open_holds_per', '1000000'), ('proof_after', '1000000')]
        for kind in ('ip', 'contact', 'device')},
    **{f'rate_limit_{kind}': '1000000/60' for kind in (
            'portal_write', 'account_write', 'signup_contact',
            'reset_contact', 'api_booking')},
    }
ADDONS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'addons')
VENV_BIN = os.path.dirname(sys.executable)
USE_CACHE = os.environ.get('PHOTO_DB_CACHE', '1') != '0'
SQLITE_CACHE = os.path.join(tempfile.gettempdir(), 'photo-db-cache')


def _root(module):
    """The directory of a module of this suite: under addons/, or linked
    into trytond's modules (the benches' own), else None."""
    root = os.path.join(ADDONS, module)
    if os.path.isdir(root):
        return root
    import trytond.modules
    linked = os.path.join(os.path.dirname(trytond.modules.__file__), module)
    if os.path.islink(linked):
        return os.path.realpath(linked)
    return None


def _manifest(module):
    import configparser
    manifest = configparser.ConfigParser()
    manifest.read(os.path.join(_root(module), 'tryton.cfg'))
    return manifest


def with_suite_depends(modules):
    "modules and the modules of this suite they depend on, sorted."
    found, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        if module in found or _root(module) is None:
            continue
        found.add(module)
        todo.extend(_manifest(module)['tryton'].get('depends', '').split())
    return sorted(found)


def module_hash(modules=(MODULE,)):
    """Digest of what an install of modules depends on: trytond, and of
    each module of the suite installed with them the manifest, the XML, the
    Tryton translations and the files declaring models (the [register]
    sections)."""
    from importlib.metadata import version
    digest = hashlib.sha1(version('trytond').encode())
    for module in with_suite_depends(modules):
        root = _root(module)
        manifest = _manifest(module)
        files = {'tryton.cfg'}
        for section in manifest.sections():
            if section.startswith('register'):
                for value in manifest[section].values():
                    files |= {f'{name.split(".")[0]}.py'
                        for name in value.split()}
        files |= {os.path.relpath(p, root)
            for pattern in ('*.xml', 'view/*.xml', 'locale/*.po',
                'locale/override/*.po')
            for p in glob.glob(os.path.join(root, pattern))}
        for name in sorted(files):
            digest.update(f'{module}/{name}'.encode())
            with open(os.path.join(root, name), 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()[:12]


def new_sqlite_database(path, modules=(MODULE,)):
    """The SQLite database file path with modules (photo_portal) activated:
    a copy of the cached install, made by the first caller of the run."""
    db = TrytonDB('sqlite', modules=modules).create()
    try:
        TrytonDB._sqlite_copy(db.sqlite_file, path)
    finally:
        db.drop()


def _pg(sql, database='postgres'):
    import psycopg
    with psycopg.connect(PG_URI + database, autocommit=True) as c:
        cursor = c.execute(sql)
        return cursor.fetchall() if cursor.description else None


class TrytonDB:
    """A database with photo_portal (or module) activated, dropped by
    drop()."""

    def __init__(self, backend, workdir=None, module=MODULE, modules=None):
        assert backend in ('postgresql', 'sqlite')
        self.backend = backend
        self.modules = tuple(modules or (module,))
        self.workdir = workdir or tempfile.mkdtemp(prefix='photo-db-')
        self.name = f'photo_{backend[:2]}_{uuid.uuid4().hex[:10]}'
        self.uri = PG_URI if backend == 'postgresql' else 'sqlite://'
        self.path = self.workdir
        self.config_file = os.path.join(self.workdir, 'trytond.conf')
        with open(self.config_file, 'w') as f:
            f.write(
                f'[database]\nuri = {self.uri}\npath = {self.path}\n'
                '[cache]\nclean_timeout = 0\n')

    @property
    def sqlite_file(self):
        return os.path.join(self.path, self.name + '.sqlite')

    def configure(self):
        "Point this process's trytond at the database (before Pool use)."
        from trytond.config import config
        config.set('database', 'uri', self.uri)
        config.set('database', 'path', self.path)
        config.set('cache', 'clean_timeout', '0')

    def create(self):
        if not USE_CACHE:
            self._install()
            return self
        # One template per set of modules: a run drops only the stale
        # templates of its own set.
        prefix = 'photo_tmpl' + ('' if self.modules == (MODULE,)
            else hashlib.sha1(' '.join(self.modules).encode()).hexdigest()[:6])
        template = f'{prefix}_{module_hash(self.modules)}'
        if self.backend == 'postgresql':
            existing = {name for name, in _pg(
                    "SELECT datname FROM pg_database "
                    f"WHERE datname LIKE '{prefix}\\_%'")}
            if template not in existing:
                self._install()
                try:
                    _pg(f'CREATE DATABASE "{template}" TEMPLATE "{self.name}"')
                except Exception:
                    pass  # a concurrent run made it, or the copy was busy
                for stale in existing - {template}:
                    try:
                        _pg(f'DROP DATABASE IF EXISTS "{stale}"')
                    except Exception:
                        pass  # being copied by another run: next time
                return self
            _pg(f'CREATE DATABASE "{self.name}" TEMPLATE "{template}"')
        else:
            cached = os.path.join(SQLITE_CACHE, template + '.sqlite')
            if not os.path.exists(cached):
                self._install()
                os.makedirs(SQLITE_CACHE, exist_ok=True)
                partial = f'{cached}.{uuid.uuid4().hex}'
                self._sqlite_copy(self.sqlite_file, partial)
                os.replace(partial, cached)
                for stale in glob.glob(
                        os.path.join(SQLITE_CACHE, f'{prefix}_*.sqlite')):
                    if stale != cached:
                        os.remove(stale)
                return self
            self._sqlite_copy(cached, self.sqlite_file)
        return self

    @staticmethod
    def _sqlite_copy(source, target):
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()

    def _install(self):
        env = dict(os.environ)
        env['TRYTOND_CONFIG'] = self.config_file
        passfile = os.path.join(self.workdir, 'admin.pass')
        with open(passfile, 'w') as f:
            f.write('admin-' + uuid.uuid4().hex + '\n')
        env['TRYTONPASSFILE'] = passfile
        if self.backend == 'postgresql':
            _pg(f'CREATE DATABASE "{self.name}"')
            # Installing is hundreds of small commits: don't wait for the
            # disk while it runs (reset below).
            _pg(f'ALTER DATABASE "{self.name}" SET synchronous_commit = off')
        else:
            sqlite3.connect(self.sqlite_file).close()
        subprocess.run([
                os.path.join(VENV_BIN, 'trytond-admin'),
                '-c', self.config_file, '-d', self.name,
                '-u', *self.modules, '--activate-dependencies',
                # Russian loaded, as the demo does: model texts, month and
                # day names in Russian (the portal's default language)
                '-l', 'ru', '--email', 'admin@example.com'],
            check=True, env=env, stdout=subprocess.DEVNULL)
        os.remove(passfile)
        if self.backend == 'postgresql':
            _pg(f'ALTER DATABASE "{self.name}" RESET synchronous_commit')

    def connect(self):
        "A plain DB-API connection (no trytond) for audits and bulk loads."
        if self.backend == 'postgresql':
            import psycopg
            return psycopg.connect(PG_URI + self.name)
        return sqlite3.connect(self.sqlite_file, timeout=30)

    def drop(self):
        if self.backend == 'postgresql':
            _pg(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            for suffix in ('', '-wal', '-shm'):
                try:
                    os.remove(self.sqlite_file + suffix)
                except FileNotFoundError:
                    pass
        shutil.rmtree(self.workdir, ignore_errors=True)
