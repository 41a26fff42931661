"""store/tx.py: ConditionFailed reports failures in the order the caller added operations,
although PynamoDB sends them grouped by kind (condition checks, deletes, puts, updates); and the
requests built here instead of by PynamoDB (puts, ``set_values``, ``get``, the connection's
dispatch) are PynamoDB's own."""

from contextlib import contextmanager

import pytest
from pynamodb.exceptions import AttributeNullError

from chalicelib.identity.models import UniqueItem
from chalicelib.store.tx import ConditionFailed, transaction


def test_failure_index_follows_the_order_operations_were_added(aws_env):
    taken = UniqueItem("B#x#UNAME#taken", "UNIQUE", user_id="u1")
    taken.save()
    with pytest.raises(ConditionFailed) as e:
        with transaction() as tx:
            # update first, put second: sent as [put, update]
            tx.update(UniqueItem("B#x#UNAME#missing", "UNIQUE"),
                      actions=[UniqueItem.user_id.set("u2")],
                      condition=UniqueItem.pk.exists())
            tx.save(UniqueItem("B#x#UNAME#free", "UNIQUE", user_id="u2"),
                    condition=UniqueItem.pk.does_not_exist())
    assert e.value.failed(0)
    assert not e.value.failed(1)
    with pytest.raises(ConditionFailed) as e2:
        with transaction() as tx:
            tx.update(UniqueItem("B#x#UNAME#taken", "UNIQUE"),
                      actions=[UniqueItem.user_id.set("u3")],
                      condition=UniqueItem.pk.exists())
            # update first, delete second: sent as [delete, update]
            tx.delete(UniqueItem("B#x#UNAME#nope", "UNIQUE"), condition=UniqueItem.pk.exists())
    assert not e2.value.failed(0)
    assert e2.value.failed(1)
    assert UniqueItem.get("B#x#UNAME#taken", "UNIQUE").user_id == "u1"


# -- the requests built here instead of by PynamoDB ----------------------------------------------

def _models_and_items():
    from tests.unit.test_model_codec import MODELS, _full

    return [(cls, _full(cls)) for cls in MODELS if hasattr(cls, "Meta")]  # not abstract bases


def test_a_put_is_the_request_pynamodb_builds(aws_env):
    """Every model's put, with and without a condition, as PynamoDB's own save builds it; a
    versioned model (the user) goes through PynamoDB and gets its version condition."""
    checked = 0
    for cls, item in _models_and_items():
        for condition in (None, cls.pk.does_not_exist(), cls.pk.does_not_exist() | (
                cls.pk == "x")):
            try:
                theirs = item.get_save_kwargs_from_instance(condition=condition)
            except AttributeNullError:  # an attribute the test can't fill: refused alike
                with pytest.raises(AttributeNullError), transaction() as tx:
                    tx.save(item, condition=condition)
                continue
            with transaction() as tx:
                tx.save(item, condition=condition)
                ours = tx._put_items[-1]
                tx._put_items.clear()  # nothing is written
            assert ours == theirs, cls.__name__
            checked += 1
    assert checked > 120


def test_set_values_stores_what_pynamodbs_update_stores(aws_env):
    from datetime import UTC, datetime

    from chalicelib.payments.models import PaymentItem as P
    from chalicelib.store.base import connection

    def payment(pk):
        item = P(pk, "PAYMENT", id=pk, brand_id="b", code="C", amount_minor=100,
                 currency="USD", status="Created", version=3, merchant_ref_no="pi_1",
                 due_pk="PAYDUE#1", due_sk="x", created_date=datetime(2026, 1, 1, tzinfo=UTC))
        item.save()
        return item

    when = datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC)
    changes = {"version": 4, "status": "Completed", "held": True, "amount_gross_minor": 1999,
               "disputes": {"dp_1": "open"}, "risk_reasons": ["a", "b"], "payment_date": when,
               "merchant_ref_no": None, "due_pk": None, "due_sk": None}
    theirs, ours = payment("P#theirs"), payment("P#ours")
    with transaction() as tx:
        tx.update(theirs, actions=[
            getattr(P, k).remove() if v is None else getattr(P, k).set(v)
            for k, v in changes.items()], condition=P.version == 3)
    with transaction() as tx:
        tx.set_values(ours, changes, condition=P.version == 3)

    def stored(pk):
        raw = connection().get_item(P.Meta.table_name, pk, "PAYMENT")["Item"]
        return {k: v for k, v in raw.items() if k not in ("pk", "id")}

    assert stored("P#ours") == stored("P#theirs")
    assert "merchantRefNo" not in stored("P#ours") and stored("P#ours")["version"] == {"N": "4"}
    with pytest.raises(ConditionFailed) as e:
        with transaction() as tx:
            tx.save(UniqueItem("B#x#UNAME#new", "UNIQUE", user_id="u"))
            tx.set_values(ours, {"held": False}, condition=P.version == 3)
    assert e.value.reasons == [None, "ConditionalCheckFailed"]
    assert P.get("P#ours", "PAYMENT").held is True


@contextmanager
def _sent(operation: str):
    """The parameters of each DynamoDB ``operation`` (``*``: any) sent meanwhile."""
    from chalicelib.store.base import connection

    sent: list[dict] = []

    def keep(params, **_):
        sent.append(dict(params))

    events = connection().client.meta.events
    events.register(f"provide-client-params.dynamodb.{operation}", keep)
    try:
        yield sent
    finally:
        events.unregister(f"provide-client-params.dynamodb.{operation}", keep)


def test_the_shared_connection_asks_for_capacity_and_draws_no_uuid(aws_env, monkeypatch):
    """Our dispatch (store/base.py) sends what PynamoDB's sends: every data operation asks for
    its consumed capacity (bench/cost.py reads it), a table operation doesn't; no uuid4."""
    from types import SimpleNamespace

    import pynamodb.connection.base

    from chalicelib.store.base import connection

    def no_uuid():
        raise AssertionError("PynamoDB drew a uuid")

    monkeypatch.setattr(pynamodb.connection.base, "uuid", SimpleNamespace(uuid4=no_uuid))
    with _sent("*") as sent:
        UniqueItem("B#x#UNAME#cap", "UNIQUE", user_id="u").save()
        assert UniqueItem.get("B#x#UNAME#cap", "UNIQUE").user_id == "u"
        connection().describe_table(UniqueItem.Meta.table_name)
    assert [p.get("ReturnConsumedCapacity") for p in sent] == ["TOTAL", "TOTAL", None]


def test_get_sends_pynamodbs_request_and_reads_what_it_reads(aws_env):
    from pynamodb.models import Model

    from chalicelib.payments.models import PaymentItem as P

    UniqueItem("B#x#UNAME#g", "UNIQUE", user_id="u").save()
    with _sent("GetItem") as sent:
        for cls, keys, consistent in ((UniqueItem, ("B#x#UNAME#g", "UNIQUE"), True),
                                      (UniqueItem, ("B#x#UNAME#none", "UNIQUE"), False),
                                      (P, ("P#none", "PAYMENT"), True)):
            found = []
            for get in (cls.get, Model.get.__func__.__get__(cls)):  # ours, then PynamoDB's
                try:
                    found.append(get(*keys, consistent_read=consistent).attribute_values)
                except cls.DoesNotExist:
                    found.append("DoesNotExist")
            assert found[0] == found[1]
            assert sent[-2] == sent[-1]
    assert found == ["DoesNotExist", "DoesNotExist"] and len(sent) == 6
    assert sent[0]["Key"] == {"pk": {"S": "B#x#UNAME#g"}, "sk": {"S": "UNIQUE"}}


def test_a_condition_used_again_is_sent_as_pynamodb_sends_it_each_time(aws_env):
    """A put's condition serialised once is reused (store/tx.py _serialized_alone): each put
    still gets PynamoDB's request, with placeholders of its own."""
    condition = UniqueItem.pk.does_not_exist() | (UniqueItem.user_id == "someone")
    items = [UniqueItem(f"B#x#UNAME#again{i}", "UNIQUE", user_id="u") for i in range(3)]
    requests = []
    for batch in (items[:2], items[2:]):
        with transaction() as tx:
            for item in batch:
                tx.save(item, condition=condition)
            requests += tx._put_items
    for item, request in zip(items, requests, strict=True):
        assert request == item.get_save_kwargs_from_instance(condition=condition)
    assert requests[0]["ExpressionAttributeValues"] is not requests[1][
        "ExpressionAttributeValues"]
    assert all(UniqueItem.get(i.pk, "UNIQUE").user_id == "u" for i in items)
