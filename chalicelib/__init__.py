"""Ledgerbridge: the service deployed to Lambda (Chalice copies this package with app.py)."""
