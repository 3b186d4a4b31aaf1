from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        from marketplace.services import listings_follow_vendor
        from vendors.services import vendor_visibility_follow

        # A suspended vendor's listings disappear in the suspending transaction (vendors sits
        # below marketplace and cannot call it: it calls its followers).
        vendor_visibility_follow(listings_follow_vendor)
