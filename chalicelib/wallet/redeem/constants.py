"""Redeem code and earning event enums.

``EARNING_TRIGGERS``: the events we fire and what each grants (README, "Wallets"):
- ``USER.REGISTERED``: the new user (reference: their id);
- ``USER.REFERRAL.REGISTERED``: the referrer of a new user (reference: the new user's id);
- ``PAYMENT.REFERRAL.COMPLETED``: the referrer of a buyer whose payment completed (reference:
  the payment's id).
"""

from __future__ import annotations

CODE_STATUSES = ("Active", "Inactive")
EARNING_TYPES = ("Earning", "Redeem")  # JFW 3.10.6 EARN_EVENT_TYPE
EARNING_STATUSES = ("Active", "Inactive")
USER_REGISTERED = "USER.REGISTERED"
USER_REFERRAL_REGISTERED = "USER.REFERRAL.REGISTERED"
PAYMENT_REFERRAL_COMPLETED = "PAYMENT.REFERRAL.COMPLETED"
EARNING_TRIGGERS = (USER_REGISTERED, USER_REFERRAL_REGISTERED, PAYMENT_REFERRAL_COMPLETED)
