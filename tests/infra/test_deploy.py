"""``make deploy`` can't run here (no AWS account), so: it refuses clearly, before building or
calling the CDK, when the context or the credentials are missing; and it prints the URLs a
person pastes into Stripe and PayPal."""

from __future__ import annotations

import pytest

from infra import deploy


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_SECURITY_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    def no_cdk(*_a, **_k):
        raise AssertionError("the CDK CLI must not run")

    monkeypatch.setattr(deploy, "cdk", no_cdk)


def test_without_credentials_deploy_stops_and_says_how_to_set_them(no_credentials, capsys):
    assert deploy.main(["--stage", "prod", "--mail-sender", "no-reply@example.com"]) == 2
    err = capsys.readouterr().err
    assert "No usable AWS credentials" in err and "aws configure" in err


def test_without_a_region_deploy_says_so(no_credentials, monkeypatch, capsys):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert deploy.main(["--stage", "prod", "--mail-sender", "no-reply@example.com"]) == 2
    assert "AWS_REGION" in capsys.readouterr().err


def test_without_a_sender_deploy_stops_before_touching_aws(no_credentials, monkeypatch, capsys):
    monkeypatch.delenv("JFW_MAIL_SENDER", raising=False)
    monkeypatch.setattr(deploy, "caller_identity", lambda: pytest.fail("asked AWS"))
    assert deploy.main(["--stage", "prod"]) == 2
    assert "JFW_MAIL_SENDER" in capsys.readouterr().err


def test_outputs_are_printed_with_the_notification_urls(capsys):
    api = "https://abc.execute-api.eu-west-1.amazonaws.com"  # ApiUrl: the host root
    deploy.print_outputs("prod", {
        "ApiUrl": api,
        "StripeNotificationUrl": f"{api}/api/v1/ipn/stripe/<gatewayId>",
        "PayPalNotificationUrl": f"{api}/api/v1/ipn/paypal/<gatewayId>",
        "DkimRecord1": "a._domainkey.example.com CNAME a.dkim.amazonses.com",
    })
    out = capsys.readouterr().out
    assert f"{api}/api/v1/health" in out
    assert f"{api}/api/v1/ipn/stripe/<gatewayId>" in out
    assert f"{api}/api/v1/ipn/paypal/<gatewayId>" in out
    assert "ipnListenerLink" in out and "a._domainkey.example.com CNAME" in out
