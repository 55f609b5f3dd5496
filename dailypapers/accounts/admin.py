from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import lifecycle
from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "display_name", "email_verified_at", "suspended_at", "is_staff"]
    list_filter = [*BaseUserAdmin.list_filter, "suspended_at"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Community", {"fields": ["display_name", "email_verified_at", "suspended_at", "suspension_reason",
                                  "notify_comments_on_submissions", "notify_thread_replies"]}),
    ]
    # Verification and suspension move vote counts, so they change only through their own code paths.
    readonly_fields = ["email_verified_at", "suspended_at", "suspension_reason"]
    actions = ["suspend", "unsuspend"]

    @admin.action(description="Suspend: block log-in and stop their votes counting")
    def suspend(self, request, queryset):
        done = sum(lifecycle.suspend(u, request.user, reason="suspended in the admin") for u in
                   queryset.exclude(pk=request.user.pk))
        self.message_user(request, f"{done} user(s) suspended.")

    @admin.action(description="Lift the suspension")
    def unsuspend(self, request, queryset):
        done = sum(lifecycle.unsuspend(u, request.user) for u in queryset)
        self.message_user(request, f"{done} user(s) unsuspended.")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    search_fields = ["name", "user__username", "prefix"]
    raw_id_fields = ["user"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are issued by their owner, who alone sees the secret
