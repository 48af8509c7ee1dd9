from django.urls import path

from .calil.check import check
from .calil.library import library
from .views import where

app_name = "federation"

urlpatterns = [
    path("calil/library", library, name="calil-library"),
    path("calil/check", check, name="calil-check"),
    path("where-to-borrow", where, name="where"),
]
