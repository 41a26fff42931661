"""Invoicing's enums (JFW v6.9.3 wire values)."""

INVOICE_TYPES = ("Provisional", "Post")
INVOICE_STATUSES = ("Unpaid", "Paid")

# Each constants path answers its own values; JFW's SDK calls them swapped (getInvoiceStatuses
# asks invoice/types), api-surface.md §22.
CONSTANTS = {"invoice/types": INVOICE_TYPES, "invoice/status": INVOICE_STATUSES}

# Brand settings of renewals (renewals.py), with their defaults; ``PUT v1/invoices/settings``
# writes them. The overdue date is the end plus licensing's ``licenseGraceDays``, so the invoice
# goes overdue when licensing's expiry job ends the license.
MAX_RENEWAL_DAYS = 365
DEFAULT_SETTINGS: dict[str, object] = {
    "invoiceRenewalDays": 7,         # the provisional invoice, days before the license ends
    "invoiceReminderDays": [3, 1],   # reminders of an unpaid one, days before its dueDate
}
