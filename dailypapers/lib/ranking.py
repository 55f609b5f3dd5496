"""Ranking formulas, written once as database expressions so ordering happens in SQL.

Trending is Hacker News gravity over the time since a paper was featured:

    trending = (upvotes + 1) / (age_hours + 2) ** GRAVITY

``+ 1`` keeps a fresh paper with no votes above an old one with none; ``+ 2`` hours stops a paper
featured a minute ago from dividing by ~0; GRAVITY = 1.8 is HN's and halves a paper's score in
roughly its first day. Age is measured to a reference time: now, or the end of the period viewed, so
"trending" on a past week means "trending as that week closed". Age below zero (a reference before
the paper was featured) counts as zero.
"""

from django.db.models import ExpressionWrapper, F, FloatField, Value
from django.db.models.functions import Greatest, Power

GRAVITY = 1.8
AGE_OFFSET_HOURS = 2.0
SECONDS_PER_HOUR = 3600.0


def trending_score(upvotes, age_hours):
    """The same formula in Python, for tests and documentation."""
    return (upvotes + 1) / (max(age_hours, 0.0) + AGE_OFFSET_HOURS) ** GRAVITY


def trending_expression(votes_field, featured_ts_field, reference_ts):
    age_hours = Greatest(
        (Value(float(reference_ts)) - F(featured_ts_field)) / Value(SECONDS_PER_HOUR), Value(0.0)
    )
    return ExpressionWrapper(
        (F(votes_field) + Value(1.0)) / Power(age_hours + Value(AGE_OFFSET_HOURS), Value(GRAVITY)),
        output_field=FloatField(),
    )
