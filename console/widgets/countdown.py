"""Deadlines as an on-call operator reads them: time left, or how long overdue."""

from __future__ import annotations

import time

from console.widgets.formatting import local_time


def duration(seconds: float) -> str:
    """The two largest units: "2d 4h", "5h", "5h 20m", "45m"; "<1m" under a minute."""
    whole = int(abs(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else "<1m"


def countdown(due_by: int | None, now: float) -> str:
    """ "2d 4h left", "overdue by 3h", or "" without a deadline."""
    if due_by is None:
        return ""
    left = due_by - now
    return f"{duration(left)} left" if left >= 0 else f"overdue by {duration(left)}"


def utc_time(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def deadline(due_by: int | None, now: float) -> str:
    """The deadline in the operator's time zone and in UTC, with the time left."""
    if due_by is None:
        return "no deadline"
    zone = time.strftime("%Z", time.localtime(due_by))
    return (f"{local_time(due_by)} {zone} (local) · {utc_time(due_by)} · "
            f"{countdown(due_by, now)}")
