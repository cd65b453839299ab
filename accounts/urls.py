"""The signed-in staff user's own pages, under /admin/account/ (the admin's login required)."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", admin.site.admin_view(views.two_factor), name="two_factor"),
]
