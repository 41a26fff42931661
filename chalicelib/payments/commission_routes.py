"""Commission-rate routes (JFW v6.9.3 §20). Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import Q, Route

H = "chalicelib.payments.commission_api:"
S = "chalicelib.payments.checkout_schemas:"
C = "/api/v1/commission-rates"
TYPES = ("Discount", "Commission")

ROUTES = [
    Route("GET", C, H + "list_rates",
          "The brand's commission and discount rates (a plain array; pageNumber/pageSize cut "
          "it when sent)", permission="COMMISSION-RATE.READ", returns="array",
          tag="Commission rates", query=(
              Q("pageNumber", "integer"), Q("pageSize", "integer"),
              Q("sortDataField", description="quantityFrom (default), quantityTo, percentage, "
                "type, id or createdDate."), Q("sortOrder", enum=("asc", "desc")),
              Q("type", enum=TYPES), Q("unit"), Q("isDefault", "boolean"))),
    Route("GET", C + "/get-discount", H + "get_discount",
          "The Discount percentage for a quantity (the rate whose range covers it, else the "
          "default Discount rate, else 0)", returns="number", tag="Commission rates",
          query=(Q("quantity", "integer", required=True),)),
    Route("GET", C + "/{id}", H + "get_rate", "A commission rate",
          permission="COMMISSION-RATE.READ", tag="Commission rates"),
    Route("POST", C, H + "create_rate",
          "Add a rate (ranges of one type must not overlap; one default per type)",
          permission="COMMISSION-RATE.CREATE", body=S + "CommissionRateBody",
          tag="Commission rates"),
    Route("PUT", C + "/{id}", H + "update_rate", "Replace a rate",
          permission="COMMISSION-RATE.UPDATE", body=S + "CommissionRateBody", returns="boolean",
          tag="Commission rates"),
    Route("DELETE", C + "/{id}", H + "delete_rate", "Delete a rate",
          permission="COMMISSION-RATE.DELETE", returns="boolean", tag="Commission rates"),
    Route("GET", "/api/v1/constants/commission-rate/types", H + "rate_types",
          "CommissionRateType names", auth="none", brand=False, returns="strings",
          tag="Constants"),
]
