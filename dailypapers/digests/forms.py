"""Subscribe and manage forms. The focus fields are shared: categories, keywords, organizations."""

import re

from django import forms
from django.db.models import Q

from dailypapers.papers.models import Organization

from .models import Subscription

MAX_FOCUS_ITEMS = 20
MAX_KEYWORD_CHARS = 60
CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2,})?$")


class FocusFields(forms.Form):
    frequency = forms.ChoiceField(choices=Subscription.Frequency.choices, initial=Subscription.Frequency.DAILY,
                                  widget=forms.RadioSelect)
    categories = forms.CharField(required=False, max_length=500, label="arXiv categories",
                                 help_text="For example: cs.CL cs.LG stat.ML")
    keywords = forms.CharField(required=False, max_length=500, label="Keywords",
                               help_text="Comma-separated, found in titles and abstracts: diffusion, protein folding")
    organizations = forms.CharField(required=False, max_length=500, label="Organizations",
                                    help_text="Comma-separated names as shown on the site")

    def clean_categories(self):
        codes = list(dict.fromkeys(self.cleaned_data["categories"].replace(",", " ").split()))
        bad = [code for code in codes if not CATEGORY.match(code)]
        if bad:
            raise forms.ValidationError(f"Not an arXiv category: {', '.join(bad[:5])}")
        return " ".join(_at_most(codes, "categories"))

    def clean_keywords(self):
        words = list(dict.fromkeys(k.strip() for k in self.cleaned_data["keywords"].split(",") if k.strip()))
        if any(len(word) > MAX_KEYWORD_CHARS for word in words):
            raise forms.ValidationError(f"Keep each keyword under {MAX_KEYWORD_CHARS} characters.")
        return ", ".join(_at_most(words, "keywords"))

    def clean_organizations(self):
        names = _at_most([n.strip() for n in self.cleaned_data["organizations"].split(",") if n.strip()],
                         "organizations")
        if not names:
            return []
        query = Q(slug__in=names)
        for name in names:
            query |= Q(name__iexact=name)
        found = list(Organization.objects.filter(query))
        known = {org.slug for org in found} | {org.name.lower() for org in found}
        unknown = [name for name in names if name not in known and name.lower() not in known]
        if unknown:
            raise forms.ValidationError(f"No organization called {', '.join(unknown[:5])} here.")
        return found

    def apply_to(self, subscription, now):
        """Copy the choices onto ``subscription`` and save it (the organizations too)."""
        data = self.cleaned_data
        subscription.change_frequency(data["frequency"], now)
        subscription.focus_categories, subscription.focus_keywords = data["categories"], data["keywords"]
        subscription.save()
        subscription.focus_organizations.set(data["organizations"])


def _at_most(items, what):
    if len(items) > MAX_FOCUS_ITEMS:
        raise forms.ValidationError(f"At most {MAX_FOCUS_ITEMS} {what}.")
    return items


class SubscribeForm(FocusFields):
    email = forms.EmailField(max_length=254, label="Email address")

    field_order = ["email", "frequency", "categories", "keywords", "organizations"]

    def clean_email(self):
        return Subscription.normalize_email(self.cleaned_data["email"])


class ManageForm(FocusFields):
    @classmethod
    def for_subscription(cls, subscription, data=None):
        initial = {
            "frequency": subscription.frequency,
            "categories": subscription.focus_categories,
            "keywords": subscription.focus_keywords,
            "organizations": ", ".join(org.name for org in subscription.focus_organizations.all()),
        }
        return cls(data, initial=initial)
