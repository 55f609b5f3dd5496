from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("signup", views.signup, name="signup"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("verify-email", views.verify_pending, name="verify_pending"),
    path("verify-email/<str:token>", views.verify_email, name="verify_email"),
    path("password-reset", views.password_reset, name="password_reset"),
    path("password-reset/sent", views.password_reset_sent, name="password_reset_sent"),
    path("password-reset/<uidb64>/<token>", views.PasswordResetConfirm.as_view(), name="password_reset_confirm"),
    path("users/<name:username>", views.profile, name="profile"),
    path("settings", views.settings_view, name="settings"),
    path("settings/password", views.password_change, name="password_change"),
    path("settings/tokens", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
    path("settings/delete", views.delete_account, name="delete"),
    path("settings/export", views.export_data, name="export"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
