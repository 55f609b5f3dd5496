"""The personas (alice, bob, charlie, moderator) for the papers tests."""

from dailypapers.accounts.tests.personas import alice, bob, charlie, fresh_limits, moderator  # noqa: F401
