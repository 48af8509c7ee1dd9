from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
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
