"""Gateway secrets sealed with KMS (store/secrets.py ``v2``): envelope encryption against moto's
KMS, bound to where the value is stored, one KMS call per secret per process at most."""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator

import pytest

from chalicelib import settings
from chalicelib.store import aws, secrets
from tests.helpers.api import login, make_user

CTX = "gateway:G1:privateKey"


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Settings read from these environment values (None: unset) inside the block only."""
    saved = {name: os.environ.get(name) for name in values}

    def apply(pairs: dict[str, str | None]) -> None:
        for name, value in pairs.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.reload()

    apply(values)
    try:
        yield
    finally:
        apply(saved)


@pytest.fixture
def kms_key(aws_env) -> Iterator[str]:
    """A fresh moto KMS key, set as JFW_SECRETS_KMS_KEY_ID; no data key remembered."""
    key_id = aws.client("kms").create_key(Description="jfw test secrets")["KeyMetadata"]["KeyId"]
    secrets.forget_data_keys()
    with environment(JFW_SECRETS_KMS_KEY_ID=key_id):
        yield key_id
    secrets.forget_data_keys()


@pytest.fixture
def kms_calls(kms_key) -> Counter:
    """KMS operations this process sends from now on, by name (botocore's before-call event)."""
    calls: Counter = Counter()

    def count(model, **_) -> None:
        calls[model.name] += 1

    events = aws.client("kms").meta.events
    events.register("before-call.kms", count)
    yield calls
    events.unregister("before-call.kms", count)


def cold() -> None:
    """As a fresh Lambda: nothing remembered from sealing."""
    secrets.forget_data_keys()


def test_round_trip_seals_with_kms_and_opens_in_a_fresh_process(kms_key):
    sealed = secrets.encrypt("sk_live_51Hx€", CTX)
    assert sealed.startswith("v2:") and len(sealed.split(":")) == 4
    assert "sk_live_51Hx" not in sealed
    assert secrets.is_sealed(sealed)
    assert secrets.encrypt("sk_live_51Hx€", CTX) != sealed  # a data key and nonce per value
    cold()
    assert secrets.decrypt(sealed, CTX) == "sk_live_51Hx€"
    assert secrets.decrypt(sealed, CTX) == "sk_live_51Hx€"


def test_a_value_moved_to_another_place_does_not_open_warm_or_cold(kms_key):
    sealed = secrets.encrypt("sk_live_abc", CTX)
    for bad_context in ("gateway:G2:privateKey", "gateway:G1:webhookSecret"):
        with pytest.raises(secrets.SecretsError, match="moved"):
            secrets.decrypt(sealed, bad_context)  # the data key is remembered, for CTX only
        cold()
        with pytest.raises(secrets.SecretsError, match="moved"):
            secrets.decrypt(sealed, bad_context)  # KMS itself refuses the encryption context
    assert secrets.decrypt(sealed, CTX) == "sk_live_abc"


def flip_last(text: str) -> str:
    return text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]


def test_tampered_values_do_not_open(kms_key):
    sealed = secrets.encrypt("sk_live_abc", CTX)
    head, wrapped, nonce, body = sealed.split(":")
    cold()
    for tampered in (f"{head}:{wrapped}:{nonce}:{flip_last(body)}",
                     f"{head}:{wrapped}:{flip_last(nonce)}:{body}",
                     f"{head}:{flip_last(wrapped)}:{nonce}:{body}",
                     f"{head}:{wrapped}:{body}",
                     f"{head}:{wrapped}:{nonce}:{body}:{body}"):
        with pytest.raises(secrets.SecretsError, match="altered"):
            secrets.decrypt(tampered, CTX)
    assert secrets.decrypt(sealed, CTX) == "sk_live_abc"


def test_v1_values_stored_before_kms_still_open(aws_env):
    old = secrets.encrypt("whsec_old", "gateway:G1:webhookSecret")
    assert old.startswith("v1:")
    key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    with environment(JFW_SECRETS_KMS_KEY_ID=key_id):
        assert secrets.decrypt(old, "gateway:G1:webhookSecret") == "whsec_old"
        new = secrets.encrypt("whsec_new", "gateway:G1:webhookSecret")
        assert new.startswith("v2:")
        with pytest.raises(secrets.SecretsError, match="moved"):
            secrets.decrypt(old, "gateway:G2:webhookSecret")
    cold()


def test_a_warm_process_decrypts_with_no_kms_call(kms_key, kms_calls):
    first = secrets.encrypt("sk_live_one", CTX)
    second = secrets.encrypt("whsec_two", "gateway:G1:webhookSecret")
    assert kms_calls == {"GenerateDataKey": 2}
    assert secrets.decrypt(first, CTX) == "sk_live_one"  # the sealing process remembers
    assert kms_calls == {"GenerateDataKey": 2}

    cold()
    kms_calls.clear()
    for _ in range(5):
        assert secrets.decrypt(first, CTX) == "sk_live_one"
    assert kms_calls == {"Decrypt": 1}
    for _ in range(5):
        assert secrets.decrypt(second, "gateway:G1:webhookSecret") == "whsec_two"
        assert secrets.decrypt(first, CTX) == "sk_live_one"
    assert kms_calls == {"Decrypt": 2}  # one per distinct secret, then none


def test_stages_outside_the_local_stack_refuse_without_a_key_and_say_which(aws_env):
    sealed_v1 = secrets.encrypt("sk_live_abc", CTX)
    with environment(JFW_STAGE="prod", JFW_SECRETS_KEY=None, JFW_SECRETS_KMS_KEY_ID=None):
        with pytest.raises(secrets.SecretsError, match="JFW_SECRETS_KMS_KEY_ID .*is not set"):
            secrets.encrypt("x", CTX)
    key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    with environment(JFW_STAGE="prod", JFW_SECRETS_KEY=None, JFW_SECRETS_KMS_KEY_ID=key_id):
        sealed_v2 = secrets.encrypt("sk_live_new", CTX)
        assert secrets.decrypt(sealed_v2, CTX) == "sk_live_new"
        # A v1 value on a stage that only has the KMS key: says what to keep set.
        with pytest.raises(secrets.SecretsError, match="keep JFW_SECRETS_KEY set"):
            secrets.decrypt(sealed_v1, CTX)
    cold()
    with pytest.raises(secrets.SecretsError, match="JFW_SECRETS_KMS_KEY_ID is not set"):
        secrets.decrypt(sealed_v2, CTX)


def test_an_unusable_kms_key_is_a_clear_configuration_error(kms_key):
    sealed = secrets.encrypt("sk_live_abc", CTX)
    cold()
    with environment(JFW_SECRETS_KMS_KEY_ID="alias/jfw-test-missing"):
        with pytest.raises(secrets.SecretsError,
                           match="alias/jfw-test-missing can't be used.*NotFoundException"):
            secrets.encrypt("x", CTX)
        with pytest.raises(secrets.SecretsError, match="NotFoundException"):
            secrets.decrypt(sealed, CTX)
    other = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    with environment(JFW_SECRETS_KMS_KEY_ID=other):  # the value was sealed under another key
        with pytest.raises(secrets.SecretsError, match=other):
            secrets.decrypt(sealed, CTX)
    assert secrets.decrypt(sealed, CTX) == "sk_live_abc"


def test_a_stripe_gateway_saved_on_a_kms_stage_is_sealed_with_kms_and_works(kms_key, api,
                                                                          demo_brand):
    from chalicelib.payments import service as payments
    from tests.helpers.checkout import STRIPE_BODY, raw_items

    make_user(demo_brand, "boss", "Admin")
    admin = login(api, "boss")
    created = admin.ok("POST", "v1/app-integrations/payment-gateway", STRIPE_BODY)
    assert created["privateKey"] == "sk_test_…9876"
    rows = raw_items(f"B#{demo_brand['id']}#GW#{created['id']}")
    assert rows and rows[0]["privateKeySealed"]["S"].startswith("v2:")
    assert STRIPE_BODY["privateKey"] not in repr(rows)
    cold()
    payments.clear_gateway_cache()
    opened = payments.get_for_webhook(created["id"])
    assert STRIPE_BODY["webhookSecret"] in repr(opened)
