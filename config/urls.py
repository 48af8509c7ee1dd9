from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api
from toshokan.staff import views as staff_views

urlpatterns = [
    # Staff sign in with a password and a second factor (toshokan.staff, docs/staff-accounts.md):
    # the admin's login leads there, and the desk's login address serves the same page.
    path("admin/login/", RedirectView.as_view(pattern_name="staff:login", query_string=True)),
    path("desk/login", staff_views.SignInView.as_view()),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("desk/", include("toshokan.circulation.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("toshokan.federation.urls")),
    path("", include("toshokan.archive.urls")),
    path("", include("toshokan.passkeys.urls")),
    path("", include("toshokan.identity.urls")),
    path("", include("toshokan.staff.urls")),
    path("", include("toshokan.portal.urls")),
]
