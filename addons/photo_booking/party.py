"Client contacts as every new hold looks them up."
from sql.functions import Lower

from trytond.model import Index
from trytond.pool import PoolMeta


class ContactMechanism(metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # api.client_party finds a returning client by email, whatever its
        # case; party's own index on value cannot serve a case-insensitive
        # match, so without this every hold would scan all contacts. (No
        # condition on the type: SQLite skips indexes with parameters.)
        cls._sql_indexes.add(
            Index(t, (Lower(t.value), Index.Equality())))
