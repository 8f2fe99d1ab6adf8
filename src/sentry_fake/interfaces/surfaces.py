"""
The HTTP surfaces: each a family of Sentry's routes served by a Klein application over the
store.
"""

from zope.interface import Attribute, Interface


class ISurface(Interface):
    """
    One family of Sentry's HTTP routes, served by a Klein application.
    """

    store = Attribute("The L{IStore} the surface reads and writes.")

    def resource():
        """
        @return: the L{twisted.web.resource.IResource} that serves this surface.
        """


class IIngestSurface(ISurface):
    """
    The SDK-facing routes: envelopes, the legacy store endpoint and the other ingest endpoints.
    """

    def envelope(request, project_id):
        """
        Accept one envelope for a project (the hot path).

        @return: the response body as bytes.
        """

    def store_event(request, project_id):
        """
        Accept one event JSON for a project through the legacy store endpoint.

        @return: the response body as bytes.
        """

    def answer(request):
        """
        Answer any ingest request (with an injected fault, if the fault plan draws one).

        @return: the response body, or C{NOT_DONE_YET}.
        """

    def answer_hot(request):
        """
        Answer a request of the hot path (C{POST} to an envelope or store endpoint) at once,
        as L{answer} would: C{None}, having done nothing, for any other request and while a
        fault plan is set.  Where the journal commits a turn's records together, the answer
        comes at the end of the turn.

        @return: the response body, a L{Deferred} of it, or C{None}.
        """


class IManagementSurface(ISurface):
    """
    The REST API under C{/api/0/}: Bearer-authenticated, Sentry's shapes and errors.
    """

    tokens = Attribute("The accepted Bearer tokens, or an empty collection for any token.")


class IInspectionSurface(ISurface):
    """
    The routes for tests and people: metadata, health, reset and what was captured, and the
    pages at Sentry's own URLs with their live feeds (Spotlight's C{GET /stream} among them).
    """
