from django.urls import path

from config.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/insert/", views.insert),
    path("bench/list/", views.listing),
    *product_urlpatterns,
]
