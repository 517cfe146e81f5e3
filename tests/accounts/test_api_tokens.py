"""A person's API tokens: made and revoked on their tokens page, shown once, stored hashed;
a CKAN client sending one acts as that person with their rights at the time of the call."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from commonground.accounts import tokens
from commonground.accounts.models import ApiToken, Membership, Organisation
from commonground.catalogue.models import Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(django_user_model):
    return django_user_model.objects.create_user("tok-officer", password="pw-tok-12345")


@pytest.fixture
def private_dataset(officer):
    """A private dataset of a council the officer is a member of."""
    council = Organisation.objects.create(slug="tok-council", name="Token Council",
                                          kind=Organisation.Kind.COUNCIL)
    Membership.objects.create(user=officer, organisation=council, role=Membership.Role.MEMBER)
    return Dataset.objects.create(name="tok-private", title="Private counts",
                                  organisation=council, state=Dataset.State.PUBLISHED,
                                  private=True)


def package_show(client, header: dict) -> int:
    response = client.post("/api/3/action/package_show", json.dumps({"id": "tok-private"}),
                           content_type="application/json", headers=header)
    return response.status_code


def test_a_token_is_made_on_the_page_shown_once_and_stored_hashed(client, officer):
    client.force_login(officer)
    page = client.get(reverse("api_tokens"))
    assert page.status_code == 200 and "No tokens yet" in page.content.decode()
    made = client.post(reverse("api_tokens"), {"label": "nightly publishing"})
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="new-token">([^<]+)</code>', made.content.decode()).group(1)
    token = ApiToken.objects.get(user=officer)
    assert token.label == "nightly publishing" and secret.startswith(token.prefix)
    assert secret not in (token.hashed, token.prefix) and len(token.hashed) == 64
    again = client.get(reverse("api_tokens")).content.decode()
    assert secret not in again and f"{token.prefix}…" in again
    assert tokens.user_for(secret) == officer


def test_an_expiry_in_the_past_is_refused_and_makes_nothing(client, officer):
    client.force_login(officer)
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    refused = client.post(reverse("api_tokens"), {"expires": past})
    assert refused.status_code == 400 and "must be in the future" in refused.content.decode()
    assert not ApiToken.objects.exists()


def test_only_its_owner_revokes_a_token_and_then_it_stops_working(client, officer,
                                                                 django_user_model,
                                                                 private_dataset):
    made = tokens.make(officer, label="script")
    assert package_show(client, {"Authorization": made.secret}) == 200
    other = django_user_model.objects.create_user("tok-other", password="pw-oth-12345")
    client.force_login(other)
    url = reverse("api_token_revoke", args=[made.token.prefix])
    assert client.post(url).status_code == 404
    client.logout()
    assert package_show(client, {"Authorization": made.secret}) == 200
    client.force_login(officer)
    assert client.get(url).status_code == 405  # revoking is a POST (with the CSRF token)
    assert client.post(url).status_code == 302
    client.logout()
    assert ApiToken.objects.get().revoked is not None
    assert package_show(client, {"Authorization": made.secret}) == 404


def test_a_token_authenticates_as_ckan_sends_it_and_as_a_bearer(client, officer,
                                                                private_dataset):
    secret = tokens.make(officer).secret
    assert package_show(client, {}) == 404  # anonymous: private datasets are not found
    assert package_show(client, {"Authorization": secret}) == 200
    assert package_show(client, {"Authorization": f"Bearer {secret}"}) == 200
    assert package_show(client, {"X-CKAN-API-Key": secret}) == 200
    assert package_show(client, {"Authorization": secret[:-1]}) == 404
    assert ApiToken.objects.get().last_used is not None


def test_a_token_has_only_its_persons_current_rights(client, officer, private_dataset):
    secret = tokens.make(officer).secret
    assert package_show(client, {"Authorization": secret}) == 200
    Membership.objects.filter(user=officer).delete()  # the officer left the council
    assert package_show(client, {"Authorization": secret}) == 404


def test_an_inactive_account_or_expired_token_is_refused(client, officer, private_dataset):
    live = tokens.make(officer, expires=timezone.now() + timedelta(hours=1))
    assert package_show(client, {"Authorization": live.secret}) == 200
    ApiToken.objects.filter(pk=live.token.pk).update(expires=timezone.now())
    assert package_show(client, {"Authorization": live.secret}) == 404
    other = tokens.make(officer).secret
    officer.is_active = False
    officer.save()
    assert package_show(client, {"Authorization": other}) == 404
    with pytest.raises(tokens.TokenRefused):
        tokens.make(officer)


def test_a_bad_token_does_not_fall_back_to_the_session(client, officer, private_dataset):
    client.force_login(officer)
    assert package_show(client, {}) == 200
    assert package_show(client, {"Authorization": "not-a-token-at-all"}) == 404


def test_changing_the_password_revokes_every_token_and_says_so(client, officer,
                                                               private_dataset):
    made = [tokens.make(officer).secret for _ in range(2)]
    client.force_login(officer)
    done = client.post(reverse("password_change"), {
        "old_password": "pw-tok-12345", "new_password1": "a-new-long-phrase-93",
        "new_password2": "a-new-long-phrase-93"}, follow=True)
    assert "Your 2 API tokens were revoked" in done.content.decode()
    client.logout()
    assert [package_show(client, {"Authorization": s}) for s in made] == [404, 404]
    assert not ApiToken.objects.filter(revoked__isnull=True).exists()


def test_a_password_reset_revokes_the_tokens_a_thief_may_have_made(client, officer,
                                                                    private_dataset):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    stolen = tokens.make(officer).secret
    link = reverse("password_reset_confirm", args=[
        urlsafe_base64_encode(force_bytes(officer.pk)), default_token_generator.make_token(officer)])
    form = client.get(link, follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "a-new-long-phrase-93",
                                                   "new_password2": "a-new-long-phrase-93"},
                       follow=True)
    assert "Your 1 API token was revoked" in done.content.decode()
    assert package_show(client, {"Authorization": stolen}) == 404
    fresh = tokens.make(officer).secret  # new ones work
    assert package_show(client, {"Authorization": fresh}) == 200
