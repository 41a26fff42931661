"""The events that send mail, with their default subject and body (HTML, Liquid).

Codes follow JFW's ``ENTITY.ACTION.RESULT`` (upper case, hyphens inside a segment). A brand may
override the subject and body of any event (``templates.template_for``); these defaults apply
otherwise. Every template sees ``brand`` and, when the mail is about a user, ``user`` (see
``templates.brand_vars`` / ``templates.user_vars``); ``placeholders`` lists the event's own extras.
Later issues add their events here (payments, licenses, invoices).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

# Event ids are stable across deploys and stages: a UUID derived from the code, so a brand's
# template (which names its event by id, as JFW's API does) survives a redeploy.
_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://jfw-billing/events")


@dataclass(frozen=True)
class Event:
    code: str
    group: str
    name: str
    subject: str
    body: str
    placeholders: tuple[str, ...] = ()
    description: str | None = None
    tracking_level: int = 1
    sms: str | None = None  # the default text message (Liquid, plain text), if it may be texted
    sms_on: bool = False  # texted unless the brand turns it off (else only when turned on)
    mail: bool = True  # False: a text-only event (no mail is ever sent for it)

    @property
    def id(self) -> str:
        return event_id(self.code)


def event_id(code: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, code))


_FOOTER = (
    "<p>{{ brand.name }}{% if brand.email_support %} &middot; "
    '<a href="mailto:{{ brand.email_support }}">{{ brand.email_support }}</a>{% endif %}</p>'
)

PASSWORD_RESET_REQUESTED = Event(
    code="USER.PASSWORD.RESET-REQUESTED",
    description="To a user who asked to reset their password: a link that works once and "
                "expires. Always mailed: a brand can't turn it off.",
    group="USER",
    name="User - Password Reset Requested",
    subject="Reset your {{ brand.name }} password",
    body=(
        "<p>Hello {{ user.name }},</p>"
        "<p>Someone asked to reset the password of your {{ brand.name }} account "
        "<b>{{ user.username | default: user.email_address }}</b>.</p>"
        '<p><a href="{{ reset_password.link }}">Choose a new password</a></p>'
        "<p>The link works once and expires in {{ reset_password.expiry_minutes }} minutes. "
        "If you did not ask for this, ignore this mail: your password stays as it is.</p>"
        + _FOOTER
    ),
    placeholders=("reset_password.link", "reset_password.expiry_minutes",
                  "reset_password.expiry_date"),
)

PASSWORD_CHANGED = Event(
    code="USER.PASSWORD.CHANGED",
    description="To a user whose password was changed (by them or through a reset); every "
                "session was signed out.",
    group="USER",
    name="User - Password Changed",
    subject="Your {{ brand.name }} password was changed",
    body=(
        "<p>Hello {{ user.name }},</p>"
        "<p>The password of your {{ brand.name }} account "
        "<b>{{ user.username | default: user.email_address }}</b> was changed on "
        "{{ change.date }} and every device was signed out.</p>"
        "<p>If this was not you, reset your password at once and contact "
        "{{ brand.email_support | default: brand.name }}.</p>"
        + _FOOTER
    ),
    placeholders=("change.date", "change.method"),
)

_PAYMENT_PLACEHOLDERS = ("payment.code", "payment.name", "payment.amount", "payment.currency_code",
                         "payment.date", "payment.merchant_ref_no", "payment.status")
_PAYMENT_LINE = ("<p>Payment <b>{{ payment.code }}</b>{% if payment.name %} for "
                 "{{ payment.name }}{% endif %}: {{ payment.amount }} {{ payment.currency_code }}"
                 "</p>")


def _payment_event(code: str, name: str, subject: str, lead: str,
                   extra: tuple[str, ...] = (), description: str | None = None) -> Event:
    return Event(code=code, group="PAYMENT", name=name, subject=subject, description=description,
                 body=("<p>Hello {{ user.name | default: 'there' }},</p>" + lead + _PAYMENT_LINE
                       + _FOOTER), placeholders=_PAYMENT_PLACEHOLDERS + extra)


PAYMENT_SUCCESS = _payment_event(
    "PAYMENT.PROCESSED.SUCCESS", "Payment - Processed Success",
    "Your {{ brand.name }} payment was received",
    "<p>Thank you: we received your payment on {{ payment.date }}.</p>",
    description="To the buyer when a payment completes.")
PAYMENT_FAILED = _payment_event(
    "PAYMENT.PROCESSED.FAILED", "Payment - Processed Failed",
    "Your {{ brand.name }} payment did not go through",
    "<p>Your payment could not be completed ({{ payment.status }}). Nothing was charged; you "
    "can try again with another payment method.</p>",
    description="To the buyer when a payment fails or is denied at the payment gateway.")
PAYMENT_REFUNDED = _payment_event(
    "PAYMENT.PROCESSED.REFUNDED", "Payment - Processed Refunded",
    "Your {{ brand.name }} payment was refunded",
    "<p>{{ payment.refunded_amount }} {{ payment.currency_code }} of your payment was refunded "
    "on {{ payment.date }}. It may take a few days to show on your statement.</p>",
    ("payment.refunded_amount",),
    description="To the buyer when a payment is refunded, in full or in part.")
PAYMENT_CANCELLED = _payment_event(
    "PAYMENT.PROCESSED.CANCELLED", "Payment - Processed Cancelled",
    "Your {{ brand.name }} payment was cancelled",
    "<p>Your payment was cancelled before any money moved.</p>",
    description="To the buyer when a payment is cancelled before any money moved.")
PAYMENT_RISK_FLAGGED = Event(
    code="PAYMENT.RISK.FLAGGED", group="PAYMENT", name="Payment - Risk Flagged",
    description="To the brand's support address when a verified gateway notification does not "
                "match its payment (amount, currency, receiver): the payment waits for a review.",
    subject="[{{ brand.name }}] Payment {{ payment.code }} needs a review",
    body=("<p>Hello {{ user.name | default: 'team' }},</p>"
          "<p>A verified {{ risk.gateway }} notification about payment <b>{{ payment.code }}"
          "</b> does not match it: {{ risk.reasons }}.</p><p>The payment was not completed and "
          "nothing was fulfilled. Review it under Payments and refund or approve it.</p>"
          + _FOOTER),
    placeholders=_PAYMENT_PLACEHOLDERS + ("risk.reasons", "risk.gateway", "risk.notification_id"),
)

# Licensing (issue 5). ``license.*``: code, codes (several, one per line), package_name,
# expiry_date (blank: no end), days_left (reminders), default_package_name (expiry).
_LICENSE_PLACEHOLDERS = ("license.code", "license.codes", "license.package_name",
                         "license.expiry_date", "license.quantity")
_LICENSE_UNTIL = ("{% if license.expiry_date %}until <b>{{ license.expiry_date }}</b>"
                  "{% else %}with no end date{% endif %}")
RECEIPT_DIRECT_APPLIED = Event(
    code="PAYMENT.RECEIPT-SENT.DIRECT-APPLIED", group="PAYMENT",
    name="Payment - Receipt Sent (Direct Applied)",
    description="To the buyer when the license bought was applied to their account at once: "
                "the receipt and the active package.",
    subject="Your {{ brand.name }} receipt: {{ license.package_name }} is active",
    body=("<p>Hello {{ user.name | default: 'there' }},</p>" + _PAYMENT_LINE
          + "<p>Your license <b>{{ license.code }}</b> was applied to your account: "
          "<b>{{ license.package_name }}</b> is active " + _LICENSE_UNTIL + ".</p>" + _FOOTER),
    placeholders=_PAYMENT_PLACEHOLDERS + _LICENSE_PLACEHOLDERS)
RECEIPT_MAIL_DELIVERY = Event(
    code="PAYMENT.RECEIPT-SENT.MAIL-DELIVERY", group="PAYMENT",
    name="Payment - Receipt Sent (Mail Delivery)",
    description="To the buyer of license codes delivered by mail: the receipt and the codes.",
    subject="Your {{ brand.name }} receipt and license code",
    body=("<p>Hello {{ user.name | default: 'there' }},</p>" + _PAYMENT_LINE
          + "<p>Your license code{% if license.quantity > 1 %}s{% endif %} for "
          "<b>{{ license.package_name }}</b>:</p><pre>{{ license.codes }}</pre>"
          "<p>Apply a code to an account to activate it.</p>" + _FOOTER),
    placeholders=_PAYMENT_PLACEHOLDERS + _LICENSE_PLACEHOLDERS)
LICENSE_APPLIED = Event(
    code="LICENSE.APPLIED.SUCCESS", group="LICENSE", name="License - Applied Success",
    description="To a user when a license code was applied to their account.",
    subject="{{ license.package_name }} is active on your {{ brand.name }} account",
    body=("<p>Hello {{ user.name | default: 'there' }},</p><p>The license <b>{{ license.code }}"
          "</b> was applied to your account <b>{{ user.username | default: user.email_address }}"
          "</b>: <b>{{ license.package_name }}</b> is active " + _LICENSE_UNTIL + ".</p>"
          "{% if license.queued %}<p>It starts when your current package ends, on "
          "{{ license.start_date }}.</p>{% endif %}" + _FOOTER),
    placeholders=_LICENSE_PLACEHOLDERS + ("license.queued", "license.start_date"))
LICENSE_EXPIRING = Event(
    code="LICENSE.EXPIRING.SOON", group="LICENSE", name="License - Expiring Soon",
    description="To a user some days before their package ends (reminders).",
    subject="Your {{ brand.name }} {{ license.package_name }} ends in {{ license.days_left }} "
            "day{% if license.days_left != 1 %}s{% endif %}",
    body=("<p>Hello {{ user.name | default: 'there' }},</p><p>Your <b>{{ license.package_name }}"
          "</b> ends on <b>{{ license.expiry_date }}</b>. Renew before then to keep its "
          "features.</p>" + _FOOTER),
    placeholders=("license.package_name", "license.expiry_date", "license.days_left"))
LICENSE_EXPIRED = Event(
    code="LICENSE.EXPIRED.SUCCESS", group="LICENSE", name="License - Expired Success",
    description="To a user whose package has ended (and which default package they are on "
                "now, when the brand has one).",
    subject="Your {{ brand.name }} {{ license.package_name }} has ended",
    body=("<p>Hello {{ user.name | default: 'there' }},</p><p>Your <b>{{ license.package_name }}"
          "</b> ended on {{ license.expiry_date }}.{% if license.default_package_name %} Your "
          "account is now on <b>{{ license.default_package_name }}</b>.{% endif %}</p>"
          "<p>Buy or apply a license to get it back.</p>" + _FOOTER),
    placeholders=("license.package_name", "license.expiry_date",
                  "license.default_package_name"))

PAYMENT_DOWNLOADS_READY = Event(
    code="PAYMENT.DOWNLOADS.READY", group="PAYMENT", name="Payment - Downloads Ready",
    description="To the buyer of digital downloads: personal links, limited in count and time.",
    subject="Your {{ brand.name }} downloads are ready",
    body=("<p>Hello {{ user.name | default: 'there' }},</p><p>Thank you for your purchase. "
          "Your files:</p><ul>{% for d in downloads %}<li><a href=\"{{ d.url }}\">"
          "{{ d.file_name }}</a> ({{ d.max_count }} downloads, until {{ d.expires_at }})</li>"
          "{% endfor %}</ul><p>The links are personal: each works a limited number of times "
          "and expires; you also find them under your downloads.</p>" + _PAYMENT_LINE
          + _FOOTER),
    placeholders=_PAYMENT_PLACEHOLDERS + ("downloads[].file_name", "downloads[].url",
                                          "downloads[].expires_at", "downloads[].max_count"),
)

# Invoices (issue 14; invoicing/mails.py): once per invoice, with a link to its PDF that works
# for 30 days without signing in. ``invoice.*``: code, name, type, status, date, due_date,
# total, amount_paid, amount_due, currency_code, link, link_expiry_date.
_INVOICE_PLACEHOLDERS = ("invoice.code", "invoice.name", "invoice.type", "invoice.status",
                         "invoice.date", "invoice.due_date", "invoice.total",
                         "invoice.amount_paid", "invoice.amount_due", "invoice.currency_code",
                         "invoice.link", "invoice.link_expiry_date")
_INVOICE_LINK = ('<p><a href="{{ invoice.link }}">Open invoice {{ invoice.code }} (PDF)</a>. '
                 "The link works until {{ invoice.link_expiry_date }}; after that, download "
                 "the invoice from your account.</p>")
INVOICE_EXPORTED = Event(
    code="PAYMENT.INVOICE-EXPORTED.SUCCESS", group="PAYMENT", name="Payment - Invoice Exported",
    description="To the buyer, once per invoice, with a link to its PDF that works for 30 days "
                "without signing in.",
    subject="Your {{ brand.name }} invoice {{ invoice.code }}",
    body=("<p>Hello {{ user.name | default: 'there' }},</p><p>Your invoice <b>{{ invoice.code }}"
          "</b>{% if invoice.name %} ({{ invoice.name }}){% endif %}, dated {{ invoice.date }}: "
          "<b>{{ invoice.total }} {{ invoice.currency_code }}</b>, {% if invoice.status == "
          "'Paid' %}paid{% else %}{{ invoice.amount_due }} {{ invoice.currency_code }} due"
          "{% if invoice.due_date %} by {{ invoice.due_date }}{% endif %}{% endif %}.</p>"
          + _INVOICE_LINK + _FOOTER),
    placeholders=_INVOICE_PLACEHOLDERS)
RECEIPT_EXPORTED = Event(
    code="PAYMENT.RECEIPT-EXPORTED.SUCCESS", group="PAYMENT", name="Payment - Receipt Exported",
    description="To the buyer when a payment settles an invoice: the receipt, with a link to "
                "the invoice's PDF.",
    subject="Your {{ brand.name }} receipt for invoice {{ invoice.code }}",
    body=("<p>Hello {{ user.name | default: 'there' }},</p><p>We received <b>"
          "{{ payment.amount }} {{ payment.currency_code }}</b> on {{ payment.date }}"
          "{% if payment.method %} ({{ payment.method }}){% endif %}{% if payment.code %}, "
          "payment {{ payment.code }}{% endif %}, for invoice <b>{{ invoice.code }}</b>"
          "{% if invoice.name %} ({{ invoice.name }}){% endif %}. Thank you.</p>"
          + _INVOICE_LINK + _FOOTER),
    placeholders=_INVOICE_PLACEHOLDERS + ("payment.code", "payment.method", "payment.date",
                                          "payment.amount", "payment.currency_code"))

# Wallets (issue 13). To the brand's support address (its administrators' inbox).
WALLET_RECONCILIATION_FAILED = Event(
    code="WALLET.RECONCILIATION.FAILED", group="WALLET", name="Wallet - Reconciliation Failed",
    description="To the brand's support address when a wallet's ledger and balance disagree: "
                "the wallet is locked until an admin unlocks it.",
    subject="[{{ brand.name }}] Wallet {{ wallet.code }} was locked: its ledger disagrees",
    body=("<p>Hello {{ user.name | default: 'team' }},</p>"
          "<p>The reconciliation of wallet <b>{{ wallet.code }}</b> ({{ wallet.currency_code }}) "
          "of {{ wallet.user }} found that its ledger and balance disagree: "
          "{{ wallet.reason }}.</p><p>The wallet is locked: money still arrives, nothing can be "
          "spent from it. Look at its history, restore what was changed outside the ledger, "
          "then unlock it (PUT v1/wallets/{{ wallet.id }}/unlock), which proves it again "
          "first.</p>" + _FOOTER),
    placeholders=("wallet.id", "wallet.code", "wallet.currency_code", "wallet.user",
                  "wallet.reason"),
)

# Wallets (issue 13). ``wallet.*``: code, currency_code, amount (this movement, unsigned),
# balance (after it), description, type (JFW's WalletHistoryType).
_WALLET_PLACEHOLDERS = ("wallet.code", "wallet.currency_code", "wallet.amount",
                        "wallet.balance", "wallet.description", "wallet.type")
_WALLET_LINE = ("<p>{% if wallet.description %}{{ wallet.description }}. {% endif %}Your "
                "{{ wallet.currency_code }} wallet <b>{{ wallet.code }}</b> now holds "
                "<b>{{ wallet.balance }} {{ wallet.currency_code }}</b>.</p>")


def _wallet_event(code: str, name: str, subject: str, lead: str,
                  description: str | None = None) -> Event:
    return Event(code=code, group="WALLET", name=name, subject=subject, description=description,
                 body=("<p>Hello {{ user.name | default: 'there' }},</p>" + lead + _WALLET_LINE
                       + _FOOTER), placeholders=_WALLET_PLACEHOLDERS)


WALLET_EVENTS = (
    _wallet_event("WALLET.ADD-MONEY.SUCCESS", "Wallet - Add Money Success",
                  "{{ wallet.amount }} {{ wallet.currency_code }} added to your {{ brand.name }} "
                  "wallet", "<p>We received your payment: {{ wallet.amount }} "
                  "{{ wallet.currency_code }} was added to your wallet.</p>",
                  description="To a wallet's owner when a top-up payment added money to the "
                  "wallet."),
    _wallet_event("WALLET.REFUND.SUCCESS", "Wallet - Refund Success",
                  "{{ wallet.amount }} {{ wallet.currency_code }} returned to your "
                  "{{ brand.name }} wallet", "<p>A payment made from your wallet was refunded: "
                  "{{ wallet.amount }} {{ wallet.currency_code }} is back in it.</p>",
                  description="To a wallet's owner when a payment made from the wallet was "
                  "refunded into it."),
    _wallet_event("WALLET.PAYMENT.RELEASED", "Wallet - Payment Released",
                  "{{ wallet.amount }} {{ wallet.currency_code }} released to your "
                  "{{ brand.name }} wallet", "<p>A payment did not complete, so the "
                  "{{ wallet.amount }} {{ wallet.currency_code }} your wallet was paying is "
                  "back in it.</p>",
                  description="To a wallet's owner when a payment the wallet was paying did not "
                  "complete: the money is back."),
    _wallet_event("WALLET.TOP-UP.REFUNDED", "Wallet - Top-up Refunded",
                  "A top-up of your {{ brand.name }} wallet was refunded",
                  "<p>A top-up was refunded, so {{ wallet.amount }} {{ wallet.currency_code }} "
                  "was taken back from your wallet.</p>",
                  description="To a wallet's owner when a top-up was refunded and its money "
                  "taken back from the wallet."),
    _wallet_event("WALLET.WITHDRAW.SUCCESS", "Wallet - Withdraw Success",
                  "{{ wallet.amount }} {{ wallet.currency_code }} withdrawn from your "
                  "{{ brand.name }} wallet", "<p>{{ wallet.amount }} {{ wallet.currency_code }} "
                  "was withdrawn from your wallet.</p>",
                  description="To a wallet's owner when money was withdrawn from the wallet."),
    _wallet_event("WALLET.REDEEM.SUCCESS", "Wallet - Redeem Success",
                  "Code redeemed: {{ wallet.amount }} {{ wallet.currency_code }} added to your "
                  "{{ brand.name }} wallet", "<p>Your code was redeemed: {{ wallet.amount }} "
                  "{{ wallet.currency_code }} was added to your wallet.</p>",
                  description="To a wallet's owner when a redeem code added money to the wallet."),
    _wallet_event("WALLET.EARNING.SUCCESS", "Wallet - Earning Success",
                  "You earned {{ wallet.amount }} {{ wallet.currency_code }} at "
                  "{{ brand.name }}", "<p>You earned {{ wallet.amount }} "
                  "{{ wallet.currency_code }}; it was added to your wallet.</p>",
                  description="To a wallet's owner when an earning event (sign-up, referral) "
                  "added money to the wallet."),
    _wallet_event("WALLET.CONVERT.SUCCESS", "Wallet - Convert Success",
                  "Your {{ brand.name }} wallets: conversion done",
                  "<p>Your conversion is done: {{ wallet.amount }} {{ wallet.currency_code }} "
                  "was added to this wallet.</p>",
                  description="To a wallet's owner when a conversion between their "
                  "wallets credited this wallet."),
)

# Renewals through provisional invoices (invoicing/renewals.py; ours: JFW names no such mail).
_INVOICE_PLACEHOLDERS = ("invoice.code", "invoice.name", "invoice.total", "invoice.currency_code",
                         "invoice.due_date", "invoice.overdue_date", "invoice.period_start",
                         "invoice.period_end", "invoice.reminder_count", "invoice.pay_link")
_INVOICE_LINE = ("<p>{{ invoice.name }}, {{ invoice.period_start }} to {{ invoice.period_end }}: "
                 "<b>{{ invoice.total }} {{ invoice.currency_code }}</b>, due "
                 "{{ invoice.due_date }}.</p>")
_PAY = ('{% if invoice.pay_link %}<p><a href="{{ invoice.pay_link }}">Pay now</a></p>'
        "{% endif %}")

INVOICE_EVENTS = (
    Event(code="INVOICE.RENEWAL.CREATED", group="INVOICE", name="Invoice - Renewal Created",
          description="To a subscriber before their subscription ends: the renewal invoice "
                      "to pay to keep it.",
          subject="Renew {{ invoice.name }} at {{ brand.name }}",
          body="<p>Hello {{ user.name }},</p><p>Your subscription ends on "
               "<b>{{ invoice.due_date }}</b>. To keep it, pay this invoice:</p>"
               + _INVOICE_LINE + _PAY + _FOOTER, placeholders=_INVOICE_PLACEHOLDERS),
    Event(code="INVOICE.RENEWAL.REMINDER", group="INVOICE", name="Invoice - Renewal Reminder",
          description="To a subscriber whose renewal invoice is still unpaid.",
          subject="Reminder: your {{ brand.name }} subscription ends on {{ invoice.due_date }}",
          body="<p>Hello {{ user.name }},</p><p>Your renewal invoice is still unpaid:</p>"
               + _INVOICE_LINE + _PAY + _FOOTER, placeholders=_INVOICE_PLACEHOLDERS),
    Event(code="INVOICE.RENEWAL.OVERDUE", group="INVOICE", name="Invoice - Renewal Overdue",
          description="To a subscriber whose renewal invoice was not paid in time: the "
                      "subscription has ended.",
          subject="Your {{ brand.name }} subscription was not renewed",
          body="<p>Hello {{ user.name }},</p><p>The renewal invoice {{ invoice.code }} was not "
               "paid by {{ invoice.overdue_date }}, so your subscription has ended. You can buy "
               "it again at any time.</p>" + _FOOTER, placeholders=_INVOICE_PLACEHOLDERS),
)

EVENTS: dict[str, Event] = {e.code: e for e in (
    *WALLET_EVENTS, *INVOICE_EVENTS,
    PASSWORD_RESET_REQUESTED, PASSWORD_CHANGED, PAYMENT_SUCCESS, PAYMENT_FAILED, PAYMENT_REFUNDED,
    PAYMENT_CANCELLED, PAYMENT_RISK_FLAGGED, RECEIPT_DIRECT_APPLIED, RECEIPT_MAIL_DELIVERY,
    LICENSE_APPLIED, LICENSE_EXPIRING, LICENSE_EXPIRED, PAYMENT_DOWNLOADS_READY,
    WALLET_RECONCILIATION_FAILED, INVOICE_EXPORTED, RECEIPT_EXPORTED)}


_BY_ID: dict[str, Event] = {e.id: e for e in EVENTS.values()}


def event(code: str) -> Event | None:
    return EVENTS.get(code)


def event_by_id(event_id_or_code: str) -> Event | None:
    """The event an API caller names, by its id (JFW's way) or by its code."""
    return _BY_ID.get(event_id_or_code) or EVENTS.get(event_id_or_code)


# -- webhooks (chalicelib/webhooks): appended, so the other issues' additions merge cleanly ------

WEBHOOK_ENDPOINT_DISABLED = Event(
    code="WEBHOOK.ENDPOINT.DISABLED", group="WEBHOOK", name="Webhook - Endpoint Disabled",
    subject="{{ brand.name }}: a webhook endpoint was disabled",
    body=("<p>Hello {{ user.name }},</p><p>The webhook endpoint <b>{{ webhook.url }}</b> "
          "({{ webhook.id }}) was disabled on {{ webhook.disabled_date }}: {{ webhook.reason }}</p>"
          "<p>Events are no longer sent to it. Fix the receiver, check it with "
          "<i>POST v1/webhook-endpoints/{{ webhook.id }}/test</i>, then enable it again "
          "(<i>PUT v1/webhook-endpoints/{{ webhook.id }}</i> with "
          '<code>{"status": "Enabled"}</code>) and resend the failed deliveries.</p>'
          + _FOOTER),
    placeholders=("webhook.id", "webhook.url", "webhook.reason", "webhook.disabled_date"),
    description="Sent to the brand's administrators (the endpoint's creator and the support "
                "address) when no delivery to a webhook endpoint was accepted for 3 days and "
                "the endpoint was disabled.",
)
EVENTS[WEBHOOK_ENDPOINT_DISABLED.code] = WEBHOOK_ENDPOINT_DISABLED
_BY_ID[WEBHOOK_ENDPOINT_DISABLED.id] = WEBHOOK_ENDPOINT_DISABLED

# Text messages (issue 15; notify/texter.py). ``sms`` is the event's default text (Liquid, plain
# text, at most segments.MAX_SEGMENTS segments); a brand may override it per language
# (phonetemplates.py) and turn texting on or off per event (eventsettings.py). ``sms_on``: texted
# unless the brand turns it off; otherwise only where the brand turns it on.
PHONE_VERIFICATION_CODE_SENT = Event(
    code="USER.PHONE.VERIFICATION-CODE-SENT", group="USER",
    name="User - Phone Verification Code Sent",
    subject="Your {{ brand.name }} verification code",
    body=("<p>Hello {{ user.name | default: 'there' }},</p><p>Your {{ brand.name }} verification "
          "code is {{ verification.code }}.</p>" + _FOOTER),
    placeholders=("verification.code", "verification.expiry_minutes"),
    sms=("{{ verification.code }} is your {{ brand.name }} verification code. It expires in "
         "{{ verification.expiry_minutes }} minutes. Do not share it."),
    sms_on=True, mail=False,
    description="Texted to a user who asked to confirm their phone number "
                "(POST v1/users/me/phone-number/verification): the 6-digit code, valid 10 minutes.")

_SMS_DEFAULTS = {
    "PAYMENT.PROCESSED.SUCCESS": "{{ brand.name }}: we received your payment {{ payment.code }} "
                                 "of {{ payment.amount }} {{ payment.currency_code }}. Thank you!",
    "LICENSE.EXPIRING.SOON": "{{ brand.name }}: your {{ license.package_name }} ends on "
                             "{{ license.expiry_date }}. Renew before then to keep it.",
    "INVOICE.RENEWAL.OVERDUE": "{{ brand.name }}: renewal invoice {{ invoice.code }} was not paid "
                               "by {{ invoice.overdue_date }}; your subscription has ended.",
    "USER.PASSWORD.RESET-REQUESTED": "{{ brand.name }}: choose a new password at "
                                     "{{ reset_password.link }} (works once, for "
                                     "{{ reset_password.expiry_minutes }} minutes). Not you? "
                                     "Ignore this.",
}
EVENTS[PHONE_VERIFICATION_CODE_SENT.code] = PHONE_VERIFICATION_CODE_SENT
for _code, _text in _SMS_DEFAULTS.items():
    EVENTS[_code] = replace(EVENTS[_code], sms=_text)
_BY_ID.update({e.id: e for e in EVENTS.values()})

# Events that only webhooks carry (no mail, no text): listed in v1/events so a brand sees every
# code a webhook endpoint may receive (webhooks/: the payment, license and wallet event rows).
_PAYMENT_STATUSES = ("Created", "Completed", "Refunded", "Failed", "Pending", "Denied",
                     "Reserved", "CanceledReversal", "Deleted", "Voided")  # JFW PaymentStatus


def _hook_event(code: str, name: str, description: str) -> Event:
    return Event(code=code, group=code.split(".", 1)[0], name=name, subject="", body="",
                 mail=False, description=description)


WEBHOOK_ONLY_EVENTS = (
    *(_hook_event(f"PAYMENT.STATUS.{s.upper()}", f"Payment - Status {s}",
                  f"A payment's status became {s} through a dispute or a gateway change other "
                  "than completion, failure, refund or cancellation (webhooks only).")
      for s in _PAYMENT_STATUSES),
    _hook_event("LICENSE.STATE.CHANGED", "License - Changed",
                "Licenses were created, extended, suspended, revoked or expired in one change; "
                "the event lists their ids (webhooks only)."),
    _hook_event("WALLET.PAYMENT.SUCCESS", "Wallet - Payment Success",
                "A purchase was paid from the wallet (webhooks only: the payment's own mails "
                "tell the buyer)."),
    _hook_event("WALLET.CONVERT.DEBITED", "Wallet - Convert Debited",
                "The debited side of a currency conversion (webhooks only: the credited side "
                "is mailed)."),
    _hook_event("WEBHOOK.ENDPOINT.PING", "Webhook - Endpoint Ping",
                "The test event an administrator sends to a webhook endpoint "
                "(POST v1/webhook-endpoints/{id}/test)."),
)
for _event in WEBHOOK_ONLY_EVENTS:
    EVENTS.setdefault(_event.code, _event)
_BY_ID.update({e.id: e for e in EVENTS.values()})
