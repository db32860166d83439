"""Real client libraries against the gateway: one module per library (see conftest.py)."""
