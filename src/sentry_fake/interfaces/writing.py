"""
The one way the store is written: a method per change record (L{IWrites}), each committed to
the journal (L{IJournal}) before it is applied.
"""

from zope.interface import Attribute, Interface


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

    def ingest_soon(record):
        """
        Keep what one ingest request brought, as L{ingest} does, or commit it with the other
        records of this turn of the reactor, in one transaction of the journal, and apply it
        then: the way a request that waits for its answer is answered sooner, under load, from
        a journal on disk.

        @return: an L{sentry_fake.store.writes.Accepted}, or a L{Deferred} of one (which fails
            as L{ingest} would raise, having kept nothing), fired once the record is committed
            and applied.
        @raise sentry_fake.errors.SentryFakeError: it is refused, as by L{ingest}.
        """

    def flush():
        """
        Commit and apply the records L{ingest_soon} left for the end of the turn, now (every
        other write does this first, and so must whatever reads the state as the journal
        has it).
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

    groups = Attribute(
        "Whether it can commit records in groups (L{stage} and L{commit_group}).")

    def stage(seq, record):
        """
        Write one record, as L{append} does, into the group that the next L{commit_group}
        commits (an L{sentry_fake.store.records.Ingested} without a project or key created).

        @raise sentry_fake.errors.StorageFull: there is no room for it; nothing of the group
            is committed, and it is over.
        @raise sentry_fake.errors.StorageUnavailable: it could not be written otherwise (the
            same).
        """

    def commit_group():
        """
        Commit the records written by L{stage} since the last group, all or none.

        @raise sentry_fake.errors.StorageFull: there is no room for them (none is committed).
        @raise sentry_fake.errors.StorageUnavailable: they could not be committed otherwise.
        """

    def payloads_left(seq, record):
        """
        Where the journal keeps the payloads of an L{sentry_fake.store.records.Ingested}
        record it has just committed under C{seq}, so that the store need not hold them too.

        @return: a handle to each payload (with C{load()} and C{len()}), by the C{id} of its
            bytes in the record; an empty mapping from a journal that keeps none.
        """
