from django.contrib import admin

from .models import SourceState


@admin.register(SourceState)
class SourceStateAdmin(admin.ModelAdmin):
    list_display = ["name", "last_success_at", "last_finished_at", "next_due_at", "running_since", "runs",
                    "counts", "has_error"]
    readonly_fields = ["last_started_at", "last_finished_at", "last_success_at", "last_counts", "last_error", "runs"]
    fields = ["name", "checkpoint", "next_due_at", "running_since", *readonly_fields]

    @admin.display(description="last counts")
    def counts(self, state):
        c = state.last_counts or {}
        return ", ".join(f"{k} {c[k]}" for k in ("created", "updated", "unchanged", "rejected") if k in c)

    @admin.display(boolean=True, description="error")
    def has_error(self, state):
        return bool(state.last_error)
