"""SpinStack's insights: every view of the listening history, from the store's roll-ups.

Knows the store; knows nothing of Home Assistant. The service ``spinstack.get_insights``, the panel's websocket
commands and the benchmark all go through :class:`Insights`.
"""

from .periods import PERIODS, InsightsError, Period, resolve
from .views import DRILLS, VIEWS, Insights, Request, as_tuple, parse_dates

__all__ = [
    "DRILLS",
    "PERIODS",
    "VIEWS",
    "Insights",
    "InsightsError",
    "Period",
    "Request",
    "as_tuple",
    "parse_dates",
    "resolve",
]
