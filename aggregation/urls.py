from rest_framework.routers import DefaultRouter

from aggregation import api

router = DefaultRouter()
router.register("documents", api.DocumentViewSet)

urlpatterns = router.urls
