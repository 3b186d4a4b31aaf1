"""The vendor host's public pages besides its home: about, products, add to cart, sitemaps, robots."""

from django.urls import path

from storefront import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap-section"),
    path("about/", views.storefront_about, name="storefront-about"),
    path("products/<int:product_id>/", views.storefront_product, name="storefront-product-short"),
    path("products/<int:product_id>/<slug:handle>/", views.storefront_product, name="storefront-product"),
    path("cart/add/", views.storefront_cart_add, name="storefront-cart-add"),
]
