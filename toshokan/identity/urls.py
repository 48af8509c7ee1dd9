from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("signup/mynumber", views.signup, name="signup"),
    path("signup/mynumber/welcome", views.welcome, name="welcome"),
    path("account/login/mynumber", views.login, name="login"),
    path("account/mynumber", views.account, name="account"),
    path("account/mynumber/pin", views.first_pin, name="first_pin"),
]
