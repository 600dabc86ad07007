from rest_framework.routers import DefaultRouter

from requests_app import api

# The app's API collections; foitrack.urls serves them under one root.
router = DefaultRouter()
router.register("forces", api.ForceViewSet)
router.register("campaigns", api.CampaignViewSet)
router.register("requests", api.FOIRequestViewSet)
router.register("events", api.RequestEventViewSet)
router.register("replies", api.ReplyViewSet)
