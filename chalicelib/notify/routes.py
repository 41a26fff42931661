"""Notify routes. Data only: see chalicelib/http/routing.py."""

from chalicelib.http.routing import Q, Route
from chalicelib.settings import LOCAL_STAGES

ROUTES = [
    # Local stack and tests only: the route does not exist on AWS. Mails are read from the
    # sent-mail log's gsi1 partition ``SENTMAIL``, which only these stages write.
    Route("GET", "/api/v1/dev/mails", "chalicelib.notify.api:dev_mails",
          "Mails sent by the local stack, newest first: to, subject, body, time",
          auth="none", brand=False, returns="array", stages=LOCAL_STAGES, tag="Dev",
          query=(Q("to", description="Only mails to this address (case-insensitive)."),)),
]
