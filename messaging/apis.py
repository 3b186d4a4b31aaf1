"""Messages API: a buyer's threads (platform host) and the vendor's (its host).

Thin views: another party's thread id is a 404, exactly like a missing one; reading a thread's
messages marks them read for that side; a refused message answers the error body (403 when the
vendor blocked the buyer, 400 for bad text) and stores nothing. Files: the page forms.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVendorStaff, current_vendor
from common.api import Pagination
from messaging import selectors, services
from messaging.models import Message, Thread


class ThreadOutput(serializers.ModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    unread = serializers.IntegerField(read_only=True)

    class Meta:
        model = Thread
        fields = ["id", "kind", "subject", "vendor_name", "listing_id", "sub_order_id", "created_at",
                  "last_message_at", "unread"]


class ThreadAttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class ThreadMessageOutput(serializers.ModelSerializer):
    attachments = ThreadAttachmentOutput(many=True, read_only=True)
    hidden = serializers.SerializerMethodField(help_text="Removed by the marketplace: no body, no files.")

    class Meta:
        model = Message
        fields = ["id", "role", "body", "created_at", "attachments", "hidden"]

    def get_hidden(self, message: Message) -> bool:
        return message.hidden_at is not None

    def to_representation(self, instance: Message) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.hidden_at is not None:
            data["body"], data["attachments"] = "", []
        return data


class ThreadMessageInput(serializers.Serializer):
    body = serializers.CharField(help_text="Plain text, at most 10 KB (UTF-8).")


def _page(view: APIView, request: Request, qs: Any, serializer: type[serializers.BaseSerializer]) -> Response:
    paginator = Pagination()
    page: Any = paginator.paginate_queryset(qs, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def _post(request: Request, thread: Thread, role: str) -> Response:
    data = ThreadMessageInput(data=request.data)
    data.is_valid(raise_exception=True)
    message = services.message_post(thread=thread, author=request.user, role=role, body=data.validated_data["body"])
    return Response(ThreadMessageOutput(message).data, status=status.HTTP_201_CREATED)


class BuyerThreadListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["messages"], responses=ThreadOutput(many=True), operation_id="threads_list")
    def get(self, request: Request) -> Response:
        return _page(self, request, selectors.threads_for_buyer(user=request.user), ThreadOutput)


class BuyerThreadMessagesApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(tags=["messages"], responses=ThreadMessageOutput(many=True), operation_id="threads_messages_list")
    def get(self, request: Request, thread_id: int) -> Response:
        thread = selectors.thread_for_buyer(user=request.user, thread_id=thread_id)
        services.thread_mark_read(thread=thread, role=Message.Role.BUYER)
        return _page(self, request, selectors.thread_messages(thread=thread), ThreadMessageOutput)

    @extend_schema(tags=["messages"], request=ThreadMessageInput, responses={201: ThreadMessageOutput},
                   operation_id="threads_messages_create")
    def post(self, request: Request, thread_id: int) -> Response:
        return _post(request, selectors.thread_for_buyer(user=request.user, thread_id=thread_id), Message.Role.BUYER)


class VendorThreadListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor messages"], responses=ThreadOutput(many=True), operation_id="vendor_threads_list")
    def get(self, request: Request) -> Response:
        return _page(self, request, selectors.threads_for_vendor(vendor=current_vendor(request)), ThreadOutput)


class VendorThreadMessagesApi(APIView):
    permission_classes = [IsVendorStaff]
    parser_classes = [JSONParser]

    @extend_schema(tags=["vendor messages"], responses=ThreadMessageOutput(many=True),
                   operation_id="vendor_threads_messages_list")
    def get(self, request: Request, thread_id: int) -> Response:
        thread = selectors.thread_for_vendor(vendor=current_vendor(request), thread_id=thread_id)
        services.thread_mark_read(thread=thread, role=Message.Role.VENDOR)
        return _page(self, request, selectors.thread_messages(thread=thread), ThreadMessageOutput)

    @extend_schema(tags=["vendor messages"], request=ThreadMessageInput, responses={201: ThreadMessageOutput},
                   operation_id="vendor_threads_messages_create")
    def post(self, request: Request, thread_id: int) -> Response:
        thread = selectors.thread_for_vendor(vendor=current_vendor(request), thread_id=thread_id)
        return _post(request, thread, Message.Role.VENDOR)
