"""
The size limits every surface honours, with Sentry's defaults.
"""

import attrs

MiB = 1024 * 1024


@attrs.frozen
class Limits:
    #: A request body as it arrives on the wire (compressed or not).
    request_body: int = 20 * MiB
    #: An envelope after its content encoding is undone.
    envelope: int = 100 * MiB
    #: One event, transaction or span item, and a store endpoint body after decoding.
    event: int = 1 * MiB
    #: One check-in item.
    check_in: int = 100 * 1024
    #: One attachment item.
    attachment: int = 100 * MiB
    #: Session updates in one envelope.
    sessions: int = 100
    #: A management API request body.
    api_body: int = 20 * MiB
    #: Projects lenient ingest creates on first use, at most; beyond, unknown ids are refused.
    first_use_projects: int = 100
    #: Client keys lenient ingest adds to a project on first use, at most; beyond, an unknown
    #: key is still accepted, only not kept.
    first_use_keys: int = 100
