"""CDK entry point. One stage per app, chosen by context:

    cd infra && npx aws-cdk synth -c stage=prod -c mailSender=no-reply@example.com
    python infra/app.py            # same, reading -c values from CDK_CONTEXT_JSON / cdk.json

``make infra-check`` synthesises offline through ``infra/synth.py``; ``make deploy`` goes
through ``infra/deploy.py``. Both end up in ``build_app``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by the CDK CLI, from infra/
    sys.path.insert(0, str(ROOT))

CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def default_context() -> dict[str, Any]:
    """cdk.json's context: the CDK CLI passes it itself; a plain `python` run needs it too."""
    return dict(json.loads(CDK_JSON.read_text()).get("context", {}))


def build_app(context: dict[str, Any] | None = None, outdir: str | Path | None = None) -> Any:
    """The CDK app with the stack of the stage named in ``context`` (merged over cdk.json)."""
    from infra.nodejs import use_bundled_node

    use_bundled_node()  # before aws_cdk is imported: jsii starts node on import
    import aws_cdk as cdk

    from infra import config, package
    from infra.stack import BillingStack

    app = cdk.App(context={**default_context(), **(context or {})},
                  outdir=str(outdir) if outdir else None, analytics_reporting=False)
    keys = ("stage", "mailSender", "mailIdentities", "createMailIdentity", "alarmEmail",
            "baseUrl", "stripeApiBase", "lambdaMemoryMb", "logRetentionDays",
            "api5xxRateThreshold", "bucketName")
    cfg = config.from_context({k: app.node.try_get_context(k) for k in keys})
    BillingStack(app, cfg, package.build(cfg.stage))
    return app


def main() -> int:
    from infra.config import ConfigError

    try:
        app = build_app()
    except ConfigError as e:
        print(f"infra: {e}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
