"""The Chalice app in the stack: Chalice's CDK construct over the prebuilt package, then the
overrides Chalice can't express (names, environment, partial batch failures, the role's policy).

``infra.package.build(stage)`` makes ``deployment.zip`` (precompiled) and ``sam.json`` once;
``PrebuiltChalice`` takes them instead of packaging again. The SAM template Chalice wrote is
included as is, then changed through CDK overrides, except one edit made before inclusion: the
API's integration URIs name the API function by its (fixed) ARN instead of ``${APIHandler.Arn}``,
so the function's JFW_BASE_URL can refer to the REST API without a circular dependency.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnResource, Stage
from chalice.cdk import Chalice
from constructs import Construct

from infra.config import ROOT
from infra.package import link_or_copy

API_LOGICAL_ID = "APIHandler"
REST_API_LOGICAL_ID = "RestAPI"
_API_ARN_REF = "${APIHandler.Arn}"


def functions(sam: dict) -> dict[str, dict]:
    """Logical id -> properties of every Lambda function in the SAM template."""
    return {name: r["Properties"] for name, r in sam["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


def function_suffix(logical_id: str) -> str:
    """``ConsumeOutbox`` -> ``consume-outbox``; the API handler is ``api``."""
    if logical_id == API_LOGICAL_ID:
        return "api"
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", logical_id).lower()


def events(props: dict, kind: str) -> dict[str, dict]:
    return {name: e["Properties"] for name, e in (props.get("Events") or {}).items()
            if e["Type"] == kind}


def sqs_queue_name(event_props: dict) -> str:
    """The queue name Chalice baked into an SQS event (``arn:...:jfw-dev-outbox``)."""
    arn = event_props["Queue"]
    text = arn.get("Fn::Sub") if isinstance(arn, dict) else arn
    return str(text).rsplit(":", 1)[1]


def point_api_at_function_name(sam: dict, function_name: str) -> int:
    """Replace ``${APIHandler.Arn}`` in the API definition with the function's ARN built from its
    name; returns how many integrations changed."""
    arn = (f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}"
           f":function:{function_name}")
    body = sam["Resources"][REST_API_LOGICAL_ID]["Properties"]["DefinitionBody"]
    changed = 0
    for operations in body.get("paths", {}).values():
        for op in operations.values():
            if not isinstance(op, dict):
                continue
            uri = (op.get("x-amazon-apigateway-integration") or {}).get("uri")
            if isinstance(uri, dict) and _API_ARN_REF in uri.get("Fn::Sub", ""):
                uri["Fn::Sub"] = uri["Fn::Sub"].replace(_API_ARN_REF, arn)
                changed += 1
    return changed


_VERBS = ("get", "post", "put", "patch", "delete")  # dispatch.HTTP_METHODS
ANY_METHOD = "x-amazon-apigateway-any-method"


def one_method_per_path(sam: dict) -> int:
    """Declare each path's operations once, as API Gateway's ANY method, where Chalice wrote the
    same operation for every verb (chalicelib/http/dispatch.py registers every verb on a path so
    that a wrong one gets our 405, not API Gateway's 403). The API answers the same, and each
    path costs one operation instead of five in the template (CloudFormation's 1 MB limit).
    OPTIONS (CORS preflight, a mock integration) stays as it is. Returns the paths merged."""
    body = sam["Resources"][REST_API_LOGICAL_ID]["Properties"]["DefinitionBody"]
    merged = 0
    for operations in body.get("paths", {}).values():
        ops = [operations.get(v) for v in _VERBS]
        if any(op is None for op in ops) or any(op != ops[0] for op in ops[1:]):
            continue
        for verb in _VERBS:
            del operations[verb]
        operations[ANY_METHOD] = ops[0]
        merged += 1
    return merged


BINARY_MEDIA_TYPES = ["*/*"]


def binary_for_every_accept(sam: dict) -> None:
    """API Gateway decodes a base64 reply (a PDF: chalicelib/http/routing.py BINARY_TYPES) only
    when the request's FIRST Accept type is a binary media type; JFW's SDK (axios) sends
    ``application/json, text/plain, */*`` and browsers ``text/html,...``, so with Chalice's list
    they would get base64 text. ``*/*`` makes every Accept qualify. Replies Chalice does not
    base64-encode (JSON) pass as they are, and request bodies arrive base64-encoded, which
    Chalice decodes (``Request.raw_body``)."""
    body = sam["Resources"][REST_API_LOGICAL_ID]["Properties"]["DefinitionBody"]
    body["x-amazon-apigateway-binary-media-types"] = list(BINARY_MEDIA_TYPES)


class PrebuiltChalice(Chalice):
    """``chalice.cdk.Chalice`` whose package step copies an existing package.

    ``template`` is the package's sam.json (already edited by the caller); the zip is hard-linked
    (or copied) from ``package_dir`` into this construct's package dir inside the cloud assembly.
    """

    def __init__(self, scope: Construct, construct_id: str, *, package_dir: Path,
                 template: dict[str, Any]) -> None:
        self._prebuilt_dir = Path(package_dir)
        self._template = template
        self._work_dir = Path(Stage.of(scope).outdir) / "chalice.out"
        super().__init__(scope, construct_id, source_dir=str(ROOT))

    def _package_app(self) -> None:
        dest = self._work_dir / Path(self._sam_package_dir).name
        dest.mkdir(parents=True, exist_ok=True)
        self._sam_package_dir = str(dest)
        zip_path = self._prebuilt_dir / "deployment.zip"
        if not zip_path.is_file():
            raise FileNotFoundError(f"{zip_path} is missing: run `make package STAGE=...`")
        link_or_copy(zip_path, dest / "deployment.zip")
        (dest / "sam.json").write_text(json.dumps(self._template))

    def _generate_sam_template_with_assets(self, chalice_out_dir: str, package_id: str) -> str:
        # Chalice would write next to the current directory (./chalice.out); keep it in cdk.out.
        return super()._generate_sam_template_with_assets(str(self._work_dir), package_id)

    def resource(self, logical_id: str) -> CfnResource:
        return self.sam_template.get_resource(logical_id)


def default_base_url(app: PrebuiltChalice) -> str:
    """The API's host root, without the stage: links are ``base_url + /api/v1/...`` and the
    stage (``api``) is that ``/api`` (chalicelib/http/dispatch.py mounted_path), so the URL is
    ``https://<id>.execute-api.<region>.<suffix>/api/v1/...``, as JFW's SDK expects."""
    rest_api = app.resource(REST_API_LOGICAL_ID).ref
    return f"https://{rest_api}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"
