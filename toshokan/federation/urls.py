from django.urls import path

from .calil.check import check
from .calil.library import library

app_name = "federation"

urlpatterns = [
    path("calil/library", library, name="calil-library"),
    path("calil/check", check, name="calil-check"),
]
