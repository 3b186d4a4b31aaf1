"""S3 helpers for tests running against the `moto_s3` fixture."""

from __future__ import annotations

from typing import Any


def create_bucket(s3: Any, name: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
