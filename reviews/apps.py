from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from marketplace.services import listings_rebuild_follow
        from reviews.services import ratings_recompute_for_vendor

        # A listing created by a rebuild starts unrated: write its reviews' rating back onto it.
        listings_rebuild_follow(ratings_recompute_for_vendor)
