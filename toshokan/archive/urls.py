from django.urls import path

from . import views
from .iiif import presentation
from .iiif import views as iiif
from .oai.views import endpoint

app_name = "archive"

urlpatterns = [
    path("oai", endpoint, name="oai"),
    path("archive/", views.home, name="home"),
    path("archive/items/<slug:identifier>", views.item, name="item"),
    path("archive/map", views.archive_map, name="map"),
    path("archive/timeline", views.timeline, name="timeline"),
    path("iiif/manifests/<slug:identifier>", presentation.manifest_view, name="iiif-manifest"),
    path("iiif/collections", presentation.collections_view, name="iiif-collections"),
    path("iiif/collections/<slug:slug>", presentation.collection_view, name="iiif-collection"),
    path("iiif/3/<str:identifier>", iiif.base, name="iiif-base"),
    path("iiif/3/<str:identifier>/info.json", iiif.info, name="iiif-info"),
    path(
        "iiif/3/<str:identifier>/<str:region>/<str:size>/<str:rotation>/<str:quality_format>",
        iiif.image_request,
        name="iiif-image",
    ),
]
