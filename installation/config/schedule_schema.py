"""``[schedule]``: the show's opening hours (a gallery's days, hours and holidays).

Outside the hours the show blacks out and rests (no scene work, no camera, no posting) and
comes back by itself at opening time; ``inputs/opening_hours.py`` reads the wall clock
against this table. Times are local wall-clock times, so the hours stay put across daylight
saving changes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from installation.config.paths import Table as _Table

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in ``date.weekday()`` order."""
_TIME = re.compile(r"^(\d\d):(\d\d)$")


def minute_of_day(text: str) -> int:
    """``"HH:MM"`` -> minutes since midnight (``"24:00"`` -> 1440), or ValueError."""
    match = _TIME.match(text)
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    if not (match and ((hours < 24 and minutes < 60) or text == "24:00")):
        raise ValueError(f"{text!r} is not a time of day: write HH:MM, from 00:00 to 23:59")
    return hours * 60 + minutes


class ScheduleSection(_Table):
    """``[schedule]``: the days and hours the show plays; closed outside them.

    ``closes`` at or before ``opens`` means the show closes after midnight (a night opening
    from 20:00 to 02:00 belongs to the day it opens on, as do ``days`` and ``closed_dates``).
    """

    enabled: bool = Field(False, description="true: the show plays only in these hours")
    days: tuple[Weekday, ...] = Field(
        WEEKDAYS, min_length=1, description="the weekdays it opens on (mon, tue, ... sun)"
    )
    opens: str = Field("00:00", description="opening time, HH:MM local time")
    closes: str = Field(
        "24:00",
        description="closing time, HH:MM local time (24:00 = midnight); at or before opens: "
        "it closes after midnight",
    )
    closed_dates: tuple[str, ...] = Field(
        (), description="days it stays closed (holidays): YYYY-MM-DD, local dates"
    )
    display_off_command: tuple[str, ...] = Field(
        (),
        description='run at closing, e.g. ["xset", "dpms", "force", "off"] (an argument '
        "list, no shell); [] = none",
    )
    display_on_command: tuple[str, ...] = Field(
        (),
        description='run at opening and at a start in the hours, e.g. ["xset", "dpms", '
        '"force", "on"]; [] = none',
    )
    command_timeout_seconds: float = Field(
        10.0, gt=0.0, le=600.0, description="a display command still running after this is ended"
    )

    @field_validator("opens")
    @classmethod
    def _opens(cls, value: str) -> str:
        if minute_of_day(value) >= 24 * 60:
            raise ValueError("opens must be from 00:00 to 23:59")
        return value

    @field_validator("closes")
    @classmethod
    def _closes(cls, value: str) -> str:
        minute_of_day(value)
        return value

    @field_validator("closed_dates", mode="before")
    @classmethod
    def _dates(cls, value: object) -> object:
        if not isinstance(value, list | tuple):
            return value
        for text in value:
            if not (isinstance(text, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", text)):
                raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD")
            try:
                date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD") from None
        return tuple(value)

    @model_validator(mode="after")
    def _hours(self) -> ScheduleSection:
        if minute_of_day(self.opens) == minute_of_day(self.closes):
            raise ValueError(
                f"opens and closes are both {self.opens}: for a show open all day, write "
                'opens = "00:00" and closes = "24:00" (the defaults)'
            )
        return self

    @property
    def dates_closed(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(text) for text in self.closed_dates)
