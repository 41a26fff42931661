"""Synthesise every stage offline, for ``make infra-check``: no AWS account, no credentials, no
CDK CLI. Each stage lands in ``infra/cdk.out/<stage>/jfw-billing-<stage>.template.json``.

The check contexts use placeholder addresses and turn the optional parts on for prod (alarm
e-mail, extra SES identity, SES domain identity), so cfn-lint and tests/infra see both shapes.

    python -m infra.synth [--stage dev --stage prod] [--out infra/cdk.out]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "infra" / "cdk.out"

CHECK_CONTEXT: dict[str, dict[str, str]] = {
    "dev": {"stage": "dev", "mailSender": "no-reply@dev.example.com"},
    "prod": {"stage": "prod", "mailSender": "no-reply@example.com",
             "alarmEmail": "ops@example.com", "mailIdentities": "brand.example.org",
             "createMailIdentity": "true"},
}


def offline_environment() -> None:
    """Nothing in a synth may reach AWS: a region for Chalice's packager, placeholder
    credentials and no instance-metadata lookups, so a stray call fails fast instead of
    hanging or using someone's real account."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    for key, value in (("AWS_ACCESS_KEY_ID", "offline"), ("AWS_SECRET_ACCESS_KEY", "offline")):
        os.environ.setdefault(key, value)
    os.environ["CDK_DEFAULT_ACCOUNT"] = "123456789012"
    os.environ["CDK_DEFAULT_REGION"] = os.environ["AWS_DEFAULT_REGION"]


def template_path(stage: str, out: Path = OUT) -> Path:
    return out / stage / f"jfw-billing-{stage}.template.json"


def synth(stage: str, out: Path = OUT) -> Path:
    """Synthesise ``stage`` into ``out/<stage>`` (emptied first); the template's path."""
    from infra.app import build_app

    outdir = out / stage
    shutil.rmtree(outdir, ignore_errors=True)
    build_app(CHECK_CONTEXT[stage], outdir).synth()
    path = template_path(stage, out)
    if not path.is_file():
        raise FileNotFoundError(f"synth wrote no {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", action="append", choices=sorted(CHECK_CONTEXT))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    offline_environment()
    started = time.perf_counter()
    for stage in args.stage or list(CHECK_CONTEXT):
        t0 = time.perf_counter()
        path = synth(stage, args.out)
        print(f"synth {stage}: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
              f"({time.perf_counter() - t0:.1f} s)")
    print(f"synth total: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
