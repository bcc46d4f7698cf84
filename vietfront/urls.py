from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Trang cộng đồng MTTQ Việt Nam"
admin.site.site_title = "Quản trị Trang cộng đồng"
admin.site.index_title = "Quản trị"

urlpatterns = [
    path("quan-tri/", admin.site.urls),
    path("", include("pages.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
