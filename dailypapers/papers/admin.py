from django.contrib import admin

from .models import Author, Organization, Paper, PaperAuthor, PaperVersion, Submission, Upvote


class PaperAuthorInline(admin.TabularInline):
    model = PaperAuthor
    raw_id_fields = ["author"]
    extra = 0


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "published", "hf_upvotes", "local_upvotes", "hidden"]
    list_filter = ["hidden", "withdrawn"]
    search_fields = ["arxiv_id", "title"]
    raw_id_fields = ["organization"]
    inlines = [PaperAuthorInline, PaperVersionInline]
    # Hiding goes through the community app's actions (community/admin.py), which write the audit log.
    readonly_fields = ["hidden", "local_upvotes", "local_comments"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["user"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["paper", "feed_day", "submitter_name", "source"]
    list_filter = ["source"]
    date_hierarchy = "feed_day"
    raw_id_fields = ["paper", "submitter"]


@admin.register(Upvote)
class UpvoteAdmin(admin.ModelAdmin):
    list_display = ["paper", "user", "created_at"]
    raw_id_fields = ["paper", "user"]
