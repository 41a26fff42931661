"""Dev-only routes: the local stack and the tests move the clock and run a scheduled job now.
They exist in the local stages only (settings.LOCAL_STAGES), never on AWS. Data only: see
chalicelib/http/routing.py."""

from chalicelib.http.routing import Route
from chalicelib.settings import LOCAL_STAGES

ROUTES = [
    Route("POST", "/api/v1/dev/clock", "chalicelib.devroutes.api:dev_clock",
          "Move this process's clock by offsetSeconds from real time (0 resets)",
          auth="none", brand=False, body="chalicelib.devroutes.schemas:DevClockBody",
          stages=LOCAL_STAGES, tag="Dev"),
    Route("POST", "/api/v1/dev/jobs/{name}/run", "chalicelib.devroutes.api:dev_run_job",
          "Run a scheduled job now (store/schema.py SCHEDULES) and return its result",
          auth="none", brand=False, stages=LOCAL_STAGES, tag="Dev"),
]
