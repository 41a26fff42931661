"""One moto per test process, its tables, queues and buckets (store/schema.py) created once.

Starting moto and creating the tables cost more than most integration tests; emptying them does
not. ``WORLD.empty()`` gives a test what a fresh moto gave it: every table empty (same
definitions), every queue and bucket as new, every other service (SES, KMS, STS, ...) reset.
A test that runs its own moto (``with mock_aws()``, a module-scoped world) or does not use
``aws_env`` stops the shared one first (tests/conftest.py ``pytest_runtest_setup``), so it starts
from nothing as before; the next test that uses it starts it again.

While it runs, the boto3 clients and PynamoDB's connection are made once per endpoint, not once
per test: every test's ``reset_process_state`` drops the app's (store/aws.py, store/base.py), and
building them again cost ~30 ms each, more than emptying the world. A client keeps no state of
the services (they live in moto's backends), so a test gets what a new one would give it.
"""

from __future__ import annotations

from typing import Any

from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.dynamodb.models import dynamodb_backends

from chalicelib import settings
from chalicelib.store import aws, base, bootstrap, schema


class MotoWorld:
    def __init__(self) -> None:
        self._mock: Any = None
        self._clients: dict[str, Any] = {}
        self._made: dict[tuple, Any] = {}
        self._originals: tuple[Any, Any] | None = None

    @property
    def running(self) -> bool:
        return self._mock is not None

    def start(self) -> None:
        if self._mock is not None:
            return
        mock = mock_aws()
        mock.start()  # the outermost moto: starts from nothing
        self._mock = mock
        self._clients = {}
        self._bootstrap(bootstrap.create_all)
        self._reuse_clients()

    def stop(self) -> None:
        if self._mock is not None:
            self._own_clients_again()
            mock, self._mock, self._clients = self._mock, None, {}
            mock.stop()

    def _reuse_clients(self) -> None:
        """store/aws.py's clients and store/base.py's connection, one per endpoint and region,
        for as long as the world runs."""
        create, connection_cls = aws._create, base.Connection
        self._originals, self._made = (create, connection_cls), {}

        def client(service: str) -> Any:
            s = settings.get()
            key = ("client", service, s.region, s.aws_endpoint_url, s.dynamodb_endpoint_url)
            if key not in self._made:
                self._made[key] = create(service)
            return self._made[key]

        def connection(*args: Any, **kwargs: Any) -> Any:
            key = ("connection", args, tuple(sorted(kwargs.items())))
            if key not in self._made:
                self._made[key] = connection_cls(*args, **kwargs)
            return self._made[key]

        aws._create = client
        base.Connection = connection

    def _own_clients_again(self) -> None:
        if self._originals is not None:
            aws._create, base.Connection = self._originals
            self._originals, self._made = None, {}

    def empty(self) -> None:
        """Every table emptied in place; every other service reset, queues and buckets again."""
        if not self._tables_as_created():
            self.stop()
            self.start()
            return
        for _, _, backend in dynamodb_backends.iter_backends():
            for table in backend.tables.values():
                table.items.clear()
            backend.backups.clear()
        for backends in list(BackendDict._instances):
            if backends is dynamodb_backends:
                continue
            for account_backends in backends.values():
                account_backends.reset()
            backends.clear()
            BackendDict._instances.remove(backends)
        self._bootstrap(lambda: (bootstrap.create_queues(), bootstrap.create_buckets()))

    def _tables_as_created(self) -> bool:
        """True when the tables are exactly store/schema.py's (no test dropped or added one)."""
        names = {settings.get().table_name(t.name) for t in schema.TABLES}
        found = [set(b.tables) for _, _, b in dynamodb_backends.iter_backends() if b.tables]
        return found == [names]

    def _bootstrap(self, create) -> None:
        """Run a store/bootstrap.py step on the world's own clients (created once per start),
        not on the app's cached ones, which every test's reset_process_state drops."""
        app_client = aws.client

        def client(service: str) -> Any:
            if service not in self._clients:
                self._clients[service] = aws._create(service)
            return self._clients[service]

        aws.client = client
        try:
            create()
        finally:
            aws.client = app_client


WORLD = MotoWorld()
