import datetime as dt
import random
from pathlib import Path

import pytest

from dailypapers.sources.http import PoliteClient

from .replay import ReplayServer

HERE = Path(__file__).resolve()
OWN_FIXTURES = HERE.parent / "fixtures"
def own_fixture(name):
    return (OWN_FIXTURES / name).read_bytes()


class FakeClock:
    """Monotonic time that only moves when someone sleeps; every sleep is recorded."""

    def __init__(self, start=dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)):
        self.t = 1000.0
        self.start = start
        self.sleeps = []

    def monotonic(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds

    def now(self):
        return self.start + dt.timedelta(seconds=self.t - 1000.0)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def make_client(clock, settings):
    """A PoliteClient on the fake clock with a deterministic jitter source."""
    settings.SOURCES_CONTACT_EMAIL = "harvest-tests@example.org"

    def make(**kwargs):
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("rng", random.Random(7))
        kwargs.setdefault("timeout", 5.0)
        return PoliteClient(**kwargs)

    return make
