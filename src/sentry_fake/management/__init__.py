"""
The management surface: Sentry's REST API under C{/api/0/}, one module per resource family.
"""
