"""
The table of contents of sentry-fake: every role a component plays, in one place.

The store holds the whole state of the fake and knows nothing of HTTP.  It is read through the
roles its books play (the directory, the event log, the issues, releases, monitors and uploads)
and written through one method per change record (L{IWrites}); each HTTP surface is a Klein
class that holds the store by reference, and each of its route families uses only the roles it
names.
"""

from .books import IMonitors, IOutcomes, IReleases, ITraces, IUploads
from .reading import IDirectory, IEventLog, IIssues
from .store import IStore
from .surfaces import IIngestSurface, IInspectionSurface, IManagementSurface, ISurface
from .writing import IJournal, IWrites

__all__ = [
    "IDirectory", "IEventLog", "IIngestSurface", "IInspectionSurface", "IIssues", "IJournal",
    "IManagementSurface", "IMonitors", "IOutcomes", "IReleases", "IStore", "ISurface",
    "ITraces", "IUploads", "IWrites",
]
