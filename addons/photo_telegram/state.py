"""The bot's dialogue state kept in the database, so a restarted bot
resumes each conversation where it was (persistence.py reads and writes
it); and the bot's extension point."""
import json

from trytond.model import Index, Model, ModelSQL, Unique, fields


class State(ModelSQL):
    "Telegram Dialogue State"
    __name__ = 'photo.telegram.state'
    kind = fields.Char("Kind", required=True,
        help="'chat' for a chat's data, 'conversation:<name>' for the "
        "state of a dialogue.")
    key = fields.Char("Key", required=True)
    data = fields.Text("Data", help="JSON.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('kind_key_unique', Unique(t, t.kind, t.key),
                'photo_telegram.msg_state_unique'),
            ]

    @classmethod
    def load(cls, kind):
        "{key: data} of kind."
        return {s.key: json.loads(s.data) for s in cls.search(
                [('kind', '=', kind)]) if s.data is not None}

    @classmethod
    def store(cls, kind, key, data):
        "Keep data (JSON-able) for (kind, key); None forgets it."
        states = cls.search([('kind', '=', kind), ('key', '=', key)])
        if data is None:
            cls.delete(states)
        elif states:
            cls.write(states, {'data': json.dumps(data)})
        else:
            cls.create([{'kind': kind, 'key': key,
                        'data': json.dumps(data)}])


class Bot(Model):
    """Telegram Bot

    Its handlers: other modules add theirs by extending get_handlers
    (e.g. photo_chat's bridge of replies)."""
    __name__ = 'photo.telegram.bot'

    @classmethod
    def get_handlers(cls):
        """[(python-telegram-bot handler, group)] of the bot. Groups run in
        order, one handler each: -1 sees every update first (raise
        telegram.ext.ApplicationHandlerStop to end it there), 0 holds the
        dialogues and commands, 1 the catch-alls (stale buttons)."""
        from . import bot
        return bot.handlers()


class Update(ModelSQL):
    """Telegram Update

    What the webhook received, waiting for the bot process, which handles
    them in order (one copy of each dialogue's state)."""
    __name__ = 'photo.telegram.update'
    update_id = fields.Integer("Update ID", required=True)
    data = fields.Text("Data", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('update_id_unique', Unique(t, t.update_id),
                'photo_telegram.msg_update_unique'),
            ]
        cls._order.insert(0, ('update_id', 'ASC'))

    @classmethod
    def put(cls, data):
        "Queue an update once (Telegram sends it again if not answered)."
        if not cls.search([('update_id', '=', data['update_id'])], limit=1):
            cls.create([{'update_id': data['update_id'],
                        'data': json.dumps(data)}])

    @classmethod
    def take(cls, size=50):
        "The oldest queued updates (as dicts), removed from the queue."
        updates = cls.search([], limit=size)
        result = [json.loads(u.data) for u in updates]
        cls.delete(updates)
        return result


class ServerError(ModelSQL):
    """Server Error

    A 5xx answer of the web application (wsgi.ServerErrors writes one per
    answer, in its own transaction), counted by the staff alerts: the rows
    of every worker process meet here."""
    __name__ = 'photo.telegram.server_error'
    at = fields.DateTime("At", required=True)
    status = fields.Integer("Status", required=True)
    path = fields.Char("Path", help="Without the tokens URLs carry.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.at, Index.Range())))
        cls._order.insert(0, ('at', 'DESC'))

    @classmethod
    def record(cls, status, path, at):
        cls.create([{'at': at, 'status': status, 'path': path[:200]}])

    @classmethod
    def since(cls, start):
        "(count, the latest's path) of the errors since start."
        count = cls.search_count([('at', '>=', start)])
        latest = cls.search([('at', '>=', start)], limit=1)
        return count, latest[0].path if latest else None

    @classmethod
    def purge(cls, before):
        cls.delete(cls.search([('at', '<', before)]))
