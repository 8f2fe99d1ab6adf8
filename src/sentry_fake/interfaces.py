"""
The table of contents of sentry-fake: every role a component plays, in one place.

The store holds the whole state of the fake and knows nothing of HTTP; each HTTP surface is a Klein
class that holds the store by reference and answers one family of Sentry's routes.
"""

from zope.interface import Attribute, Interface


class IStore(Interface):
    """
    The state of a Sentry installation: organizations, teams, projects, client keys, events
    grouped into issues, and the raw envelope items that arrived.  Pure Python, no HTTP.
    """

    limits = Attribute("The L{sentry_fake.store.limits.Limits} every surface honours.")
    evicted = Attribute("How many events were dropped to stay within C{max_events}.")
    clock = Attribute("The L{IReactorTime} the store reads the time from (replaceable).")
    directory = Attribute(
        "The L{sentry_fake.store.directory.Directory}: organizations, teams, projects, client "
        "keys and the one user, with their own methods for changes that touch nothing else.")
    releases = Attribute("The L{sentry_fake.store.releases.ReleaseBook}.")
    monitors = Attribute("The L{sentry_fake.store.monitors.MonitorBook}: cron monitors.")
    uploads = Attribute(
        "The L{sentry_fake.store.uploads.UploadBook}: chunks, artifact bundles, debug files.")

    def reset():
        """
        Forget everything and go back to the seeded state.
        """

    def ingest_event(project, payload, raw, envelope_headers=None, item_type="event"):
        """
        Normalize one event payload, group it into an issue and keep it.

        @param project: the L{sentry_fake.store.models.Project} it was sent to.
        @param payload: the decoded event JSON (a C{dict}).
        @param raw: the payload's bytes as received, kept instead of the parsed form.
        @param envelope_headers: the envelope's header line, if any.
        @param item_type: C{"event"} or C{"transaction"} (the envelope item type).
        @return: the stored L{sentry_fake.store.models.Event}.
        """

    def capture_item(project, item_type, headers, payload, event_id=None):
        """
        Keep one envelope item of any type as it arrived (sessions, check-ins, attachments, ...).

        @return: the L{sentry_fake.store.models.CapturedItem}.
        """

    def project_for_ingest(project_id, public_key, strict):
        """
        Find the project an SDK is sending to.

        @param project_id: the numeric id from the URL.
        @param public_key: the client key the request presented, or C{None}.
        @param strict: check the key as Sentry does; otherwise unknown projects and keys are
            created on first use.
        @raise sentry_fake.errors.IngestRejected: when strict and the key does not open the project.
        """

    def organizations():
        """
        @return: every L{Organization}, oldest first.
        """

    def organization(id_or_slug):
        """
        @raise sentry_fake.errors.NotFound: no such organization.
        """

    def projects(organization=None):
        """
        @return: the projects of one organization (or all), oldest first.
        """

    def project(organization, id_or_slug):
        """
        @raise sentry_fake.errors.NotFound: no such project in that organization.
        """

    def create_project(organization, team, name, slug=None, platform=None):
        """
        Create a project and its default client key.

        @raise sentry_fake.errors.Conflict: the slug is taken.
        """

    def team(organization, id_or_slug):
        """
        @raise sentry_fake.errors.NotFound: no such team in that organization.
        """

    def teams(organization):
        """
        @return: the teams of one organization, oldest first.
        """

    def keys(project):
        """
        @return: the client keys of a project.
        """

    def issues(projects):
        """
        @return: the issues of the given projects, in no particular order.
        """

    def issue(issue_id):
        """
        @raise sentry_fake.errors.NotFound: no such issue.
        """

    def events(project_id=None, issue_id=None):
        """
        @return: the stored events, oldest first, optionally of one project or one issue.
        """

    def event(event_id):
        """
        @param event_id: 32 hex digits or a hyphenated UUID.
        @raise sentry_fake.errors.NotFound: no such event.
        """

    def items(item_type=None):
        """
        @return: the captured envelope items, oldest first, optionally of one type.
        """

    def issues_in_order(projects, sort):
        """
        @return: the issues of some projects, lazily, in a sort order (C{date}, C{new},
            C{freq}, C{user}), read from ordered indexes.
        """

    def adjacent_events(event):
        """
        @return: the events stored just before and after C{event} in its issue.
        """

    def record_check_in(project, payload):
        """
        File a cron check-in under its monitor (created on its first check-in).

        @raise sentry_fake.errors.Invalid: the payload is not a check-in.
        """

    def watch(callback):
        """
        Call C{callback(record)} with every event and captured item stored from now on.
        """

    def unwatch(callback):
        """
        Stop calling a callback given to L{watch}.
        """

    def issue_facts(issue):
        """
        @return: what an issue's stored events say (tag values, users, frames, messages), as
            an L{sentry_fake.store.facts.IssueFacts}.
        """

    def update_issues(issues, change):
        """
        Apply an L{sentry_fake.store.issues.IssueChange} to each issue.
        """

    def delete_issues(issues):
        """
        Forget issues and their events.
        """

    def delete_project(project):
        """
        Forget a project with its keys, issues and events.
        """



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


class IManagementSurface(ISurface):
    """
    The REST API under C{/api/0/}: Bearer-authenticated, Sentry's shapes and errors.
    """

    tokens = Attribute("The accepted Bearer tokens, or an empty collection for any token.")


class IInspectionSurface(ISurface):
    """
    The routes for tests and people: metadata, health, reset and what was captured.
    """
