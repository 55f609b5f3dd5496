from django.urls import path

from . import views

app_name = "digests"

urlpatterns = [
    path("subscribe", views.subscribe, name="subscribe"),
    path("hide-prompt", views.hide_prompt, name="hide_prompt"),
    path("check-your-inbox", views.check_inbox, name="check_inbox"),
    path("confirm/<str:token>", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/one-click", views.one_click, name="one_click"),
    path("manage/<str:token>", views.manage, name="manage"),
]
