"""SpinStack's play store: schema, migrations, writes and the queries shared by its readers.

Knows the engine's types and aiosqlite; knows nothing of Home Assistant.
"""

from . import enrichment, outbox
from .bulk import name_key
from .clock import LocalClock
from .queries import QUERIES, search_expression
from .schema import SCHEMA_VERSION, SchemaTooNewError
from .store import ORIGIN_LIVE, Store, StoreInfo

__all__ = [
    "ORIGIN_LIVE",
    "QUERIES",
    "SCHEMA_VERSION",
    "LocalClock",
    "SchemaTooNewError",
    "Store",
    "StoreInfo",
    "enrichment",
    "name_key",
    "outbox",
    "search_expression",
]
