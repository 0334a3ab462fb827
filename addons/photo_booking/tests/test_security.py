"The web safety the API and the portal share, as plain functions."
import unittest
import uuid

import trytond.config as config

from trytond.modules.photo_booking import security
from trytond.modules.photo_booking.tests.tools import set_config


class SecurityTestCase(unittest.TestCase):
    "Device and calendar tokens, the signing secret and rate limits"

    def test_device_token(self):
        "A device token holds for its email and password hash only"
        token = security.device_token('a@example.com', 'hash-1')
        self.assertTrue(
            security.check_device(token, 'a@example.com', 'hash-1'))
        for email, hash_ in [('b@example.com', 'hash-1'),
                ('a@example.com', 'hash-2'), ('a@example.com', None)]:
            self.assertFalse(security.check_device(token, email, hash_))
        self.assertFalse(
            security.check_device('x.y', 'a@example.com', 'hash-1'))

    def test_retry_after(self):
        "Over the limit, the seconds to wait; within it, 0"
        set_config(self.addCleanup, 'photo_booking',
            'rate_limit_reset_confirm', '2/60')
        address = uuid.uuid4().hex
        waits = [security.retry_after('reset_confirm', address, '5/3600')
            for _ in range(3)]
        self.assertEqual(waits[:2], [0, 0])
        self.assertIn(waits[2], range(1, 61))

    def test_calendar_uid(self):
        "A booking's calendar UID is stable and does not give its token"
        token = uuid.uuid4().hex
        uid = security.calendar_uid(token)
        self.assertEqual(security.calendar_uid(token), uid)
        self.assertNotIn(token, uid)
        self.assertNotEqual(security.calendar_uid(uuid.uuid4().hex), uid)

    def test_secret_shared_through_data_path(self):
        "Without a configured secret, workers share one kept on disk"
        import os
        import tempfile
        directory = tempfile.mkdtemp()
        saved = config.get('database', 'path')
        config.set('database', 'path', directory)
        self.addCleanup(config.set, 'database', 'path', saved)
        first = security._secret()
        security._file_secrets.clear()
        self.assertEqual(security._secret(), first)
        path = os.path.join(directory, security.SECRET_FILE)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

    def test_memory_counter(self):
        counter = security.MemoryCounter()
        self.assertEqual([counter.hit('k', 60) for _ in range(3)], [1, 2, 3])

    def test_redis_unreachable_falls_back(self):
        counter = security.RedisCounter('redis://127.0.0.1:1/0')
        self.assertIsNone(counter.hit('k', 60))
        self.assertIsNone(counter.hit('k', 60))

    def test_redis_counter(self):
        "With Redis reachable the limit is shared through it"
        import redis
        url = 'redis://127.0.0.1:6379/0'
        try:
            redis.Redis.from_url(url, socket_timeout=0.2).ping()
        except redis.RedisError:
            self.skipTest("no Redis at 127.0.0.1:6379")
        counter = security.RedisCounter(url)
        key = f'photo_booking:test:{uuid.uuid4().hex}'
        self.assertEqual([counter.hit(key, 60) for _ in range(3)], [1, 2, 3])
        # The key expires with its window (a TTL of -1 would keep it).
        self.assertIn(redis.Redis.from_url(url).ttl(key), range(1, 61))

    def test_parse_limit(self):
        self.assertEqual(security.parse_limit('5/60', '1/1'), (5, 60))
        self.assertEqual(security.parse_limit('bad', '1/2'), (1, 2))
