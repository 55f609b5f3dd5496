"""Account pages: sign-up, email verification, log-in/out, password reset, profile and settings."""

import json

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dailypapers.lib.signed import BadLink
from dailypapers.papers.models import Author, Paper, PaperAuthor

from . import emails, lifecycle, limits, verification
from .forms import LoginForm, PasswordConfirmForm, PasswordResetRequestForm, ProfileForm, SignupForm, TokenForm
from .models import ApiToken, User


def _next_url(request, default="papers:home"):
    """Where to go after logging in: a same-site ``next``, never another host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse(default)


# -- sign-up, verification, log-in -------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if verdict := limits.check(request, "signup"):
            return limits.too_many(request, verdict, "signup")
        if form.is_valid():
            user = form.save()
            emails.send_verification(user, user.email)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome! We sent a confirmation link to {user.email}.")
            return redirect(_next_url(request, default="accounts:verify_pending"))
    return render(request, "accounts/signup.html", {"form": form, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if verdict := limits.check_login(request, request.POST.get("username")):
            return limits.too_many(request, verdict, "login")
        if form.is_valid():
            login(request, form.get_user())
            return limits.remember_device(redirect(_next_url(request)), form.get_user())
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("papers:home")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def verify_pending(request):
    """"Check your inbox", with a button to send the link again."""
    if request.method == "POST" and not request.user.is_verified:
        if verdict := limits.check_mail(request, request.user.email):
            return limits.too_many(request, verdict, "email")
        emails.send_verification(request.user, request.user.email)
        messages.success(request, f"We sent a new confirmation link to {request.user.email}.")
        return redirect("accounts:verify_pending")
    return render(request, "accounts/verify_pending.html")


@require_http_methods(["GET", "HEAD", "POST"])
def verify_email(request, token):
    """GET shows a confirm button (mail scanners follow links); POST verifies."""
    try:
        user, address = verification.read_email_token(token)
    except BadLink as exc:
        return render(request, "accounts/verify_email.html", {"error": str(exc)}, status=400)
    if request.method == "POST":
        try:
            user = verification.verify_email(user, address)
        except BadLink as exc:
            return render(request, "accounts/verify_email.html", {"error": str(exc)}, status=409)
        messages.success(request, f"Thank you: {address} is confirmed and your votes count.")
        return redirect("accounts:settings" if request.user == user else "accounts:login")
    done = user.is_verified and user.email.lower() == address.lower()
    return render(request, "accounts/verify_email.html", {"address": address, "done": done})


# -- password reset ------------------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST":
        if verdict := limits.check_mail(request, request.POST.get("email")):
            return limits.too_many(request, verdict, "email")
        if form.is_valid():
            # The same answer, as fast, whether or not the address has an account: no probing for
            # members. The mail goes out on a thread of its own, after the answer.
            user = User.objects.filter(email__iexact=form.cleaned_data["email"], is_active=True).first()
            if user is not None and user.has_usable_password():
                emails.in_background(emails.send_password_reset, user)
            return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form})


@require_safe
def password_reset_sent(request):
    return render(request, "accounts/password_reset_sent.html")


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """The emailed link shows the form itself, and the token is checked again on the POST.

    Django's own view moves the token into a new session on the GET and redirects, to take it out of the
    URL before a Referer could carry it away: a database write for every link a mail scanner follows.
    Here nothing changes on a GET. The Referrer-Policy (same-origin) already keeps the URL from leaving
    the site, and the token dies when the password changes.
    """

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    @method_decorator(sensitive_post_parameters())
    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        self.user = self.get_user(kwargs["uidb64"])
        self.validlink = self.user is not None and self.token_generator.check_token(self.user, kwargs["token"])
        if not self.validlink:
            return self.render_to_response(self.get_context_data())
        # Past the parent's dispatch, which would store the token in the session.
        return super(auth_views.PasswordResetConfirmView, self).dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        form.save()
        # Following the emailed link proves the address, so it counts as a verification as well.
        if not form.user.is_verified:
            verification.verify_email(form.user, form.user.email)
        messages.success(self.request, "Your password is changed. Log in with it now.")
        return redirect(self.get_success_url())


# -- profile -------------------------------------------------------------------------------------------
@require_safe
def profile(request, username):
    person = get_object_or_404(User, username=username, is_active=True)
    verified_authors = list(Author.objects.filter(user=person))
    verified_papers = Paper.objects.visible().filter(
        pk__in=PaperAuthor.objects.filter(author__in=verified_authors).values("paper")).for_cards()
    context = {
        "person": person,
        "submitted": Paper.objects.visible().filter(submission__submitter=person).for_cards()
        .with_total_upvotes().order_by("-submission__feed_day", "-arxiv_id")[:50],
        "verified_authors": verified_authors,
        "verified_papers": verified_papers.with_total_upvotes().order_by("-published", "-arxiv_id")[:50],
    }
    return render(request, "accounts/profile.html", context)


# -- settings ------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_view(request):
    user = request.user
    old_email = user.email
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        changed_email = new_email.lower() != old_email.lower()
        if changed_email and (verdict := limits.check_mail(request, new_email)):
            return limits.too_many(request, verdict, "email")
        # A new address waits in the verification link: the account keeps the old one until clicked.
        form.instance.email = old_email if changed_email else new_email
        form.save()
        if changed_email:
            emails.send_verification(user, new_email)
            messages.success(request, f"We sent a link to {new_email}; your email changes when you follow it.")
        else:
            messages.success(request, "Settings saved.")
        return redirect("accounts:settings")
    context = {"form": form, "section": "profile"}
    return render(request, "accounts/settings.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Your password is changed.")
        return redirect("accounts:settings")
    return render(request, "accounts/password_change.html", {"form": form, "section": "password"})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request):
    """List tokens; POST creates one and shows it this once (only its hash is kept)."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _token, new_token = ApiToken.issue(request.user, form.cleaned_data["name"])
        form = TokenForm()
    context = {"form": form, "tokens": request.user.api_tokens.all(), "new_token": new_token, "section": "tokens"}
    response = render(request, "accounts/tokens.html", context)
    if new_token:
        response["Cache-Control"] = "no-store"  # the only page that ever shows the secret
    return response


@login_required
@require_POST
def token_revoke(request, token_id):
    get_object_or_404(ApiToken, pk=token_id, user=request.user).delete()
    messages.success(request, "The token is revoked: requests using it are refused from now on.")
    return redirect("accounts:tokens")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request):
    form = PasswordConfirmForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        lifecycle.delete_account(user)
        messages.success(request, "Your account and its data are deleted. Goodbye!")
        return redirect("papers:home")
    return render(request, "accounts/delete.html", {"form": form, "section": "delete"})


@login_required
@require_safe
def export_data(request):
    data = lifecycle.export(request.user)
    data["exported_at"] = timezone.now().isoformat()
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="dailypapers-{request.user.username}-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


# -- unsubscribe ---------------------------------------------------------------------------------------
@csrf_exempt  # RFC 8058 one-click POSTs come from mail clients; the signed token is the credential
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    try:
        user, field = verification.read_unsubscribe_token(token)
    except BadLink as exc:
        return render(request, "accounts/unsubscribe.html", {"error": str(exc)}, status=400)
    label = User._meta.get_field(field).verbose_name
    if request.method == "POST":
        User.objects.filter(pk=user.pk).update(**{field: False})
        return render(request, "accounts/unsubscribe.html", {"done": True, "label": label})
    return render(request, "accounts/unsubscribe.html", {"label": label, "token": token})

