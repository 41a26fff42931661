"""What happens to users, for the contexts above identity: the ``user-event`` outbox kind.

A registration writes a ``user-event`` row (``USER.REGISTERED``: userId, referrerId) in the
registration's own transaction, so the user and the event commit together. The outbox consumer
hands the payload to every subscriber in ``SUBSCRIBERS`` (functions taking the payload dict,
added with ``subscribe``: the wallet context grants its earning events), so identity imports
none of them. The row is delivered at least once: subscribers must be idempotent (by the
payload's ``userId`` and ``event``, or ``eventId``, the outbox row's id). With no subscriber the
row is simply marked Sent.
"""

from __future__ import annotations

from chalicelib.notify import service as notify

USER_REGISTERED = "USER.REGISTERED"

SUBSCRIBERS = notify.Subscribers()
subscribe = SUBSCRIBERS.add  # a ``user-event`` subscriber: a function taking the payload dict


def registered_row(brand_id: str, user_id: str, referrer_id: str | None,
                   user_type: str) -> notify.OutboxItem:
    return notify.row(brand_id, USER_EVENT, {"event": USER_REGISTERED, "userId": user_id,
                                             "referrerId": referrer_id, "userType": user_type})


deliver = SUBSCRIBERS.deliver


USER_EVENT = notify.register_kind("user-event", deliver)
