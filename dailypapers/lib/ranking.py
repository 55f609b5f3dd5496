"""Ranking formulas, written once as database expressions so ordering happens in SQL.

Trending is Hacker News gravity over the time since a paper was featured (docs/ranking.md):

    trending = (upvotes + 1) / (age_hours + 2) ** GRAVITY

Age runs to a reference time (now, or the end of the period viewed) and is never below zero.
"""

from django.db.models import ExpressionWrapper, F, FloatField, Value
from django.db.models.functions import Cast, Greatest, Power

GRAVITY = 1.8
AGE_OFFSET_HOURS = 2.0
SECONDS_PER_HOUR = 3600.0


def trending_score(upvotes, age_hours):
    """The same formula in Python, for tests and documentation."""
    return (upvotes + 1) / (max(age_hours, 0.0) + AGE_OFFSET_HOURS) ** GRAVITY


def _float(value):
    # Typed literals: PostgreSQL would otherwise compute in NUMERIC (slower, and a score read back would
    # not equal itself as a float, which breaks keyset paging over trending).
    return Value(float(value), output_field=FloatField())


def trending_expression(votes_field, featured_ts_field, reference_ts):
    featured = Cast(F(featured_ts_field), FloatField())
    age_hours = Greatest((_float(reference_ts) - featured) / _float(SECONDS_PER_HOUR), _float(0.0))
    return ExpressionWrapper(
        (Cast(F(votes_field), FloatField()) + _float(1.0)) / Power(age_hours + _float(AGE_OFFSET_HOURS),
                                                                  _float(GRAVITY)),
        output_field=FloatField(),
    )
