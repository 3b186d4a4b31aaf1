"""Messages API routes: buyer (platform /api/v1/), vendor (vendor host /api/v1/vendor/)."""

from django.urls import path

from messaging import apis

buyer_patterns = [
    path("threads/", apis.BuyerThreadListApi.as_view(), name="api-threads"),
    path("threads/<int:thread_id>/messages/", apis.BuyerThreadMessagesApi.as_view(), name="api-thread-messages"),
]

vendor_patterns = [
    path("threads/", apis.VendorThreadListApi.as_view(), name="api-vendor-threads"),
    path("threads/<int:thread_id>/messages/", apis.VendorThreadMessagesApi.as_view(),
         name="api-vendor-thread-messages"),
]
