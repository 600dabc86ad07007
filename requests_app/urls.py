from rest_framework.routers import DefaultRouter

from requests_app import api

router = DefaultRouter()
router.register("forces", api.ForceViewSet)
router.register("campaigns", api.CampaignViewSet)
router.register("requests", api.FOIRequestViewSet)
router.register("events", api.RequestEventViewSet)
router.register("replies", api.ReplyViewSet)

urlpatterns = router.urls
