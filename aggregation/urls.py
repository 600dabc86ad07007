from rest_framework.routers import DefaultRouter

from aggregation import api

# The app's API collections; foitrack.urls serves them under one root.
router = DefaultRouter()
router.register("documents", api.DocumentViewSet)
router.register("rollups", api.RollupViewSet, basename="rollup")
router.register("reviews", api.ReviewViewSet, basename="review")
