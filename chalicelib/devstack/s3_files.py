"""S3's files across restarts of the local stack. moto's server keeps everything in memory and
has no way to persist it, so the stack copies the objects of its buckets into the data folder
when it stops and puts them back when it starts: a clean stop (Ctrl-C, SIGTERM) keeps them, a
killed stack loses what was uploaded since its start.

    <data>/s3/<bucket>/index.json    [{"key": ..., "file": ..., "contentType": ...}, ...]
    <data>/s3/<bucket>/<n>           each object's bytes
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

INDEX = "index.json"


def save(s3: Any, buckets: list[str], folder: Path) -> int:
    """Replace ``folder`` with every object of ``buckets``; how many were saved. Written next to
    it first and swapped in, so an interrupted save leaves the previous copy."""
    staging = folder.with_name(folder.name + ".saving")
    shutil.rmtree(staging, ignore_errors=True)
    count = 0
    for bucket in buckets:
        target = staging / bucket
        target.mkdir(parents=True)
        index = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents") or []:
                got = s3.get_object(Bucket=bucket, Key=obj["Key"])
                name = str(len(index))
                (target / name).write_bytes(got["Body"].read())
                index.append({"key": obj["Key"], "file": name,
                              "contentType": got.get("ContentType")})
        (target / INDEX).write_text(json.dumps(index, indent=1))
        count += len(index)
    shutil.rmtree(folder, ignore_errors=True)
    if staging.exists():
        staging.rename(folder)
    return count


def restore(s3: Any, buckets: list[str], folder: Path) -> int:
    """Put the saved objects of ``buckets`` back (the buckets exist); how many."""
    count = 0
    for bucket in buckets:
        index_path = folder / bucket / INDEX
        if not index_path.exists():
            continue
        for entry in json.loads(index_path.read_text()):
            extra = {"ContentType": entry["contentType"]} if entry.get("contentType") else {}
            s3.put_object(Bucket=bucket, Key=entry["key"],
                          Body=(folder / bucket / entry["file"]).read_bytes(), **extra)
            count += 1
    return count
