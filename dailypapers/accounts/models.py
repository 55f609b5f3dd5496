"""A custom user model from day one, so profile fields can be added without a painful swap later."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)

    def __str__(self):
        return self.display_name or self.username
