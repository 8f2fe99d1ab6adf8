"""
The table of contents of sentry-fake: every role a component plays, in one place.

The store holds the whole state of the fake and knows nothing of HTTP.  It is read through the
roles its books play (the directory, the event log, the issues, releases, monitors and uploads)
and written through one method per change record (L{IWrites}); each HTTP surface is a Klein
class that holds the store by reference, and each of its route families uses only the roles it
names.
"""

from zope.interface import Attribute, Interface


class IDirectory(Interface):
    """
    Organizations, teams, projects, client keys and the one user: who and what is there.
    """

    me = Attribute("The L{sentry_fake.store.models.User} behind every token.")

    def organizations():
        """
        @return: every L{Organization}, oldest first.
        """

    def organization(id_or_slug):
        """
        @param id_or_slug: a slug, or an id (as an C{int} or its text).
        @raise sentry_fake.errors.NotFound: no such organization.
        """

    def teams_of(organization):
        """
        @return: the teams of one organization, oldest first.
        """

    def team(organization, id_or_slug):
        """
        @raise sentry_fake.errors.NotFound: no such team in that organization.
        """

    def team_by_id(team_id):
        """
        @raise sentry_fake.errors.NotFound: no team has that id.
        """

    def projects_of(organization=None):
        """
        @return: the projects of one organization (or of all), oldest first.
        """

    def project(organization, id_or_slug):
        """
        @raise sentry_fake.errors.NotFound: no such project in that organization.
        """

    def project_by_id(project_id):
        """
        @raise sentry_fake.errors.NotFound: no project has that id.
        """

    def projects_of_team(team):
        """
        @return: the projects a team has access to.
        """

    def keys_of(project):
        """
        @return: the client keys of a project.
        """

    def key(public_key):
        """
        @return: the L{ClientKey} with that public key, or C{None}.
        """

    def key_by_id(project, key_id):
        """
        A project's key by its public key (Sentry's id in URLs) or its number.

        @raise sentry_fake.errors.NotFound: the project has no such key.
        """

    def key_by_number(key_id):
        """
        @raise sentry_fake.errors.NotFound: no key has that number.
        """

    def users():
        """
        @return: every L{User}.
        """

    def user(user_id):
        """
        @return: the L{User} of that id, or C{None}.
        """

    def actor(reference):
        """
        @return: the user or team a C{"user:ID"}/C{"team:ID"} reference names, or C{None}.
        """

    def resolve_actor(organization, value):
        """
        @return: the C{"user:ID"}/C{"team:ID"} reference an C{assignedTo} value names.
        @raise sentry_fake.errors.Invalid: nobody by that name.
        """


class IEventLog(Interface):
    """
    The events and envelope items that arrived, oldest first, bounded by C{max_events}.
    """

    max_events = Attribute("How many events (and items) are kept at most.")
    evicted = Attribute("How many events were dropped to stay within C{max_events}.")
    stored_total = Attribute("How many events and items were stored since the store was made.")

    def events(project_id=None, issue_id=None):
        """
        @return: the stored events, oldest first, optionally of one project or one issue (a
            read-only sequence).
        """

    def event(event_id):
        """
        @param event_id: 32 hex digits or a hyphenated UUID.
        @raise sentry_fake.errors.NotFound: no such event.
        """

    def adjacent_events(event):
        """
        @return: the events stored just before and after C{event} in its issue.
        """

    def events_of_trace(trace_id):
        """
        @return: the stored events (errors and transactions) of one trace, oldest first.
        """

    def items(item_type=None):
        """
        @return: the captured envelope items, oldest first, optionally of one type.
        """

    def items_of_event(event_id):
        """
        @return: the captured items that came with an event (its attachments, say), oldest
            first (C{event_id}: 32 hex digits).
        """

    def watch(callback):
        """
        Call C{callback(record)} with every event and captured item stored from now on.
        """

    def unwatch(callback):
        """
        Stop calling a callback given to L{watch}.
        """


class IIssues(Interface):
    """
    Events grouped into issues, and what the events of an issue say.
    """

    def issue(issue_id):
        """
        @raise sentry_fake.errors.NotFound: no such issue.
        """

    def issues(projects):
        """
        @return: the issues of the given projects, in no particular order.
        """

    def issues_in_order(projects, sort):
        """
        @return: the issues of some projects, lazily, in a sort order (C{date}, C{new},
            C{freq}, C{user}), read from ordered indexes.
        """

    def issue_by_short_id(project, counter):
        """
        @return: the project's issue whose short id has that counter (C{PARLEL-1A}: 42), or
            C{None}.
        """

    def issue_count():
        """
        @return: how many issues there are.
        """

    def issue_facts(issue):
        """
        @return: what an issue's stored events say (tag values, users, frames, messages), as
            an L{sentry_fake.store.facts.IssueFacts}.
        """

    def issue_tags(issue, budget):
        """
        @return: what the tags of an issue's events say, at a bounded cost (for pages): an
            L{sentry_fake.store.tag_summary.IssueTags}, exact (C{complete}) when the issue's
            facts are current within C{budget} folded events, else counted over its latest
            C{budget} events (L{prepare_issue_facts} makes the next answer exact).
        """

    def issue_messages(issue):
        """
        @return: the distinct formatted messages of an issue's stored events, read from the
            events' records (no event document is built), for free-text search; a set to read,
            never to change.
        """

    def prepare_issue_facts(issue):
        """
        @return: a Deferred that fires once L{issue_facts} answers at once, gathering a big
            issue's events a slice at a time meanwhile.
        """


class IReleases(Interface):
    """
    Releases with their projects, commits and deploys, the repositories commits belong to, and
    the code mappings from projects' stack trace roots to repository paths.
    """

    def find(organization_id, version):
        """
        @return: the organization's release of that version, or C{None}.
        """

    def get(organization_id, version):
        """
        @raise sentry_fake.errors.NotFound: the organization has no release of that version.
        """

    def releases(organization_id, query=None, project_ids=None, status="open"):
        """
        @return: an organization's releases, newest first, filtered as Sentry's list filters.
        """

    def previous_with_commits(release):
        """
        @return: the latest earlier release of its projects that has commits, or C{None}.
        """

    def commits(release):
        """
        @return: a release's commits, newest first.
        """

    def releases_of_commit(commit):
        """
        @return: the releases whose commits hold C{commit}, oldest first.
        """

    def authors(release):
        """
        @return: the distinct (name, email) authors of a release's commits.
        """

    def repositories(organization_id):
        """
        @return: an organization's repositories.
        """

    def repository_by_id(repository_id):
        """
        @raise sentry_fake.errors.NotFound: no such repository.
        """

    def code_mappings(organization_id, project_ids=None):
        """
        @return: an organization's code mappings (of some projects only, when given), oldest
            first: L{sentry_fake.store.code_mappings.CodeMapping}s.
        """

    def deploy(deploy_id):
        """
        @return: the deploy of that id, or C{None}.
        """

    def deploys(release):
        """
        @return: a release's deploys, the latest finished first.
        """


class IMonitors(Interface):
    """
    Cron monitors, their environments and their check-ins.
    """

    def of_organization(organization_id, project_ids=None):
        """
        @return: an organization's monitors (of some projects only, when given), by name.
        """

    def find(organization_id, id_or_slug, project_id=None):
        """
        @raise sentry_fake.errors.NotFound: no such monitor (in that project, when given).
        """

    def check_ins_of(monitor, environments=()):
        """
        @return: a monitor's check-ins, newest first (in some environments only, when named).
        """


class ITraces(Interface):
    """
    Spans (from transaction events and span items alike), log entries and metric points, each
    kept up to C{max_events}, by trace, segment and project.
    """

    def span(trace_id, span_id):
        """
        @return: the L{sentry_fake.store.trace_models.Span}, or C{None}.
        """

    def spans_of_trace(trace_id):
        """
        @return: a trace's spans, oldest first (a read-only sequence).
        """

    def spans_of_segment(trace_id, segment_id):
        """
        @return: the spans of one segment (a transaction), the segment's own among them.
        """

    def logs_of_trace(trace_id):
        """
        @return: a trace's L{sentry_fake.store.trace_models.LogEntry}s, oldest first.
        """

    def metrics_of_trace(trace_id):
        """
        @return: a trace's L{sentry_fake.store.trace_models.MetricPoint}s, oldest first.
        """

    def of_project(kind, project_id):
        """
        @param kind: C{spans}, C{logs} or C{metrics}.
        @return: a project's entries of that kind, oldest first.
        """

    def all(kind):
        """
        @return: every entry of a kind (C{spans}, C{logs}, C{metrics}), oldest first.
        """

    def evicted(kind):
        """
        @return: how many entries of a kind were dropped to stay within the bound.
        """

    def replay(replay_id):
        """
        @return: the L{sentry_fake.store.recordings.Replay} of that id (32 hex digits), or
            C{None}.
        """

    def replays():
        """
        @return: every replay kept, oldest first.
        """

    def profile(profile_id):
        """
        @return: the transaction L{sentry_fake.store.recordings.Profile} of that id, or C{None}.
        """

    def profile_chunks(project_id, profiler_id):
        """
        @return: a continuous profiler's chunks in a project, oldest first.
        """


class IUploads(Interface):
    """
    Uploaded chunks, the artifact bundles and debug files assembled from them, and the release
    files bundles give their releases.
    """

    max_pending = Attribute("How many bytes of chunks are kept while they wait for assembly.")

    def missing_chunks(organization_id, checksums):
        """
        @return: the checksums among C{checksums} whose chunks have not arrived.
        """

    def bundles(organization_id, project_id=None, query=None):
        """
        @return: an organization's (or a project's) artifact bundles, newest first.
        """

    def bundle(organization_id, bundle_id, project_id=None):
        """
        @raise sentry_fake.errors.NotFound: no such bundle.
        """

    def release_files(organization_id, version, project_ids=None):
        """
        @return: the (bundle, file, dist) artifacts of a release, by name.
        """

    def release_file(organization_id, version, file_id, project_ids=None):
        """
        @raise sentry_fake.errors.NotFound: the release has no such file.
        """

    def debug_files(project_id, query=None, debug_id=None, code_id=None, file_formats=()):
        """
        @return: a project's debug files, newest first, filtered as Sentry filters them.
        """

    def debug_file(project_id, dif_id):
        """
        @raise sentry_fake.errors.NotFound: the project has no such debug file.
        """


class IWrites(Interface):
    """
    The only way to change the store: one method per change record
    (L{sentry_fake.store.records}).  Each checks the record against the state, commits it to
    the journal, then applies it; a record that is refused (or cannot be committed) changes
    nothing.

    Every method raises L{sentry_fake.errors.StorageFull} or
    L{sentry_fake.errors.StorageUnavailable} when its record cannot be committed.
    """

    def reset(record):
        """
        Go back to the seed a L{Reset} names.
        """

    def ingest(record):
        """
        Keep what one ingest request brought (an L{Ingested}).

        @return: an L{sentry_fake.store.writes.Accepted}: the events and items it holds.
        """

    def create_project(record):
        """
        @return: the new L{Project}, with its default key.
        @raise sentry_fake.errors.Conflict: the slug is taken.
        """

    def change_project(record):
        """
        @raise sentry_fake.errors.Invalid: the new slug is another project's.
        """

    def delete_project(record):
        """
        Forget a project with its keys, issues and events.
        """

    def create_team(record):
        """
        @raise sentry_fake.errors.Conflict: the slug is taken.
        """

    def change_team(record):
        """
        @raise sentry_fake.errors.Invalid: the new slug is another team's.
        """

    def delete_team(record):
        """
        Forget a team (its projects stay).
        """

    def create_key(record):
        """
        @raise sentry_fake.errors.Conflict: the public key is taken.
        """

    def change_key(record):
        """
        Rename, (de)activate or rate-limit a client key.
        """

    def delete_key(record):
        """
        Forget a client key.
        """

    def change_issues(record):
        """
        @return: the changed issues.
        """

    def delete_issues(record):
        """
        Forget issues and their events.
        """

    def add_note(record):
        """
        @return: the note, an activity of its issue.
        """

    def change_note(record):
        """
        @raise sentry_fake.errors.NotFound: the issue has no such note.
        """

    def delete_note(record):
        """
        @raise sentry_fake.errors.NotFound: the issue has no such note.
        """

    def create_release(record):
        """
        @return: a L{sentry_fake.store.release_models.Creation}.
        """

    def change_release(record):
        """
        @return: the changed L{Release}.
        """

    def delete_release(record):
        """
        @raise sentry_fake.errors.Invalid: issues were first seen in the release.
        """

    def create_deploy(record):
        """
        @return: the new L{Deploy}.
        """

    def create_repository(record):
        """
        @raise sentry_fake.errors.Conflict: the name is taken.
        """

    def upload_code_mappings(record):
        """
        Map a project's stack trace roots to source roots of a repository (created when the
        organization has none of that name).

        @return: each (L{CodeMapping}, created) in the order of the record's mappings.
        @raise sentry_fake.errors.NotFound: no such project, or the repository of that name is
            of another provider.
        """

    def change_monitor(record):
        """
        @raise sentry_fake.errors.Invalid: the new slug is another monitor's.
        """

    def delete_monitor(record):
        """
        Forget a monitor, or some of its environments.
        """

    def upload_chunks(record):
        """
        Keep uploaded chunks until a bundle or debug file is assembled from them.
        """

    def assemble_bundle(record):
        """
        @return: the L{sentry_fake.store.upload_models.AssembleAnswer}.
        """

    def assemble_debug_files(record):
        """
        @return: an L{AssembleAnswer} per checksum.
        """

    def delete_debug_file(record):
        """
        Forget a debug file.
        """

    def track_outcomes(record):
        """
        Count what became of data the store was not given (an L{OutcomesTracked}: requests
        rate limited or refused).

        @raise sentry_fake.errors.NotFound: no such project.
        """


class IOutcomes(Interface):
    """
    What became of the data sent to each project, as Sentry's usage stats count it: outcomes
    (C{accepted}, C{filtered}, C{rate_limited}, C{invalid}, C{client_discard}) of each data
    category, counted per minute.
    """

    def counts(start, end, organization_id, project_ids=None):
        """
        @return: the L{sentry_fake.store.outcomes.OutcomeCount}s of an organization's minutes
            from C{start} (included) to C{end} (excluded), epoch seconds, oldest first; of some
            projects only when C{project_ids} is given.
        """


class IJournal(Interface):
    """
    Where the store commits its change records before it applies them.
    """

    def append(seq, record):
        """
        Commit one record under its sequence number, before it is applied; a L{Reset} first
        forgets everything committed before it.

        @raise sentry_fake.errors.StorageFull: there is no room for it (nothing is committed).
        @raise sentry_fake.errors.StorageUnavailable: it could not be committed otherwise.
        """


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
        @return: the time, from the clock the store was given (what new records carry).
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

    def answer(request):
        """
        Answer any ingest request (with an injected fault, if the fault plan draws one).

        @return: the response body, or C{NOT_DONE_YET}.
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
