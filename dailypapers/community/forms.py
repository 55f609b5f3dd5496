"""Forms for the community views."""

from django import forms
from django.db import transaction

from dailypapers.papers import pagecache, votes
from dailypapers.papers.models import Organization, Paper
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers

from . import moderation
from .models import COMMENT_MAX_CHARS

GITHUB = "https://github.com/"


class SubmitForm(forms.Form):
    paper = forms.CharField(
        label="arXiv id or link", max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "2501.01234 or https://arxiv.org/abs/2501.01234",
                                      "autocomplete": "off", "spellcheck": "false"}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", max_length=COMMENT_MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="Markdown: **bold**, *italic*, `code`, [links](https://…), lists, > quotes.")
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_public = forms.BooleanField(label="Public (anyone with the link, and your profile, shows it)", required=False)


class ClaimForm(forms.Form):
    message = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="How can a moderator tell it is you? E.g. your institutional page.")


class PaperLinksForm(forms.Form):
    organization = forms.ModelChoiceField(Organization.objects.order_by("name"), required=False)
    github_repo = forms.URLField(label="GitHub repository", max_length=500, required=False, assume_scheme="https")
    project_page = forms.URLField(max_length=500, required=False, assume_scheme="https")

    def clean_github_repo(self):
        url = self.cleaned_data["github_repo"].strip().rstrip("/")
        if url and (not url.startswith(GITHUB) or url.count("/") != 4):
            raise forms.ValidationError(f"Give the repository's address: {GITHUB}owner/name")
        return url

    def clean_project_page(self):
        url = self.cleaned_data["project_page"].strip()
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Give an http(s) address.")
        return url

    def apply(self, paper, user):
        """Store the links through the one write path; staff edits go to the audit log."""
        data = self.cleaned_data
        org = data["organization"]
        record = PaperRecord(arxiv_id=paper.arxiv_id, title=paper.title, github_repo=data["github_repo"],
                             project_page=data["project_page"],
                             organization=OrgRecord(name=org.name, slug=org.slug) if org else None)
        with transaction.atomic():
            upsert_papers([record])  # a move to another organization refreshes the old one's pages too
            if org is None and paper.organization_id:
                # A record cannot say "no organization" (None means "unknown"), so unlinking is direct.
                old_slug = paper.organization.slug
                Paper.objects.filter(pk=paper.pk).update(organization=None)
                votes.refresh_pages([paper.pk])
                transaction.on_commit(lambda: pagecache.bump(f"org:{old_slug}"))
            if user.is_staff:
                moderation.record(user, "edit_paper_links", paper,
                                  note=f"org={org.slug if org else '-'} repo={data['github_repo'] or '-'} "
                                       f"page={data['project_page'] or '-'}")
