import datetime as dt

import pytest
import time_machine

from dailypapers.lib import signed


def test_it_reads_back_what_it_signed():
    token = signed.make("test.purpose", 42, "abc")
    assert signed.read("test.purpose", token, 2) == ["42", "abc"]


@pytest.mark.parametrize("token", ["garbage", signed.make("test.other", 42, "abc"), signed.make("test.purpose", 42)])
def test_forged_foreign_or_misshapen_links_are_not_valid(token):
    with pytest.raises(signed.BadLink, match="not valid"):
        signed.read("test.purpose", token, 2)


def test_an_old_link_has_expired():
    with time_machine.travel(dt.datetime(2026, 3, 2, tzinfo=dt.UTC), tick=False) as clock:
        token = signed.make("test.purpose", 42)
        clock.shift(dt.timedelta(days=8))
        assert signed.read("test.purpose", token, 1) == ["42"]  # no max_age: it never expires
        with pytest.raises(signed.BadLink, match="expired"):
            signed.read("test.purpose", token, 1, max_age=dt.timedelta(days=7))


def test_a_value_may_not_hold_the_separator():
    with pytest.raises(ValueError, match="may not contain"):
        signed.make("test.purpose", "a.b")
