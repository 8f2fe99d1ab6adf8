"""
The roles of the store's other books: releases, cron monitors, traces (spans, logs, metrics,
replays and profiles), uploads and outcomes.
"""

from zope.interface import Attribute, Interface


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

    def logs_of_severity(project_id, severity):
        """
        @return: a project's log entries of one severity (lower case: C{error}), oldest first.
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

    def ahead(kind):
        """
        @return: the most that the time of any span (its end), log entry or metric point
            (C{kind}: C{spans}, C{logs}, C{metrics}) kept so far was ahead of its arrival
            (C{-inf} before the first): the time of an entry is at most its arrival plus this.
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
