from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from pages.cache import public_cache, site_wide
from pages.sitemaps import SITEMAPS
from pages.views import robots_txt

from .admin_shortcut import view_on_site
from .views import healthz

admin.site.site_header = _("Trang cộng đồng MTTQ Việt Nam")
admin.site.site_title = _("Quản trị Trang cộng đồng")
admin.site.index_title = _("Quản trị")

handler404 = "pages.views.not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots"),
    path(
        "sitemap.xml",
        public_cache(site_wide)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        public_cache(site_wide, query=("p",))(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    # Before the admin's own (unchecked) shortcut of the same path.
    path("quan-tri/r/<int:content_type_id>/<path:object_id>/", view_on_site, name="admin_view_on_site"),
    path("quan-tri/", admin.site.urls),
    path("tai-khoan/", include("orgunits.urls")),
    path("bang-dieu-khien/", include("rollout.urls")),
    path("van-ban/", include("rollout.public_urls")),
    path("api/v1/", include("channels.api_urls")),
    path("", include("pages.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
