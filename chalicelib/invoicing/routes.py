"""Invoices (JFW v6.9.3 §14) and their credit notes (ours). Data only: see
chalicelib/http/routing.py. PDFs: exports.py (stored once), links.py (the mailed link)."""

from chalicelib.http.routing import PAGING, Q, Route
from chalicelib.invoicing.constants import INVOICE_STATUSES, INVOICE_TYPES

ROUTES = [
    Route("GET", "/api/v1/invoices", "chalicelib.invoicing.api:list_invoices",
          "The caller's invoices, newest first (an INVOICE.READ holder: the brand's, or one "
          "user's with userId). Each with creditedAmount; creditNotes come with one invoice",
          returns="page", tag="Invoices", query=(
              *PAGING,
              Q("userId", description="One user's invoices (INVOICE.READ for another's)."),
              Q("packageId"), Q("subscriptionTypeId"), Q("type", enum=INVOICE_TYPES),
              Q("code"), Q("name"), Q("description"), Q("notes"), Q("tags"),
              Q("reminderedCount", "integer"), Q("deliveryInstructions"),
              Q("confirmedDeliveryDate", "date-time"),
              Q("invoiceDate", "date-time", description="Invoices of that day (UTC)."),
              Q("overdueDate", "date-time", description="Invoices overdue that day (UTC)."),
              Q("status", enum=INVOICE_STATUSES),
              Q("testMode", "boolean", description="Only test-mode (true) or live (false) "
                "invoices; both when absent, as payments list."))),
    Route("GET", "/api/v1/invoices/{id}", "chalicelib.invoicing.api:get_invoice",
          "An invoice (its buyer, or INVOICE.READ), with its credit notes (creditNotes) and "
          "what they credited (creditedAmount)", tag="Invoices"),
    Route("DELETE", "/api/v1/invoices/{id}", "chalicelib.invoicing.api:delete_invoice",
          "Delete an unpaid Provisional invoice (its buyer, or INVOICE.DELETE). An issued "
          "(Post) or Paid invoice is never deleted: 409 (a refund is a credit note)",
          returns="boolean", tag="Invoices", answers=(409,)),
    Route("POST", "/api/v1/invoices/{id}/download", "chalicelib.invoicing.api:download_invoice",
          "The invoice as a PDF file: raw bytes, no envelope, as JFW's SDK reads a Blob (its "
          "buyer, or INVOICE.READ). Made on the first download, then served as stored: an "
          "issued invoice's PDF never changes (credit notes have their own)",
          returns="pdf", tag="Invoices"),
    Route("POST", "/api/v1/invoices/{id}/credit-notes/{noteId}/download",
          "chalicelib.invoicing.api:download_credit_note",
          "A credit note of the invoice as a PDF file (ours; raw bytes, no envelope; the "
          "invoice's buyer, or INVOICE.READ). Made once, then served as stored",
          returns="pdf", tag="Invoices"),
    Route("GET", "/api/v1/invoices/{id}/pdf", "chalicelib.invoicing.api:open_link",
          "The invoice's PDF through the link its mails carry (ours; no Auth-Key: the token "
          "is the key, for one invoice, 30 days): a 302 to the stored PDF for 5 minutes. An "
          "unknown, altered, another invoice's or expired token is a 403",
          auth="none", brand=False, returns="redirect", status=302, answers=(403,),
          tag="Invoices", query=(Q("token", required=True,
                                   description="The token of the mailed link."),)),
    # -- renewals (ours): paying a provisional invoice, the brand's renewal settings ------------
    Route("POST", "/api/v1/invoices/{id}/checkout", "chalicelib.invoicing.api:checkout_invoice",
          "Pay your own unpaid provisional (renewal) invoice: a payment of exactly its total "
          "and its checkout link; walletId: a wallet pays all of it (no link, the payment "
          "completes at once). A payment still open for it is answered again. 409 when it is "
          "paid or overdue", body="chalicelib.invoicing.schemas:InvoiceCheckoutBody",
          tag="Invoices", idempotent=True, answers=(409, 502)),
    Route("GET", "/api/invoices/{id}/pay", "chalicelib.invoicing.api:pay_link",
          "The pay link mailed with a provisional invoice: redirects (302) to its checkout. "
          "Works while the invoice is unpaid and not overdue (then 410)", auth="none",
          brand=False, returns="redirect", status=302, tag="Invoices", answers=(410,),
          query=(Q("brandId", required=True, description="The invoice's brand."),
                 Q("token", required=True, description="The link's secret."))),
    Route("GET", "/api/v1/invoices/settings", "chalicelib.invoicing.api:get_settings",
          "The brand's renewal settings: invoiceRenewalDays (the provisional invoice, days "
          "before a subscription ends), invoiceReminderDays (reminders, days before its "
          "dueDate), and licensing's licenseGraceDays (overdueDate = dueDate + it)",
          permission="INVOICE.READ", tag="Invoices"),
    Route("PUT", "/api/v1/invoices/settings", "chalicelib.invoicing.api:put_settings",
          "Change the brand's renewal settings (only the fields sent)",
          permission="INVOICE.UPDATE", body="chalicelib.invoicing.schemas:RenewalSettingsBody",
          tag="Invoices"),
    Route("GET", "/api/v1/constants/invoice/types", "chalicelib.invoicing.api:constant",
          "InvoiceType names (JFW's SDK calls this path from getInvoiceStatuses)", auth="none",
          brand=False, returns="strings", tag="Constants"),
    Route("GET", "/api/v1/constants/invoice/status", "chalicelib.invoicing.api:constant",
          "InvoiceStatus names (JFW's SDK calls this path from getInvoiceTypes)", auth="none",
          brand=False, returns="strings", tag="Constants"),
]
