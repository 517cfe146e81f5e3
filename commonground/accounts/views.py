"""Sign-up, sign-in, email verification, password and account deletion pages (thin: ``signup``
and ``deletion`` do the work; sign-in, password resets and changes are Django's own views, with
our templates and rate limits)."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from commonground.activity import formparts
from commonground.activity.inputs import FieldError

from . import deletion, ratelimit, signup, tokens


def signup_page(request):
    form = signup.SignupForm(request.POST or None)
    if request.method == "POST":
        try:
            ratelimit.check("sign up", ratelimit.client_address(request))
        except ratelimit.RateLimited as exc:
            return render(request, "registration/signup.html",
                          {"form": form, "limited": str(exc)}, status=429)
        try:  # the optional questions other apps add (who takes part): checked first
            about, about_error = formparts.read("signup", request.POST), None
        except FieldError as exc:
            about, about_error = None, exc
        if form.is_valid() and about is not None:
            user = signup.create_account(form, lambda token: request.build_absolute_uri(
                reverse("verify_email", args=[token])))
            about.save(person=("user", user.pk), thing=("signup", "hub"))
            return render(request, "registration/signup_sent.html", {"email": user.email})
        return render(request, "registration/signup.html",
                      {"form": form, "about_error": about_error}, status=400)
    return render(request, "registration/signup.html", {"form": form})


def resend_page(request):
    """Ask for a new confirmation link (the old one expired or the email was lost)."""
    sent = False
    if request.method == "POST":
        try:
            ratelimit.check("sign up", ratelimit.client_address(request))
        except ratelimit.RateLimited as exc:
            return render(request, "registration/resend.html", {"limited": str(exc)},
                          status=429)
        signup.resend(request.POST.get("email", ""), lambda token: request.build_absolute_uri(
            reverse("verify_email", args=[token])))
        sent = True
    return render(request, "registration/resend.html", {"sent": sent})


def verify_page(request, token: str):
    user = signup.verify(token)
    return render(request, "registration/verified.html", {"account": user},
                  status=200 if user else 400)


def delete_page(request):
    """Confirm with the password; then the account goes and its public words stay unnamed."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    error, status = "", 200
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            error, status = "Password: that is not your password", 400
        else:
            try:
                deletion.delete_account(request.user)
            except deletion.CannotDelete as exc:
                error, status = str(exc), 400
            else:
                logout(request)
                return render(request, "registration/deleted.html")
    return render(request, "registration/delete.html",
                  {"error": error, "blocking": deletion.sole_admin_of(request.user)},
                  status=status)


class PasswordResetPage(auth_views.PasswordResetView):
    """Ask for a link to set a new password (Django's view; at most a few tries an hour).

    As Django does, the page says the same whether or not the address has an account, and
    only active accounts (email confirmed) get a link. (The email is sent during the request,
    so with a slow mail server the answer comes a little later for an address that has an
    account; sign-up already says whether an address is taken.)
    """

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        email = request.POST.get("email", "").strip().lower()
        try:  # per address asking, and per email address asked about (no flooding anyone)
            ratelimit.check("reset a password", ratelimit.client_address(request))
            ratelimit.check("reset a password", "email:" + email)
        except ratelimit.RateLimited as exc:
            return render(request, self.template_name,
                          {"form": self.get_form(), "limited": str(exc)}, status=429)
        return super().post(request, *args, **kwargs)


def _tokens_revoked(request, user) -> None:
    """A new password revokes the person's API tokens (``tokens.revoke_all``), and says so."""
    revoked = tokens.revoke_all(user)
    if revoked:
        messages.info(request, f"Your {revoked} API token{'s were' if revoked > 1 else ' was'} "
                               "revoked with your old password. Make new ones on your API "
                               "tokens page.")


class PasswordChangePage(auth_views.PasswordChangeView):
    """Django's password change; the person's API tokens are revoked with the old password."""

    template_name = "registration/password_change.html"

    def form_valid(self, form):
        answer = super().form_valid(form)
        _tokens_revoked(self.request, form.user)
        return answer


class PasswordResetConfirmPage(auth_views.PasswordResetConfirmView):
    """Django's new password from a reset link; the API tokens go with the old password."""

    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form):
        answer = super().form_valid(form)
        _tokens_revoked(self.request, form.user)
        return answer


class SignInPage(auth_views.LoginView):
    """Django's sign-in, with a limit on tries per account and per client address: each try
    costs the server a password hash, so a flood of guesses cannot tie up every worker, and
    guessing one account's password is slow from any number of addresses."""

    def post(self, request, *args, **kwargs):
        name = request.POST.get("username", "").strip().lower()
        try:
            ratelimit.check("sign in from an address", ratelimit.client_address(request))
            ratelimit.check("sign in", "account:" + name)
        except ratelimit.RateLimited as exc:
            unchecked = self.get_form_class()(  # unbound: showing it checks no password
                request, initial={"username": request.POST.get("username", "")})
            return render(request, self.template_name,
                          {"form": unchecked, "limited": str(exc),
                           "next": request.POST.get("next", "")}, status=429)
        return super().post(request, *args, **kwargs)


class TokenForm(forms.Form):
    label = forms.CharField(label="Name", max_length=200, required=False,
                            help_text="What uses it, e.g. “nightly publishing script”")
    expires = forms.DateTimeField(required=False, help_text="YYYY-MM-DD HH:MM (UTC); blank: "
                                  "until revoked", widget=forms.DateTimeInput(
                                      attrs={"type": "datetime-local"}))


@login_required
def tokens_page(request):
    """The person's API tokens: make one (its secret shown once, here), list, revoke."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    made = None
    if request.method == "POST":
        with timezone.override(UTC):
            valid = form.is_valid()
        if valid:
            try:
                made = tokens.make(request.user, label=form.cleaned_data["label"],
                                   expires=form.cleaned_data["expires"])
                form = TokenForm()
            except tokens.TokenRefused as refused:
                form.add_error(refused.field if refused.field in form.fields else None,
                               refused.message)
    status = 200 if request.method != "POST" else (201 if made else 400)
    response = render(request, "accounts/tokens.html", {
        "form": form, "made": made, "tokens": tokens.tokens_of(request.user),
        "now": timezone.now(), "site": request.build_absolute_uri("/").rstrip("/")},
        status=status)
    if made is not None:
        response["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


@login_required
@require_POST
def token_revoke(request, prefix: str):
    token = tokens.revoke(request.user, prefix)
    if token is None:
        raise Http404("No such token of yours")
    messages.success(request, f"Token {token.prefix}… revoked: it no longer works.")
    return redirect("api_tokens")
