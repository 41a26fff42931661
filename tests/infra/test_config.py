"""Context values are checked before anything is synthesised, with messages that say what to
pass."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, from_context


def test_dev_and_prod_are_stages_and_only_prod_is_protected():
    dev = from_context({"stage": "dev", "mailSender": "a@example.com"})
    prod = from_context({"stage": "prod", "mailSender": "a@example.com"})
    assert (dev.protected, prod.protected) == (False, True)
    assert (dev.prefix, prod.prefix) == ("jfw-dev-", "jfw-prod-")
    assert prod.sender_identities() == ["a@example.com", "example.com"]


@pytest.mark.parametrize(("ctx", "says"), [
    ({"mailSender": "a@example.com"}, "pass -c stage="),
    ({"stage": "local", "mailSender": "a@example.com"}, "unknown stage 'local'"),
    ({"stage": "prod"}, "mailSender"),
    ({"stage": "prod", "mailSender": "not-an-address"}, "JFW_MAIL_SENDER"),
    ({"stage": "prod", "mailSender": "a@example.com", "logRetentionDays": "10"},
     "logRetentionDays"),
    ({"stage": "prod", "mailSender": "a@example.com", "baseUrl": "http://x"}, "https://"),
    ({"stage": "prod", "mailSender": "a@example.com", "alarmEmail": "ops"}, "alarmEmail"),
    ({"stage": "prod", "mailSender": "a@example.com", "lambdaMemoryMb": "lots"}, "lambdaMemoryMb"),
])
def test_bad_context_is_refused_with_a_message_that_says_what_to_pass(ctx, says):
    with pytest.raises(ConfigError) as e:
        from_context(ctx)
    assert says in str(e.value)
