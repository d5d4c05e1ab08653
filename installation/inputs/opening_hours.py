"""Opening hours: reads the wall clock against ``[schedule]`` and posts ``OpeningHours``.

Whether the show is open is computed from the local wall-clock time at each check (about once
a second, a few microseconds), never from a timer set for the next closing: a clock set
forward or back (an NTP correction, a machine that slept), or a daylight saving change, is
simply read at the next check. The source is polled on the frame loop (no thread); it posts
the state once at start and then only when it changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta

from installation.config.schedule_schema import WEEKDAYS, ScheduleSection, minute_of_day
from installation.events import OpeningHours
from installation.inputs.base import InputSource, Post

WallClock = Callable[[], datetime]
"""The local time now, timezone-aware (tests inject their own)."""
CHECK_SECONDS = 1.0


def local_now() -> datetime:
    return datetime.now().astimezone()


class Hours:
    """The pure question: is the show open at this local time, and why (or why not)?"""

    def __init__(self, settings: ScheduleSection) -> None:
        self.days = frozenset(WEEKDAYS.index(day) for day in settings.days)
        self.closed_dates = settings.dates_closed
        self.opens, self.closes = minute_of_day(settings.opens), minute_of_day(settings.closes)
        self.opens_text, self.closes_text = settings.opens, settings.closes

    def plays(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.closed_dates

    def _why_not(self, day: date) -> str:
        if day in self.closed_dates:
            return f"closed on {day.isoformat()}"
        return f"closed on {WEEKDAYS[day.weekday()]}"

    def state(self, moment: datetime) -> tuple[bool, str]:
        """``(open, reason)`` at ``moment``: its local date and time of day, as on a wall clock."""
        day, minute = moment.date(), moment.hour * 60 + moment.minute
        if self.opens < self.closes:  # the same day
            if not self.plays(day):
                return False, self._why_not(day)
            if minute < self.opens:
                return False, f"opens at {self.opens_text}"
            if minute >= self.closes:
                return False, f"closed at {self.closes_text}"
            return True, f"open until {self.closes_text}"
        # Closes after midnight: the night belongs to the day it opened on.
        if minute >= self.opens:
            if self.plays(day):
                return True, f"open until {self.closes_text} tomorrow"
            return False, self._why_not(day)
        if minute < self.closes:
            opened = day - timedelta(days=1)
            if self.plays(opened):
                return True, f"open until {self.closes_text}"
            return False, self._why_not(opened)
        if not self.plays(day):
            return False, self._why_not(day)
        return False, f"opens at {self.opens_text}"


class OpeningHoursInput(InputSource):
    """Posts ``OpeningHours`` at start and whenever the show opens or closes."""

    name = "opening hours"
    polled = True

    def __init__(
        self,
        settings: ScheduleSection,
        wall: WallClock = local_now,
        every_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.hours = Hours(settings)
        self._wall = wall
        self._every = every_seconds
        self._next = -math.inf
        self._post: Post = lambda event: None
        self.open: bool | None = None

    def start(self, post: Post) -> None:
        self._post = post
        self.open = None
        self.check()

    def poll(self, now: float) -> None:
        if now < self._next:
            return
        self._next = now + self._every
        self.check()

    def check(self) -> None:
        """Read the wall clock; post when the state is new."""
        is_open, reason = self.hours.state(self._wall())
        if is_open != self.open:
            self.open = is_open
            self._post(OpeningHours(is_open, reason))
