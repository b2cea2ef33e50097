"""Working days (第十二、十九条 deadlines): see `govdata.workdays.calendar`."""

from govdata.workdays.calendar import add, between, is_workday

__all__ = ["add", "between", "is_workday"]
