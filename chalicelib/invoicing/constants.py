"""Invoicing's enums (JFW v6.9.3 wire values)."""

INVOICE_TYPES = ("Provisional", "Post")
INVOICE_STATUSES = ("Unpaid", "Paid")

# Each constants path answers its own values; JFW's SDK calls them swapped (getInvoiceStatuses
# asks invoice/types), api-surface.md §22.
CONSTANTS = {"invoice/types": INVOICE_TYPES, "invoice/status": INVOICE_STATUSES}
