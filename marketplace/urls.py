"""Marketplace pages on the platform host."""

from django.urls import path

from marketplace import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap-section"),
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.suggest, name="search-suggest"),
    path("c/<path:path>/", views.category_page, name="category"),
    path("p/<int:listing_id>/", views.listing_page, name="listing-short"),
    path("p/<int:listing_id>/<slug:handle>/", views.listing_page, name="listing"),
    path("recommendations/", views.home_recommendations, name="recommendations-home"),
    path("recommendations/viewed/<int:listing_id>/", views.listing_viewed, name="recommendations-viewed"),
    path("stores/<slug:vendor_slug>/follow/", views.store_follow_page, name="store-follow"),
    path("account/stores/", views.stores_followed_page, name="stores-followed"),
]

ops_patterns = [
    path("categories/", views.ops_categories, name="ops-categories"),
    path("categories/<int:category_id>/", views.ops_category_edit, name="ops-category-edit"),
]
