"""``[schedule]``: opening hours are checked when the show loads, every error at once."""

from __future__ import annotations

from datetime import date

import pytest

from installation.errors import ConfigError
from installation.scenes.registry import load_show
from tests.conftest import ShowWriter

SHOW = """
[models.lava]
path = "{models}/lava.onnx"
kind = "lava_lamp"
[[scenes]]
kind = "lava_lamp"
model = "lava"
[schedule]
"""


def test_defaults_are_off_and_open_all_day(write_show: ShowWriter) -> None:
    schedule = load_show(write_show(SHOW)).schedule
    assert not schedule.enabled
    assert schedule.days == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert (schedule.opens, schedule.closes) == ("00:00", "24:00")


def test_a_gallery_week_loads(write_show: ShowWriter) -> None:
    text = SHOW + (
        'enabled = true\ndays = ["tue", "wed", "thu", "fri", "sat", "sun"]\n'
        'opens = "10:00"\ncloses = "18:00"\nclosed_dates = ["2025-12-25", "2026-01-01"]\n'
        'display_off_command = ["xset", "dpms", "force", "off"]\n'
    )
    schedule = load_show(write_show(text)).schedule
    assert schedule.enabled and "mon" not in schedule.days
    assert schedule.dates_closed == {date(2025, 12, 25), date(2026, 1, 1)}
    assert schedule.display_off_command == ("xset", "dpms", "force", "off")


def test_past_midnight_hours_load(write_show: ShowWriter) -> None:
    schedule = load_show(write_show(SHOW + 'opens = "20:00"\ncloses = "02:00"\n')).schedule
    assert (schedule.opens, schedule.closes) == ("20:00", "02:00")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('days = ["mon", "Tues"]', r"schedule.days\[1\]: .*'mon', 'tue'"),
        ("days = []", r"schedule.days"),
        ('opens = "25:00"', r"schedule.opens: .*'25:00' is not a time of day: write HH:MM"),
        ('closes = "18:60"', r"'18:60' is not a time of day"),
        ('opens = "9:00"', r"'9:00' is not a time of day"),
        ('opens = "24:00"', r"opens must be from 00:00 to 23:59"),
        ('opens = "10:00"\ncloses = "10:00"', r"opens and closes are both 10:00"),
        ('opens = "00:00"\ncloses = "00:00"', r'closes = "24:00"'),
        ('closed_dates = ["2025-12-32"]', r"'2025-12-32' is not a date: write YYYY-MM-DD"),
        ('closed_dates = ["25/12/2025"]', r"'25/12/2025' is not a date"),
        ("closed_dates = [2025-12-25]", r"closed_dates\[0\]: a date or time is not a valid"),
        ('closing = "18:00"', r"closing.*Did you mean 'closes'"),
    ],
)
def test_bad_hours_are_refused_clearly(write_show: ShowWriter, lines: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_show(write_show(SHOW + lines + "\n"))


def test_every_schedule_error_at_once(write_show: ShowWriter) -> None:
    with pytest.raises(ConfigError) as caught:
        load_show(write_show(SHOW + 'opens = "25:00"\ndays = ["monday"]\n'))
    assert "25:00" in str(caught.value) and "monday" in str(caught.value)
