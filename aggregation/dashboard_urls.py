"""Dashboard pages, served inside the admin (staff sign-in required)."""

from django.contrib import admin
from django.urls import path

from aggregation import review_views, views

urlpatterns = [
    path("<slug:slug>/", admin.site.admin_view(views.dashboard), name="dashboard"),
    path("<slug:slug>/sources/", admin.site.admin_view(views.sources), name="dashboard-sources"),
    path(
        "<slug:slug>/review/",
        admin.site.admin_view(review_views.review_queue),
        name="review-queue",
    ),
    path(
        "requests/<int:pk>/readings/",
        admin.site.admin_view(review_views.request_readings),
        name="request-readings",
    ),
    path(
        "documents/<int:pk>/grid/",
        admin.site.admin_view(review_views.document_grid),
        name="document-grid",
    ),
    path(
        "<slug:slug>/export.xlsx",
        admin.site.admin_view(views.export_xlsx),
        name="dashboard-export-xlsx",
    ),
    path(
        "<slug:slug>/export.csv",
        admin.site.admin_view(views.export_csv),
        name="dashboard-export-csv",
    ),
]
