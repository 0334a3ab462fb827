"""python-telegram-bot's persistence on the database (photo.telegram.state):
each chat's data and every persistent dialogue's state, written after each
update (bot.flush), so a restarted bot resumes mid-dialogue."""
import json

from telegram.ext import BasePersistence, PersistenceInput
from trytond.pool import Pool


def _state():
    return Pool().get('photo.telegram.state')


class TrytonPersistence(BasePersistence):

    def __init__(self, store, update_interval=60):
        super().__init__(store_data=PersistenceInput(bot_data=False,
                chat_data=True, user_data=False, callback_data=False),
            update_interval=update_interval)
        self.store = store

    async def get_chat_data(self):
        rows = await self.store.run(lambda: _state().load('chat'))
        return {int(key): data for key, data in rows.items()}

    async def update_chat_data(self, chat_id, data):
        await self.store.run(
            lambda: _state().store('chat', str(chat_id), data or None))

    async def drop_chat_data(self, chat_id):
        await self.update_chat_data(chat_id, None)

    async def refresh_chat_data(self, chat_id, chat_data):
        pass

    async def get_conversations(self, name):
        rows = await self.store.run(
            lambda: _state().load(f'conversation:{name}'))
        return {tuple(json.loads(key)): state
            for key, state in rows.items()}

    async def update_conversation(self, name, key, new_state):
        await self.store.run(lambda: _state().store(
                f'conversation:{name}', json.dumps(list(key)), new_state))

    async def get_user_data(self):
        return {}

    async def update_user_data(self, user_id, data):
        pass

    async def drop_user_data(self, user_id):
        pass

    async def refresh_user_data(self, user_id, user_data):
        pass

    async def get_bot_data(self):
        return {}

    async def update_bot_data(self, data):
        pass

    async def refresh_bot_data(self, bot_data):
        pass

    async def get_callback_data(self):
        return None

    async def update_callback_data(self, data):
        pass

    async def flush(self):
        pass
