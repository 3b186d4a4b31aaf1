"""Operational metrics: Celery queue depth read from the broker, published to CloudWatch."""

from __future__ import annotations

from django.conf import settings

CELERY_QUEUES = ("celery",)


def celery_queue_depths(queues: tuple[str, ...] = CELERY_QUEUES) -> dict[str, int]:
    """Messages waiting in each Redis-backed Celery queue (all priority sub-queues)."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    depths: dict[str, int] = {}
    for queue in queues:
        # Kombu's Redis transport keeps priorities in `<queue>`, `<queue>\x06\x163`, …
        keys = [queue, *[key.decode() for key in client.scan_iter(f"{queue}\x06\x16*")]]
        depths[queue] = sum(int(client.llen(key)) for key in keys)
    return depths


def publish_queue_depths(depths: dict[str, int]) -> bool:
    """Send the depths to CloudWatch when a namespace is configured; False when not."""
    namespace = settings.CLOUDWATCH_METRICS_NAMESPACE
    if not namespace:
        return False
    import boto3

    client = boto3.client(
        "cloudwatch",
        region_name=settings.AWS_S3_REGION_NAME,
        endpoint_url=settings.CLOUDWATCH_ENDPOINT_URL or None,
    )
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "CeleryQueueDepth", "Dimensions": [{"Name": "Queue", "Value": queue}],
             "Value": float(depth), "Unit": "Count"}
            for queue, depth in depths.items()
        ],
    )
    return True
