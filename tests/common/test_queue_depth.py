"""Queue depth: measured from the real broker and published to a CloudWatch API (moto server)."""

from __future__ import annotations

import boto3
import pytest
from moto.server import ThreadedMotoServer

from common import metrics
from config.celery import app
from tenants.tasks import tenant_ping


@pytest.fixture
def empty_queue():
    app.control.purge()
    yield
    app.control.purge()


def test_queue_depth_counts_waiting_tasks(empty_queue):
    before = metrics.celery_queue_depths()["celery"]
    for _ in range(3):
        tenant_ping.delay()
    assert metrics.celery_queue_depths()["celery"] == before + 3


def test_queue_depth_is_published_to_cloudwatch(settings, empty_queue, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        settings.CLOUDWATCH_METRICS_NAMESPACE = "MarketplaceTest"
        settings.CLOUDWATCH_ENDPOINT_URL = f"http://{host}:{port}"
        tenant_ping.delay()
        assert metrics.publish_queue_depths(metrics.celery_queue_depths()) is True
        client = boto3.client(
            "cloudwatch", region_name=settings.AWS_S3_REGION_NAME,
            endpoint_url=settings.CLOUDWATCH_ENDPOINT_URL,
            aws_access_key_id="test", aws_secret_access_key="test",
        )
        listed = client.list_metrics(Namespace="MarketplaceTest")["Metrics"]
        assert [m["MetricName"] for m in listed] == ["CeleryQueueDepth"]
        assert listed[0]["Dimensions"] == [{"Name": "Queue", "Value": "celery"}]
    finally:
        server.stop()


def test_without_namespace_nothing_is_published(settings):
    settings.CLOUDWATCH_METRICS_NAMESPACE = ""
    assert metrics.publish_queue_depths({"celery": 1}) is False
