"""Opening hours: the pure open/closed question over a week, past midnight, across daylight
saving changes, and the source that posts it (once at start, then on changes only), whatever
the wall clock does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from installation.config.schedule_schema import ScheduleSection
from installation.events import Event, OpeningHours
from installation.inputs.opening_hours import Hours, OpeningHoursInput

LONDON = ZoneInfo("Europe/London")
GALLERY = ScheduleSection(
    enabled=True,
    days=("tue", "wed", "thu", "fri", "sat", "sun"),
    opens="10:00",
    closes="18:00",
    closed_dates=("2025-12-25",),
)
NIGHTS = ScheduleSection(enabled=True, days=("fri", "sat"), opens="20:00", closes="02:00")


def at(text: str, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def open_hours(schedule: ScheduleSection, monday: str) -> dict[str, list[int]]:
    """Per weekday of the week starting ``monday``, the hours (local) at :30 it is open."""
    hours = Hours(schedule)
    start = at(monday)
    week: dict[str, list[int]] = {}
    for offset in range(7 * 24):
        moment = start + timedelta(hours=offset, minutes=30)
        if hours.state(moment)[0]:
            week.setdefault(moment.strftime("%a").lower(), []).append(moment.hour)
    return week


def test_a_gallery_week_tuesday_to_sunday_ten_to_six_closed_on_christmas() -> None:
    daytime = list(range(10, 18))
    assert open_hours(GALLERY, "2025-12-15T00:00") == {
        day: daytime for day in ("tue", "wed", "thu", "fri", "sat", "sun")
    }
    christmas_week = open_hours(GALLERY, "2025-12-22T00:00")
    assert "thu" not in christmas_week and christmas_week["fri"] == daytime


def test_the_edges_and_the_reasons() -> None:
    hours = Hours(GALLERY)
    assert hours.state(at("2025-12-16T09:59")) == (False, "opens at 10:00")
    assert hours.state(at("2025-12-16T10:00")) == (True, "open until 18:00")
    assert hours.state(at("2025-12-16T17:59:59")) == (True, "open until 18:00")
    assert hours.state(at("2025-12-16T18:00")) == (False, "closed at 18:00")
    assert hours.state(at("2025-12-15T12:00")) == (False, "closed on mon")
    assert hours.state(at("2025-12-25T12:00")) == (False, "closed on 2025-12-25")


def test_hours_past_midnight_belong_to_the_day_they_open_on() -> None:
    week = open_hours(NIGHTS, "2025-12-15T00:00")
    evening, small_hours = [20, 21, 22, 23], [0, 1]
    assert week == {"fri": evening, "sat": small_hours + evening, "sun": small_hours}
    hours = Hours(NIGHTS)
    assert hours.state(at("2025-12-20T01:59")) == (True, "open until 02:00")
    assert hours.state(at("2025-12-20T02:00")) == (False, "opens at 20:00")
    assert hours.state(at("2025-12-19T21:00")) == (True, "open until 02:00 tomorrow")
    assert hours.state(at("2025-12-18T01:00")) == (False, "closed on wed")


def test_a_closed_date_closes_the_night_that_starts_on_it() -> None:
    hours = Hours(NIGHTS.model_copy(update={"closed_dates": ("2025-12-19",)}))
    assert not hours.state(at("2025-12-19T21:00"))[0]
    assert not hours.state(at("2025-12-20T01:00"))[0]  # still Friday's night
    assert hours.state(at("2025-12-20T21:00"))[0]


def test_hours_stay_in_local_time_across_daylight_saving_changes() -> None:
    """The same UTC instant is 09:30 in winter and 10:30 in summer in London; the hours are
    read on the local clock, so the show opens at 10:00 local on both sides of the change."""
    hours = Hours(GALLERY)
    utc = ZoneInfo("UTC")
    assert not hours.state(at("2025-03-29T09:30", utc).astimezone(LONDON))[0]  # GMT
    assert hours.state(at("2025-03-30T09:30", utc).astimezone(LONDON))[0]  # BST since 01:00
    new_york = ZoneInfo("America/New_York")  # the same rule on another zone's change day
    assert hours.state(at("2025-03-09T14:30", utc).astimezone(new_york))[0]  # 10:30 EDT


def test_the_source_sees_the_change_day_opening_and_closing_at_local_times() -> None:
    """Polled once a (loop) second over the spring-forward day, with a wall clock that
    follows UTC: it opens at 09:00 UTC (10:00 BST) and closes at 17:00 UTC (18:00 BST)."""
    start = datetime(2025, 3, 30, 0, 0, tzinfo=UTC)  # a Sunday; 01:00 UTC is 02:00 BST
    elapsed = [0.0]
    source = OpeningHoursInput(
        GALLERY, lambda: (start + timedelta(seconds=elapsed[0])).astimezone(LONDON), 60.0
    )
    posted: list[Event] = []
    source.start(posted.append)
    changes: list[tuple[bool, str]] = []
    for minute in range(24 * 60):
        elapsed[0] = minute * 60.0
        count = len(posted)
        source.poll(elapsed[0])
        if len(posted) > count:
            changes.append(
                (source.open is True, (start + timedelta(minutes=minute)).strftime("%H:%M"))
            )
    assert posted[0] == OpeningHours(False, "opens at 10:00")
    assert changes == [(True, "09:00"), (False, "17:00")]


class WallClock:
    """A local wall clock the test sets (NTP corrections, a machine that slept)."""

    def __init__(self, text: str) -> None:
        self.moment = at(text)

    def __call__(self) -> datetime:
        return self.moment


def test_posts_once_at_start_then_only_on_changes_whatever_the_clock_does() -> None:
    wall = WallClock("2025-12-16T17:58")
    source = OpeningHoursInput(GALLERY, wall)
    posted: list[Event] = []
    source.start(posted.append)
    assert posted == [OpeningHours(True, "open until 18:00")]
    now = 0.0
    for _ in range(30):  # polled every frame: read once a second, nothing changes
        now += 1 / 30
        source.poll(now)
    assert len(posted) == 1

    def step(text: str) -> list[Event]:
        nonlocal now
        wall.moment, now = at(text), now + 1.0
        count = len(posted)
        source.poll(now)
        return posted[count:]

    assert step("2025-12-16T19:05") == [OpeningHours(False, "closed at 18:00")]  # forward
    assert step("2025-12-16T19:06") == []
    assert step("2025-12-16T17:00") == [OpeningHours(True, "open until 18:00")]  # back: reopen
    assert step("2025-12-16T09:00") == [OpeningHours(False, "opens at 10:00")]  # back: reclose
    assert step("2025-12-16T11:00") == [OpeningHours(True, "open until 18:00")]
    assert step("2025-12-17T11:00") == []  # slept a whole day and night: open both times
    assert step("2025-12-25T11:00") == [OpeningHours(False, "closed on 2025-12-25")]


def test_the_wall_clock_is_read_at_most_once_a_second() -> None:
    reads: list[int] = []

    def wall() -> datetime:
        reads.append(1)
        return at("2025-12-16T12:00")

    source = OpeningHoursInput(GALLERY, wall)
    source.start(lambda event: None)
    for frame in range(90):  # three seconds at 30 fps
        source.poll(frame / 30)
    assert len(reads) == 1 + 3
