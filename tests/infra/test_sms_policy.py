"""The app may text phone numbers through SNS (notify/texter.py), and publish to no topic."""

from __future__ import annotations

from tests.infra import checks


def test_the_app_may_publish_texts_but_not_to_topics(templates):
    for stage, t in templates.items():
        statements = [st for _, doc in checks.policy_documents(t) for st in doc["Statement"]
                      if "sns:Publish" in checks._as_list(st.get("Action", []))]
        allows = [st for st in statements if st["Effect"] == "Allow"]
        denies = [st for st in statements if st["Effect"] == "Deny"]
        assert len(allows) == 1 and allows[0]["Resource"] == ["*"], stage
        assert len(denies) == 1, stage
        [topics] = denies[0]["Resource"]
        assert topics["Fn::Join"][1][-1] == ":sns:*:*:*", stage
