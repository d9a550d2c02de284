from .facts import Fact
from .rollups import DailyFigure, DayCarry, HandledDay, RollupState

__all__ = ["DailyFigure", "DayCarry", "Fact", "HandledDay", "RollupState"]
