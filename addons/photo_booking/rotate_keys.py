"""Re-encrypt every encrypted value with the current key.

    python -m trytond.modules.photo_booking.rotate_keys -c config/trytond.conf -d demo

Put the new key first in `[photo_booking] encryption_keys` (keep the old
ones after it), restart, run this, then drop the old keys. It commits every
batch and prints its progress; interrupted, it resumes where it stopped
(values under the current key are skipped), and run again it changes
nothing. `--rehash` also recomputes the keyed hashes of phones and e-mails,
after `hash_key` changed (searches miss the rows not done yet meanwhile).
"""
import argparse
import os
import sys

from trytond.model import ModelSQL


def encrypted_models(pool):
    "The models of pool with encrypted fields, by name."
    return [Model for _, Model in sorted(pool.iterobject(), key=lambda x: x[0])
        if isinstance(Model, type) and issubclass(Model, ModelSQL)
        and getattr(Model, '_encrypted_fields', None)
        and not Model._is_table_query()]


def rotate(pool, rehash=False, batch=500, out=None, commit=False):
    "Re-encrypt the values of every model in pool; the number changed."
    from .encryption import reencrypt

    def progress(where, done, total):
        if out:
            print(f"{where}: {done}/{total}", file=out, flush=True)
    return sum(reencrypt(Model, rehash=rehash, batch=batch,
            progress=progress, commit=commit)
        for Model in encrypted_models(pool))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m trytond.modules.photo_booking.rotate_keys',
        description=__doc__.strip().splitlines()[0])
    parser.add_argument('-c', '--config', dest='configfile',
        help="trytond configuration file")
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--rehash', action='store_true',
        help="recompute every keyed hash (after hash_key changed)")
    parser.add_argument('--batch', type=int, default=500,
        help="rows per committed batch (default: 500)")
    args = parser.parse_args(argv)

    from trytond import config
    config.update_etc(args.configfile or os.environ.get('TRYTOND_CONFIG'))
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(args.database)
    pool.init()
    with Transaction().start(args.database, 0, readonly=False):
        from .encryption import keyring
        current = keyring().current
        changed = rotate(pool, rehash=args.rehash, batch=args.batch,
            out=sys.stdout, commit=True)
    print(f"{changed} values re-encrypted; every value is under key "
        f"{current!r}: the other keys can be removed.")


if __name__ == '__main__':
    main()
