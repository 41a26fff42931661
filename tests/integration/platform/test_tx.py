"""ConditionFailed reports failures in the order the caller added operations, although PynamoDB
sends them grouped by kind (condition checks, deletes, puts, updates)."""

import pytest

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
