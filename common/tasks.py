"""Platform-wide periodic tasks: publishing Celery queue depth (drives worker autoscaling)."""

from __future__ import annotations

import logging

from celery import shared_task

from common import metrics

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def queue_depth_publish() -> dict[str, int]:
    depths = metrics.celery_queue_depths()
    metrics.publish_queue_depths(depths)
    logger.info("celery_queue_depth", extra={"depths": depths})
    return depths

