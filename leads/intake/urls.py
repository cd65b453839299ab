from django.urls import path

from . import views

app_name = "leads"
urlpatterns = [
    path("", views.intake, name="intake"),
    path("thanks/", views.thanks, name="thanks"),
]
