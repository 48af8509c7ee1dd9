"""The staff desk, under /desk/."""

from django.urls import path

from . import registrations, views

app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.LoginView.as_view(), name="login"),
    path("logout", views.logout, name="logout"),
    path("branch", views.choose_branch, name="branch"),
    path("checkout", views.checkout, name="checkout"),
    path("return", views.checkin, name="checkin"),
    path("renew", views.renew, name="renew"),
    path("holds", views.holds, name="holds"),
    path("patrons", views.patrons, name="patrons"),
    path("patrons/new", views.register, name="register"),
    path("patrons/<int:patron_id>", views.patron, name="patron"),
    path("patrons/<int:patron_id>/registration", views.renew_registration, name="renew_registration"),
    path("patrons/<int:patron_id>/pin", views.reset_pin, name="reset_pin"),
    path("patrons/<int:patron_id>/blocks", views.add_block, name="add_block"),
    path("patrons/<int:patron_id>/blocks/<int:block_id>/lift", views.lift_block, name="lift_block"),
    path("patrons/<int:patron_id>/renew", views.renew_loan, name="renew_loan"),
    path("patrons/<int:patron_id>/holds", views.place_hold, name="place_hold"),
    path("patrons/<int:patron_id>/holds/<int:hold_id>/cancel", views.cancel_hold, name="cancel_hold"),
    path("registrations", registrations.queue, name="registrations"),
    path("registrations/<int:review_id>", registrations.review, name="registration_review"),
    path("registrations/<int:review_id>/create", registrations.review_create, name="registration_create"),
    path("registrations/<int:review_id>/merge", registrations.review_merge, name="registration_merge"),
    path("registrations/<int:review_id>/reject", registrations.review_reject, name="registration_reject"),
    path("registrations/patrons/<int:patron_id>/verify", registrations.verify, name="registration_verify"),
    path(
        "registrations/patrons/<int:patron_id>/reject", registrations.reject, name="registration_reject_card"
    ),
]
