"""
The twistd plugin: ``twistd sentry-fake`` runs a local emulator of the Sentry service.
"""

from twisted.application.service import ServiceMaker

sentry_fake = ServiceMaker(
    "Sentry Fake",
    "sentry_fake.tap",
    "A local emulator of the Sentry service: ingest, management API and inspection.",
    "sentry-fake",
)
