"""Days, weeks and months in API queries: what the schema allows is answered, the rest is a 400."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/daily_papers?week=2026-W53", "/api/v1/papers?week=2026-W53",
                                 "/api/daily_papers?date=1990-01-01", "/api/daily_papers?month=2999-12"])
def test_a_period_the_schema_allows_is_answered(client, url):
    """2026 has 52 ISO weeks: its week 53 holds no day, so nothing was featured in it."""
    response = client.get(url)
    assert response.status_code == 200
    assert (response.json() if url.startswith("/api/daily") else response.json()["items"]) == []


@pytest.mark.parametrize("url", ["/api/daily_papers?date=2026-02-30", "/api/daily_papers?date=9999-12-31",
                                 "/api/daily_papers?week=2026-W54", "/api/v1/papers?month=1989-12"])
def test_a_period_outside_the_schema_is_a_400(client, url):
    assert client.get(url).status_code == 400


def test_the_schema_says_which_periods_it_takes(client):
    schema = client.get("/api/openapi.json").json()
    date = next(p for p in schema["paths"]["/api/daily_papers"]["get"]["parameters"] if p["name"] == "date")
    patterns = [branch.get("pattern", "") for branch in date["schema"]["anyOf"]]
    assert date["schema"]["format"] == "date" and any(p.startswith("^(199") for p in patterns)
