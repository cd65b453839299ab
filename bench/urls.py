from django.urls import path

from config.urls import urlpatterns as product_urlpatterns

from . import bare_admin, views

urlpatterns = [
    path("bench/insert/", views.insert),
    path("bench/insert-checked/", views.insert_checked),
    path("bench/insert-queued/", views.insert_queued),
    path("bench/list/", views.listing),
    path("bench/page/", views.page),
    path("bench/drf-page/", views.DrfPage.as_view()),
    path("bench/admin/", bare_admin.site.urls),
    *product_urlpatterns,
]
