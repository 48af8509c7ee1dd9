"""Passkeys: the patron's under /account/passkeys/, the staff page at /desk/passkeys."""

from django.urls import URLPattern, path

from . import views

app_name = "passkeys"

urlpatterns: list[URLPattern] = [
    path("account/passkeys/login/options", views.login_options, name="login_options"),
    path("account/passkeys/login", views.login, name="login"),
    path("account/passkeys/register/options", views.patron_register_options, name="register_options"),
    path("account/passkeys/register", views.patron_register, name="register"),
    path("account/passkeys/<int:passkey_id>/rename", views.patron_rename, name="rename"),
    path("account/passkeys/<int:passkey_id>/remove", views.patron_remove, name="remove"),
    path("desk/passkeys", views.staff, name="staff"),
    path("desk/passkeys/register/options", views.staff_register_options, name="staff_register_options"),
    path("desk/passkeys/register", views.staff_register, name="staff_register"),
    path("desk/passkeys/verify/options", views.staff_verify_options, name="staff_verify_options"),
    path("desk/passkeys/verify", views.staff_verify, name="staff_verify"),
    path("desk/passkeys/<int:passkey_id>/rename", views.staff_rename, name="staff_rename"),
    path("desk/passkeys/<int:passkey_id>/remove", views.staff_remove, name="staff_remove"),
]
