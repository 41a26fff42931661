"""Payments: payments, status machine, history, transactions, checkout, gateway notifications."""
