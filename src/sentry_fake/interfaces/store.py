"""
The store as a whole: the state of a Sentry installation, read through its roles and written
through L{IWrites}.
"""

from zope.interface import Attribute

from .reading import IEventLog, IIssues
from .writing import IWrites


class IStore(IEventLog, IIssues, IWrites):
    """
    The state of a Sentry installation, read through its roles and written through L{IWrites}.
    Pure Python, no HTTP.
    """

    limits = Attribute("The L{sentry_fake.store.limits.Limits} every surface honours.")
    seed = Attribute("The L{sentry_fake.store.seed.Seed} a reset goes back to.")
    seq = Attribute("The sequence number of the last change record applied.")
    journal = Attribute("The L{IJournal} records are committed to.")
    directory = Attribute("The L{IDirectory}.")
    releases = Attribute("The L{IReleases}.")
    monitors = Attribute("The L{IMonitors}.")
    uploads = Attribute("The L{IUploads}.")
    traces = Attribute("The L{ITraces}.")
    outcomes = Attribute("The L{IOutcomes}.")

    def now():
        """
        @return: the time, from the clock the store was given (what new records carry), never
            earlier than a time it answered before.
        """
