from .csat import CsatSettings, CsatSurvey
from .facts import Fact
from .rollups import DailyFigure, DayCarry, HandledDay, RollupState
from .sla import SlaClock, SlaPolicy

__all__ = [
    "CsatSettings",
    "CsatSurvey",
    "DailyFigure",
    "DayCarry",
    "Fact",
    "HandledDay",
    "RollupState",
    "SlaClock",
    "SlaPolicy",
]
