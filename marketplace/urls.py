"""Marketplace pages on the platform host."""

from django.urls import path

from marketplace import views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.suggest, name="search-suggest"),
    path("c/<path:path>/", views.category_page, name="category"),
    path("p/<int:listing_id>/", views.listing_page, name="listing-short"),
    path("p/<int:listing_id>/<slug:handle>/", views.listing_page, name="listing"),
]

ops_patterns = [
    path("categories/", views.ops_categories, name="ops-categories"),
    path("categories/<int:category_id>/", views.ops_category_edit, name="ops-category-edit"),
]
