"""
The pages a person reads in a browser, rendered on the server with C{twisted.web.template}:
pure functions and elements from model records and Sentry's event shapes to HTML, with the
layout template, the style sheet and the small script for live updates as package data.
Nothing here reads the store or a request (the routes in L{sentry_fake.inspection} do).
"""
