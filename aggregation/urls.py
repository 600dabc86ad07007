from rest_framework.routers import DefaultRouter

from aggregation import api

router = DefaultRouter()
router.register("documents", api.DocumentViewSet)
router.register("rollups", api.RollupViewSet, basename="rollup")
router.register("reviews", api.ReviewViewSet, basename="review")

urlpatterns = router.urls
