from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from requests_app.inbound import mailgun_inbound

urlpatterns = [
    path("admin/dashboard/", include("aggregation.dashboard_urls")),
    path("admin/", admin.site.urls),
    path("api/", include("requests_app.urls")),
    path("api/", include("aggregation.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Mailgun posts the raw message to a URL ending in "mime", the parsed fields to others.
    path("mail/inbound/mailgun_mime/", mailgun_inbound, name="mailgun-inbound-mime"),
    path("mail/inbound/mailgun/", mailgun_inbound, name="mailgun-inbound"),
]
