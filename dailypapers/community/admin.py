from django.contrib import admin

from dailypapers.papers.admin import PaperAdmin
from dailypapers.papers.models import Paper

from . import comments, moderation
from .models import AuthorClaim, Collection, CollectionItem, Comment, ModerationLog

# Moderators hide papers here: hiding writes the audit log, which this app keeps.
admin.site.unregister(Paper)


@admin.register(Paper)
class ModeratedPaperAdmin(PaperAdmin):
    actions = ["hide", "unhide"]

    @admin.action(description="Hide the selected papers")
    def hide(self, request, queryset):
        changed = sum(moderation.set_paper_hidden(p, True, request.user) for p in queryset)
        self.message_user(request, f"{changed} paper(s) hidden.")

    @admin.action(description="Unhide the selected papers")
    def unhide(self, request, queryset):
        changed = sum(moderation.set_paper_hidden(p, False, request.user) for p in queryset)
        self.message_user(request, f"{changed} paper(s) visible again.")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["pk", "paper", "author", "created_at", "hidden", "deleted_at"]
    list_filter = ["hidden"]
    search_fields = ["body", "author__username", "paper__arxiv_id"]
    raw_id_fields = ["paper", "author", "parent"]
    # Hiding goes through the actions: they keep Paper.local_comments exact and write the audit log.
    readonly_fields = ["hidden", "deleted_at", "created_at", "edited_at"]
    actions = ["hide", "unhide"]

    @admin.action(description="Hide the selected comments")
    def hide(self, request, queryset):
        changed = sum(comments.set_hidden(c, True, request.user) for c in queryset)
        self.message_user(request, f"{changed} comment(s) hidden.")

    @admin.action(description="Unhide the selected comments")
    def unhide(self, request, queryset):
        changed = sum(comments.set_hidden(c, False, request.user) for c in queryset)
        self.message_user(request, f"{changed} comment(s) visible again.")


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    raw_id_fields = ["paper"]
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_public", "is_reading_list", "updated_at"]
    list_filter = ["is_public", "is_reading_list"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    inlines = [CollectionItemInline]


@admin.register(AuthorClaim)
class AuthorClaimAdmin(admin.ModelAdmin):
    list_display = ["author", "user", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["author__name", "user__username", "user__email"]
    raw_id_fields = ["author", "user"]
    readonly_fields = ["status", "decided_at", "decided_by"]
    actions = ["approve", "reject"]

    @admin.action(description="Approve: link the author entry to the claimant")
    def approve(self, request, queryset):
        approved = sum(moderation.approve_claim(c, request.user) for c in queryset.filter(status=AuthorClaim.PENDING))
        self.message_user(request, f"{approved} claim(s) approved.")

    @admin.action(description="Reject the selected claims")
    def reject(self, request, queryset):
        rejected = sum(moderation.reject_claim(c, request.user) for c in queryset)
        self.message_user(request, f"{rejected} claim(s) rejected.")


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    """The audit log is append-only: readable here, never edited or deleted."""

    list_display = ["created_at", "actor", "action", "target_type", "target_repr"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_repr", "target_id", "actor__username", "note"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
