"""
The inspection surface: what tests and people use to look inside the fake (the captured events
and items, faults), the pages for people at Sentry's own URLs (rendered by
L{sentry_fake.pages}) and their live feeds, and Spotlight's sidecar stream.
"""
