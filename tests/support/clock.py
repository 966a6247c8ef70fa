"""A real-time clock tests can move forward (session expiry, background retry schedules). Only the
app's clock moves; the simulators keep real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset
