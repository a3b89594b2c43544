"""A count of the write statements this thread has sent: a value read earlier (the bell's count,
read with the session lookup) stays good while the count has not moved."""
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
_local = threading.local()


def write_mark():
    """The number of write statements this thread has sent so far (it only grows)."""
    return getattr(_local, "n", 0)


@event.listens_for(Engine, "before_cursor_execute")
def _count_write(conn, cursor, statement, parameters, context, executemany):
    if statement[:16].lstrip().upper().startswith(WRITE_VERBS):
        _local.n = getattr(_local, "n", 0) + 1
