"""Sign-up and email verification pages (thin: ``signup`` does the work)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse

from . import ratelimit, signup


def signup_page(request):
    form = signup.SignupForm(request.POST or None)
    if request.method == "POST":
        try:
            ratelimit.check("sign up", request.META.get("REMOTE_ADDR", ""))
        except ratelimit.RateLimited as exc:
            return render(request, "registration/signup.html",
                          {"form": form, "limited": str(exc)}, status=429)
        if form.is_valid():
            user = signup.create_account(form, lambda token: request.build_absolute_uri(
                reverse("verify_email", args=[token])))
            return render(request, "registration/signup_sent.html", {"email": user.email})
        return render(request, "registration/signup.html", {"form": form}, status=400)
    return render(request, "registration/signup.html", {"form": form})


def verify_page(request, token: str):
    user = signup.verify(token)
    return render(request, "registration/verified.html", {"account": user},
                  status=200 if user else 400)
