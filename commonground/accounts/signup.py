"""Use case: a resident signs up with an email address and a password, and verifies the
address by following a signed link (Django's mail backends; the console backend in the
demo). Sign-ups are rate-limited per address (``ratelimit``, action "sign up")."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.mail import send_mail

SALT = "commonground.accounts.verify-email"
VERIFY_DAYS = 3


class SignupForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.+-]{3,40}$", label="User name",
                                help_text="Shown with what you write in public. Not your "
                                          "email address.",
                                error_messages={"invalid": "3 to 40 letters, digits or . + - _ "
                                                           "(not an email address)"})
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        name = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError("That user name is taken; choose another")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account already uses this address; sign in instead")
        return email

    def clean(self):
        cleaned = super().clean()
        if "password" in cleaned:
            user = get_user_model()(username=cleaned.get("username", ""),
                                    email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(cleaned["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


def create_account(form: SignupForm, verify_url) -> object:
    """An inactive account and the verification email; ``verify_url(token)`` builds the link."""
    data = form.cleaned_data
    user = get_user_model().objects.create_user(data["username"], email=data["email"],
                                                password=data["password"], is_active=False)
    send_link(user, verify_url)
    return user


def resend(email: str, verify_url) -> bool:
    """A fresh link for an account still waiting for confirmation; False when there is
    none (the page says the same either way, so it tells no one who has an account)."""
    user = get_user_model().objects.filter(email__iexact=(email or "").strip(),
                                           is_active=False, last_login__isnull=True).first()
    if user is None:
        return False
    send_link(user, verify_url)
    return True


def send_link(user, verify_url) -> None:
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=SALT)
    send_mail("Confirm your Common Ground account",
              f"Hello {user.username},\n\nFollow this link to confirm your email address and "
              f"start using Common Ground:\n\n{verify_url(token)}\n\nThe link works for "
              f"{VERIFY_DAYS} days. If you did not sign up, ignore this message.",
              None, [user.email])


def verify(token: str):
    """The account a valid, unexpired link confirms (now active), or None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=VERIFY_DAYS * 86400)
    except signing.BadSignature:
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is not None and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user
