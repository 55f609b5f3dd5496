import datetime as dt

import pytest

from dailypapers.lib import arxiv_ids, calendar, periods, ranking
from dailypapers.lib.text import clean_line, slug_for, web_url


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2501.01234", ("2501.01234", None)),
        ("2501.01234v3", ("2501.01234", 3)),
        ("1501.0001", ("1501.0001", None)),
        ("arXiv:2501.01234", ("2501.01234", None)),
        ("https://arxiv.org/abs/2501.01234v2", ("2501.01234", 2)),
        ("http://arxiv.org/pdf/2501.01234.pdf", ("2501.01234", None)),
        ("https://arxiv.org/pdf/2501.01234v1", ("2501.01234", 1)),
        ("https://arxiv.org/html/2501.01234v4/", ("2501.01234", 4)),
        ("https://export.arxiv.org/abs/2501.01234?context=cs", ("2501.01234", None)),
        ("astro-ph/0601001", ("astro-ph/0601001", None)),
        ("ASTRO-PH/0601001v2", ("astro-ph/0601001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("https://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", 1)),
        ("  2501.01234  ", ("2501.01234", None)),
    ],
)
def test_it_parses_ids_and_urls(text, expected):
    assert arxiv_ids.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "2513.01234", "2501.123", "2501.123456", "https://example.com/abs/2501.01234",
             "astro-ph/06010", "2501.01234 OR 1=1", "<script>", "2501.01234v"]
)
def test_it_rejects_what_is_not_an_id(text):
    with pytest.raises(arxiv_ids.InvalidArxivId):
        arxiv_ids.parse(text)
    assert not arxiv_ids.is_arxiv_id(text)


def test_it_cleans_lines_and_slugs():
    assert clean_line("A  title\n  wrapped\tover lines\x00") == "A title wrapped over lines"
    assert clean_line(None) == ""
    assert slug_for("José García") == "josé-garcía"
    assert slug_for("李明") == "李明"
    assert slug_for("!!!") == "x"


def test_it_parses_periods():
    assert periods.parse_day("2026-03-02").label == "Monday, March 2, 2026"
    week = periods.parse_week("2026-W10")
    assert (week.first, week.last, week.key) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8), "2026-W10")
    month = periods.parse_month("2024-02")
    assert (month.first, month.last, month.key) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02")
    assert month.shifted(-2).key == "2023-12" and month.shifted(11).key == "2025-01"
    assert week.shifted(-1).key == "2026-W09"
    assert periods.parse_week("2020-W53").first == dt.date(2020, 12, 28)


@pytest.mark.parametrize("kind, text", [("day", "2026-02-30"), ("day", "yesterday"), ("week", "2026-W54"),
                                        ("week", "2026-10"), ("month", "2026-13"), ("month", "26-01")])
def test_it_rejects_bad_periods(kind, text):
    with pytest.raises(periods.BadPeriod):
        periods.PARSERS[kind](text)


@pytest.mark.parametrize("kind, text", [("day", "9999-12-31"), ("day", "0001-01-01"), ("day", "1989-12-31"),
                                        ("day", "3000-01-01"), ("week", "9999-W52"), ("week", "0001-W01"),
                                        ("month", "0001-01"), ("month", "9999-12"), ("month", "1989-12")])
def test_it_rejects_periods_outside_the_supported_days_as_out_of_range(kind, text):
    with pytest.raises(periods.OutOfRange) as refused:
        periods.PARSERS[kind](text)
    assert isinstance(refused.value, ValueError)  # callers that catch ValueError (the API) answer 400


def test_the_first_and_last_supported_periods_have_no_neighbour_beyond():
    for first in (periods.parse_day("1990-01-01"), periods.parse_week("1990-W01"), periods.parse_month("1990-01")):
        first.end_datetime()
        with pytest.raises(periods.OutOfRange):
            first.shifted(-1)
    for last in (periods.parse_day("2999-12-31"), periods.parse_week("3000-W01"), periods.parse_month("2999-12")):
        assert last.end_datetime() > dt.datetime(2999, 12, 31, tzinfo=dt.UTC)
        with pytest.raises(periods.OutOfRange):
            last.shifted(1)
    with pytest.raises(ValueError):
        calendar.check_supported(dt.date.max)


def test_trending_decays_with_age_and_grows_with_votes():
    assert ranking.trending_score(10, 1) > ranking.trending_score(10, 24) > ranking.trending_score(10, 240)
    assert ranking.trending_score(20, 24) > ranking.trending_score(10, 24)
    # A day-old paper needs far more votes than a fresh one to rank level with it.
    assert ranking.trending_score(5, 1) > ranking.trending_score(50, 48)
    assert ranking.trending_score(0, -5) == ranking.trending_score(0, 0)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("https://github.com/acme/routes", "https://github.com/acme/routes"),
        (" HTTP://example.org/a ", "HTTP://example.org/a"),
        ("javascript:alert(1)", ""),
        (" JavaScript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("//evil.example/x", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_it_keeps_only_web_urls_for_links(value, expected):
    assert web_url(value) == expected
