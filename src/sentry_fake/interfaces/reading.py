"""
The roles the store is read through: its directory of organizations, teams, projects and keys;
its event log; its issues.
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

    def latest_event(issue_id, keep=None):
        """
        @return: the issue's stored event of the latest time (its own, not when it arrived)
            that C{keep(event)} keeps, or C{None}; of events of one time, the last to arrive.
        """

    def oldest_event(issue_id, keep=None):
        """
        @return: the issue's stored event of the earliest time that C{keep(event)} keeps, or
            C{None}; of events of one time, the first to arrive.
        """

    def latest_events(count, keep=None, project_id=None, issue_id=None):
        """
        @return: the C{count} stored events of the latest times that C{keep(event)} keeps, of
            one project, one issue or all, latest first (of events of one time, the last to
            arrive first): Sentry's order of an events list.
        """

    def event_time_bounds():
        """
        @return: (ahead, behind): the most that the time of any event kept so far was after its
            arrival, and before it, in seconds (C{-inf} before the first event).
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
        Call C{callback(record)} with every event and captured item stored from now on, and
        every span and log entry the trace book keeps (a watcher tells them apart by type).
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
