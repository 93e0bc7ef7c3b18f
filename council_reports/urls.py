from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from council_reports import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("council_reports.account_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("indicators.api_urls")),
    path("", include("indicators.return_urls")),
    path("councils/<slug:council>/workforce/", include("workforce.urls")),
    path("councils/<slug:council>/audits/", include("audits.urls")),
    path("councils/<slug:council>/figures/", include("indicators.figure_urls")),
    path("imports/", include("indicators.import_urls")),
    path("councils/<slug:council>/indicators/", include("indicators.indicator_urls")),
    path("councils/", include("indicators.council_urls")),
    path("reports/", include("reports.urls")),
    path("report-packs/", include("reports.pack_urls")),
]
