"""The payments context's enumerations, each defined once. Light on purpose: the route tables
import it at cold start (nothing but tuples here)."""

from typing import Literal, get_args

# JFW's PaymentStatus (the state machine over them: states.py), as a type and as a tuple.
JfwPaymentStatus = Literal[
    "Created", "Completed", "Refunded", "Failed", "Pending", "Denied", "Reserved",
    "CanceledReversal", "Deleted", "Voided",
]
STATUSES: tuple[str, ...] = get_args(JfwPaymentStatus)
# Types of gateway transaction records.
TRANSACTION_TYPES = ("Payment", "Authorization", "Refund", "Void", "Reversal", "Inquiry")
# What a received gateway notification came to (inbound/).
OUTCOMES = ("verified", "duplicate", "applied", "ignored", "mismatch", "unknown_payment",
            "rejected", "not_ready", "error")
GATEWAY_TYPES = ("stripe", "paypal")
RISK_LEVELS = ("Low", "Medium", "High")
BLACK_LIST_TYPES = ("Email", "IP", "Country")
BLACK_LIST_STATUSES = ("Active", "Inactive")
COMMISSION_TYPES = ("Discount", "Commission")
