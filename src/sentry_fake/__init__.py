"""
sentry-fake: a local emulator of the Sentry service, built on Twisted.
"""

__version__ = "0.2.0"
