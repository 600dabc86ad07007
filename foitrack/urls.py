from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from aggregation.urls import router as aggregation_router
from requests_app.inbound import mailgun_inbound
from requests_app.urls import router as requests_router

# One API root that lists every collection of both apps.
api = DefaultRouter()
api.registry.extend(requests_router.registry + aggregation_router.registry)

urlpatterns = [
    path("admin/dashboard/", include("aggregation.dashboard_urls")),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("api/", include(api.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Mailgun posts the raw message to a URL ending in "mime", the parsed fields to others.
    path("mail/inbound/mailgun_mime/", mailgun_inbound, name="mailgun-inbound-mime"),
    path("mail/inbound/mailgun/", mailgun_inbound, name="mailgun-inbound"),
]
