"""The Chalice app: routes, schedules and queue consumers, registered from their tables.

No business logic here, and nothing heavy at import: handlers load on first use.
"""

from chalice import Chalice

from chalicelib import events, settings
from chalicelib.http.dispatch import register
from chalicelib.lasting import freeze
from chalicelib.routes import all_routes

app = Chalice(app_name="jfw-billing")
register(app, all_routes(), settings.get().stage)
globals().update(events.register(app))  # Lambda calls app.<handler name>
freeze()  # what the import made lives as long as the process (lasting.py)
