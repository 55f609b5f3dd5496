"""Per-source run state: checkpoint, schedule, last run's counts and error. One row per source."""

import datetime as dt

from django.db import models
from django.utils import timezone

from dailypapers.lib import claims

# A claimed run that has not finished after this long is presumed dead (kill -9, power cut) and may be
# claimed again; its checkpoint says where to resume.
STALE_CLAIM = dt.timedelta(minutes=30)


class SourceState(models.Model):
    name = models.CharField(max_length=50, unique=True)
    checkpoint = models.JSONField(default=dict, blank=True, help_text="Where the next run resumes")
    next_due_at = models.DateTimeField(null=True, blank=True, help_text="When the source runs next (empty: now)")
    running_since = models.DateTimeField(null=True, blank=True, help_text="Set while a run holds the claim")
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the run holding the claim")
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_counts = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def for_source(cls, name):
        state, _ = cls.objects.get_or_create(name=name)
        return state

    def is_due(self, now):
        return self.next_due_at is None or self.next_due_at <= now

    def claim(self, now=None):
        """Take this source's run, or return False if another live run holds it.

        A conditional UPDATE: of two processes racing, exactly one sees a row count of 1. A claim is free
        when nobody holds it, when it is older than STALE_CLAIM, or when its holder was a process on this
        host that no longer exists (killed with -9: no need to wait half an hour).
        """
        now = now or timezone.now()
        free = models.Q(running_since__isnull=True) | models.Q(running_since__lt=now - STALE_CLAIM)
        holder = SourceState.objects.filter(pk=self.pk).values_list("claimed_by", flat=True).first()
        if holder and claims.is_dead_local_process(holder):
            free |= models.Q(claimed_by=holder)
        taken = SourceState.objects.filter(free, pk=self.pk).update(running_since=now, last_started_at=now,
                                                                    claimed_by=claims.this_process())
        if taken:
            self.running_since = self.last_started_at = now
        return taken == 1

    def save_checkpoint(self, checkpoint):
        self.checkpoint = checkpoint
        SourceState.objects.filter(pk=self.pk).update(checkpoint=checkpoint)

    def release(self, *, counts, error="", next_due_at, now=None):
        now = now or timezone.now()
        fields = {"running_since": None, "claimed_by": "", "last_finished_at": now, "last_counts": counts,
                  "last_error": error, "next_due_at": next_due_at, "runs": models.F("runs") + 1}
        if not error:
            fields["last_success_at"] = now
        SourceState.objects.filter(pk=self.pk).update(**fields)
        self.refresh_from_db()
