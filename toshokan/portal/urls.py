from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.search, name="search"),
    path("records/<int:record_id>", views.record, name="record"),
]
