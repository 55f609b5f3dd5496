from django.contrib import admin

from .models import Digest, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "frequency", "status", "next_digest_at", "bounce_count", "created_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email"]
    raw_id_fields = ["user"]
    filter_horizontal = ["focus_organizations"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["period_key", "subscription", "status", "attempts", "not_before", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subscription__email", "period_key"]
    raw_id_fields = ["subscription"]
