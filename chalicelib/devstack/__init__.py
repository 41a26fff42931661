"""The local stack behind ``make run``: moto, localstripe, the API, a queue worker, a timer and
seed data, all on 127.0.0.1 (ARCHITECTURE.md, "The local stack")."""
