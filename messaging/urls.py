"""Message pages: buyer (platform host), ops console (platform /ops/), vendor dashboard."""

from django.urls import path

from messaging import views

buyer_patterns = [
    path("messages/", views.buyer_thread_list, name="buyer-thread-list"),
    path("messages/<int:thread_id>/", views.buyer_thread_detail, name="buyer-thread-detail"),
    path("messages/<int:thread_id>/attachments/<int:attachment_id>/", views.buyer_thread_attachment,
         name="buyer-thread-attachment"),
    path("messages/<int:thread_id>/report/<int:message_id>/", views.buyer_message_report,
         name="buyer-message-report"),
    path("p/<int:listing_id>/questions/new/", views.buyer_question_new, name="buyer-question-new"),
    path("orders/<int:order_id>/parts/<int:sub_order_id>/message/", views.buyer_order_thread,
         name="buyer-order-thread"),
]

ops_patterns = [
    path("moderation/messages/", views.ops_report_queue, name="ops-message-reports"),
    path("moderation/messages/<int:report_id>/", views.ops_report_detail, name="ops-message-report-detail"),
    path("messages/<int:thread_id>/", views.ops_thread_detail, name="ops-thread-detail"),
    path("messages/<int:thread_id>/attachments/<int:attachment_id>/", views.ops_thread_attachment,
         name="ops-thread-attachment"),
]

dashboard_patterns = [
    path("messages/", views.vendor_thread_list, name="vendor-thread-list"),
    path("messages/<int:thread_id>/", views.vendor_thread_detail, name="vendor-thread-detail"),
    path("messages/<int:thread_id>/attachments/<int:attachment_id>/", views.vendor_thread_attachment,
         name="vendor-thread-attachment"),
    path("messages/<int:thread_id>/report/<int:message_id>/", views.vendor_message_report,
         name="vendor-message-report"),
    path("messages/<int:thread_id>/block/", views.vendor_thread_block, name="vendor-thread-block"),
]
