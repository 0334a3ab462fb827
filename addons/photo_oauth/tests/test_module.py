from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)
from trytond.modules.photo_oauth.providers import Person


class PhotoOAuthTestCase(CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_oauth module"
    module = 'photo_oauth'

    def linked_ann(self):
        "Ann's web user with her Google account '1', and Bob's."
        pool = Pool()
        User = pool.get('web.user')
        Identity = pool.get('photo.oauth.identity')
        ann, bob = User.create([
                {'email': 'ann@example.com'}, {'email': 'bob@example.com'}])
        Identity.link(ann, 'google', Person('1', 'ann@example.com', True))
        return ann, bob

    @with_transaction()
    def test_provider_account_links_once(self):
        "A provider's account links to one web user"
        Identity = Pool().get('photo.oauth.identity')
        ann, bob = self.linked_ann()
        self.assertEqual(Identity.find('google', '1').web_user, ann)
        self.assertIsNone(Identity.find('apple', '1'))
        with self.assertRaises(SQLConstraintError):
            Identity.link(bob, 'google', Person('1', 'ann@example.com', True))

    @with_transaction()
    def test_one_account_per_provider(self):
        "A web user has one account per provider"
        Identity = Pool().get('photo.oauth.identity')
        ann, bob = self.linked_ann()
        Identity.link(ann, 'apple', Person('1'))
        with self.assertRaises(SQLConstraintError):
            Identity.link(ann, 'google', Person('2', 'ann@example.com', True))

    @with_transaction()
    def test_unlink_keeps_a_way_in(self):
        "The last provider of an account without a password cannot go"
        pool = Pool()
        User = pool.get('web.user')
        Identity = pool.get('photo.oauth.identity')
        user, = User.create([{'email': 'ann@example.com'}])
        google = Identity.link(user, 'google', Person('1'))
        self.assertFalse(User(user.id).can_unlink(google))
        Identity.link(user, 'vk', Person('7'))
        self.assertTrue(User(user.id).can_unlink(google))
        other, = User.create([{'email': 'bob@example.com'}])
        other.password = 'Correct-Horse-7-Battery'
        other.save()
        apple = Identity.link(other, 'apple', Person('9'))
        self.assertTrue(User(other.id).can_unlink(apple))

    @with_transaction()
    def test_closed_account_loses_its_links(self):
        "Deactivating a web user removes its sign-in accounts"
        pool = Pool()
        User = pool.get('web.user')
        Identity = pool.get('photo.oauth.identity')
        user, = User.create([{'email': 'ann@example.com'}])
        Identity.link(user, 'google', Person('1'))
        User.write([user], {'active': False})
        self.assertEqual(Identity.search([]), [])
        self.assertIsNone(Identity.find('google', '1'))


del ModuleTestCase
