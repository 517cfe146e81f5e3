"""Top-level URLs: pages, the JSON API (OpenAPI at /api/docs), the CKAN API and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from commonground.accounts import views as account_views
from commonground.api import api

urlpatterns = [
    path("", include("commonground.places.urls")),
    path("", include("commonground.catalogue.urls")),
    path("", include("commonground.energy.urls")),
    path("", include("commonground.activity.urls")),
    path("", include("commonground.community.urls")),
    path("", include("commonground.consultations.urls")),
    path("", include("commonground.evidence.urls")),
    path("", include("commonground.projects.urls")),
    path("", include("commonground.feeds.urls")),
    path("api/", include("commonground.catalogue.ckan.urls")),
    path("api/", api.urls),
    path("accounts/login/", account_views.SignInPage.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", account_views.signup_page, name="signup"),
    path("accounts/verify/<str:token>/", account_views.verify_page, name="verify_email"),
    path("accounts/resend/", account_views.resend_page, name="resend_link"),
    path("accounts/delete/", account_views.delete_page, name="delete_account"),
    path("accounts/tokens/", account_views.tokens_page, name="api_tokens"),
    path("accounts/tokens/<str:prefix>/revoke/", account_views.token_revoke,
         name="api_token_revoke"),
    path("accounts/password/reset/", account_views.PasswordResetPage.as_view(),
         name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="registration/password_reset_sent.html"), name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/",
         account_views.PasswordResetConfirmPage.as_view(), name="password_reset_confirm"),
    path("accounts/password/reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="registration/password_reset_complete.html"),
         name="password_reset_complete"),
    path("accounts/password/change/", account_views.PasswordChangePage.as_view(),
         name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="registration/password_change_done.html"), name="password_change_done"),
    path("admin/", admin.site.urls),
]

handler404 = "commonground.places.views.not_found"
