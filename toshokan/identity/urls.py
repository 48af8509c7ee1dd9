from django.urls import path

app_name = "identity"

urlpatterns: list[object] = []
