"""
Sentry's events queries (what C{GET /api/0/organizations/{org}/events/} answers): a dataset
(errors, transactions, spans, logs, trace metrics), fields and aggregates, a query in Sentry's
search syntax, a sort and a page.  Pure: it reads the store's roles and knows nothing of HTTP.
"""
