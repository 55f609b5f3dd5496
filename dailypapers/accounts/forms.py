"""Account forms: sign-up, log-in by username or email, profile settings, tokens, deletion."""

import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from .models import User
from .verification import email_taken

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,29}$")
USERNAME_HELP = "2–30 characters: letters, digits, - and _. It appears in your profile address."


def clean_new_username(value):
    if not USERNAME_RE.match(value):
        raise forms.ValidationError(USERNAME_HELP)
    if User.objects.filter(username__iexact=value).exists():
        raise forms.ValidationError("This username is taken.")
    return value


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="We send a link to confirm it. Your votes count once it is confirmed.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]
        help_texts = {"username": USERNAME_HELP}

    def clean_username(self):
        return clean_new_username(self.cleaned_data["username"])

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email_taken(email):
            raise forms.ValidationError("An account with this email exists. Log in, or reset its password.")
        return email


class LoginForm(AuthenticationForm):
    username = forms.CharField(label="Username or email", max_length=254,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))

    def clean(self):
        # An email address logs in as the account that owns it; ModelBackend then checks the password.
        name = self.cleaned_data.get("username", "")
        if "@" in name and (user := User.objects.filter(email__iexact=name).first()):
            self.cleaned_data["username"] = user.get_username()
        return super().clean()


class ProfileForm(forms.ModelForm):
    email = forms.EmailField(help_text="Changing it sends a confirmation link to the new address.")

    class Meta:
        model = User
        fields = ["display_name", "email", "notify_comments_on_submissions", "notify_thread_replies"]

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email.lower() != self.instance.email.lower() and email_taken(email, exclude=self.instance):
            raise forms.ValidationError("Another account uses this email.")
        return email


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “my bot”.")


class PasswordConfirmForm(forms.Form):
    """Re-enter the password before an irreversible step."""

    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField()
