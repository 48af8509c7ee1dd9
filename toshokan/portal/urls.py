from django.urls import path

from toshokan.core.security import csp_report

from . import account, signup, views

app_name = "portal"
urlpatterns = [
    path("", views.search, name="search"),
    path("records/<int:record_id>", views.record, name="record"),
    path("records/<int:record_id>/hold", account.place_hold, name="record_hold"),
    path("sw.js", account.service_worker, name="service_worker"),
    path("csp-report", csp_report, name="csp_report"),
    path("signup", signup.signup_form, name="signup"),
    path("signup/done", signup.signup_done, name="signup_done"),
    path("signup/confirm/resend", signup.signup_resend, name="signup_resend"),
    path("signup/confirm/<str:token>", signup.signup_confirm, name="signup_confirm"),
    path("account/", account.home, name="account"),
    path("account/login", account.login, name="account_login"),
    path("account/logout", account.logout, name="account_logout"),
    path("account/card", account.card, name="account_card"),
    path("account/notices/read", account.notices_read, name="account_notices_read"),
    path("account/loans/<int:loan_id>/renew", account.renew, name="account_renew"),
    path("account/holds/<int:hold_id>/suspend", account.hold_suspend, name="account_hold_suspend"),
    path("account/holds/<int:hold_id>/resume", account.hold_resume, name="account_hold_resume"),
    path("account/holds/<int:hold_id>/cancel", account.hold_cancel, name="account_hold_cancel"),
    path("account/settings", account.settings, name="account_settings"),
    path("account/pin", account.change_pin, name="account_pin"),
    path("account/history", account.history, name="account_history"),
    path("account/history/start", account.history_start, name="account_history_start"),
    path("account/history/stop", account.history_stop, name="account_history_stop"),
    path("account/history/<int:entry_id>/delete", account.history_delete, name="account_history_delete"),
]
