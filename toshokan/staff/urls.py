from django.urls import path

from . import exports, views

app_name = "staff"

urlpatterns = [
    path("staff/login", views.SignInView.as_view(), name="login"),
    path("staff/verify", views.verify, name="verify"),
    path("staff/verify/passkey/options", views.passkey_options, name="passkey_options"),
    path("staff/verify/passkey", views.passkey_verify, name="passkey_verify"),
    path("staff/enrol", views.enrol, name="enrol"),
    path("staff/recovery-codes", views.recovery_codes, name="recovery_codes"),
    path("staff/confirm", views.confirm, name="confirm"),
    path("staff/session", views.session_status, name="session"),
    path("staff/session/extend", views.session_extend, name="session_extend"),
    path("staff/logout", views.logout, name="logout"),
    path("staff/roles", views.roles, name="roles"),
    path("staff/roles/<int:user_id>", views.set_roles, name="set_roles"),
    # The two-approver export of a patron's reading record (docs/audit.md).
    path("staff/exports", exports.exports, name="exports"),
    path("staff/exports/new", exports.new_export, name="export_new"),
    path("staff/exports/<int:export_id>", exports.export_detail, name="export"),
    path("staff/exports/<int:export_id>/decide", exports.decide, name="export_decide"),
    path("staff/exports/<int:export_id>/download", exports.download, name="export_download"),
]
