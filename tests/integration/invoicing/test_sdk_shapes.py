"""JFW's SDK (v6.9.3) invoice functions, called as the SDK calls them, answer in the SDK's
shapes (src/features/invoice/types.ts: IInvoice, IInvoiceItem; IUserBase; IPaymentBase)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalicelib.payments.inbound import intake
from tests.helpers.checkout import checkout_link, paypal_completion
from tests.helpers.payments import drain_outbox, payment

NUMBER = (int, float)
IINVOICE = {"id", "createdDate", "user", "payment", "packageCode", "userAddressId",
            "subscriptionTypeId", "type", "code", "name", "subtotalAmount", "discountRate",
            "discountAmount", "taxRate", "taxAmount", "totalAmount", "amountPaid", "amountDue",
            "currencyCode", "description", "notes", "tags", "reminderedCount",
            "deliveryInstructions", "confirmedDeliveryDate", "invoiceDate", "dueDate",
            "overdueDate", "billingPeriodStartDate", "billingPeriodEndDate", "status",
            "testMode", "items"}
IPAYMENT_BASE = {"id", "createdDate", "code", "name", "amountGross", "amountFee", "amountNet",
                 "commission", "currencyCode", "description", "invoiceNo", "paymentType",
                 "notes", "status", "paymentDate"}
IUSER_BASE = {"id", "createdDate", "code", "avatar", "packageId", "packageCode",
              "emailAddress", "nickName", "roles"}


def envelope(resp) -> dict:
    env = resp.json_body
    assert set(env) >= {"success", "statusCode", "message", "errors", "data"}, env
    assert env["success"] is True and env["statusCode"] == resp.status_code == 200, env
    return env["data"]


def is_invoice(i: dict) -> None:
    assert set(i) >= IINVOICE, IINVOICE - set(i)
    assert set(i["payment"]) >= IPAYMENT_BASE and set(i["user"]) >= IUSER_BASE
    assert i["type"] in ("Provisional", "Post") and i["status"] in ("Unpaid", "Paid")
    for f in ("subtotalAmount", "totalAmount", "amountPaid", "amountDue"):
        assert isinstance(i[f], NUMBER) and not isinstance(i[f], bool)
    assert isinstance(i["testMode"], bool) and isinstance(i["code"], str)
    for item in i["items"]:
        assert set(item) >= {"id", "createdDate", "name", "quantity", "amount", "currencyCode"}
        assert isinstance(item["quantity"], int) and isinstance(item["amount"], NUMBER)


def test_the_sdks_invoice_functions(api, buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    pid = parse_qs(urlsplit(checkout_link(buyer, shop["usd"])).query)["custom"][0]
    intake.apply(bid, paypal_completion(payment(bid, pid)), None)
    drain_outbox()
    # getInvoices(params): GET v1/invoices -> HttpResponseList<IInvoice>
    data = envelope(buyer.get("v1/invoices?pageNumber=0&pageSize=10&sortDataField=createdDate"
                              "&sortOrder=desc&type=Post&status=Paid&testMode=true"))
    assert set(data) >= {"items", "totalItems", "pageNumber", "pageSize"}
    [listed] = data["items"]
    is_invoice(listed)
    # getInvoice(id): GET v1/invoices/{id} -> HttpResponse<IInvoice>
    is_invoice(envelope(buyer.get(f"v1/invoices/{listed['id']}")))
    # getInvoiceStatuses / getInvoiceTypes (swapped in the SDK): string[]
    assert envelope(api.get("v1/constants/invoice/types")) == ["Provisional", "Post"]
    assert envelope(api.get("v1/constants/invoice/status")) == ["Unpaid", "Paid"]
    # deleteInvoice(id): DELETE v1/invoices/{id} -> HttpResponse<boolean>; a paid one is 409
    r = buyer.delete(f"v1/invoices/{listed['id']}")
    assert r.status_code == 409 and r.json_body["success"] is False
