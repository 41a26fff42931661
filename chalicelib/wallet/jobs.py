"""Wallet's entry points run by a timer or the outbox, not by a route."""

from __future__ import annotations
