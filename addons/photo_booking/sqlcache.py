"""The hot queries of a hold, rendered once.

python-sql renders a query's text anew each time it is run, which costs more
than PostgreSQL takes to run a short query: 0.1 ms for the bookings in a
slot's way. execute() renders a query once per shape and backend, with
placeholders where its values go, and runs it with each call's values.
"""
from trytond import backend

_rendered = {}


class Param:
    "The place of a value (item index of a list value) in a rendered query."
    __slots__ = ('name', 'index')

    def __init__(self, name, index=None):
        self.name = name
        self.index = index

    def value(self, values):
        value = values[self.name]
        return value if self.index is None else value[self.index]


def execute(cursor, key, build, **values):
    """Run the python-sql query build(**placeholders) with values.

    build gets a Param for each value, a list of them for a list value: it
    must not look at them, only place them. key names what else the query's
    shape depends on; the lengths of list values are added to it."""
    shape = (backend.name, key) + tuple(
        (name, len(value)) for name, value in values.items()
        if isinstance(value, list))
    try:
        sql, params = _rendered[shape]
    except KeyError:
        query = build(**{
                name: ([Param(name, i) for i in range(len(value))]
                    if isinstance(value, list) else Param(name))
                for name, value in values.items()})
        sql, params = _rendered[shape] = tuple(query)
    cursor.execute(sql, [
            p.value(values) if isinstance(p, Param) else p for p in params])
