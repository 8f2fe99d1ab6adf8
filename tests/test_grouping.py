"""
Grouping as a pure function of the payload.
"""

from sentry_fake.store.grouping import components, grouping_hash


def exception_event(exc_type="ValueError", value="bad", frames=None, **extra):
    frames = frames if frames is not None else [
        {"module": "app.views", "function": "handler", "lineno": 10, "in_app": True},
        {"module": "app.logic", "function": "compute", "lineno": 20, "in_app": True},
    ]
    event = {"exception": {"values": [{"type": exc_type, "value": value,
                                       "stacktrace": {"frames": frames}}]}}
    event.update(extra)
    return event


def test_same_call_site_with_different_messages_is_one_group():
    assert grouping_hash(exception_event(value="id 1 missing")) == \
        grouping_hash(exception_event(value="id 2 missing"))


def test_two_call_sites_are_two_groups():
    other = [{"module": "app.views", "function": "other_handler", "in_app": True},
             {"module": "app.logic", "function": "compute", "in_app": True}]
    assert grouping_hash(exception_event()) != grouping_hash(exception_event(frames=other))


def test_line_numbers_do_not_matter_when_the_function_is_known():
    moved = [{"module": "app.views", "function": "handler", "lineno": 99, "in_app": True},
             {"module": "app.logic", "function": "compute", "lineno": 77, "in_app": True}]
    assert grouping_hash(exception_event()) == grouping_hash(exception_event(frames=moved))


def test_only_in_app_frames_count_when_there_are_some():
    with_lib = [{"module": "django.core", "function": "dispatch", "in_app": False},
                {"module": "app.views", "function": "handler", "lineno": 10, "in_app": True},
                {"module": "app.logic", "function": "compute", "lineno": 20, "in_app": True}]
    assert grouping_hash(exception_event()) == grouping_hash(exception_event(frames=with_lib))


def test_no_in_app_frames_uses_all_frames():
    lib_a = [{"module": "lib", "function": "a", "in_app": False}]
    lib_b = [{"module": "lib", "function": "b", "in_app": False}]
    assert grouping_hash(exception_event(frames=lib_a)) != grouping_hash(exception_event(frames=lib_b))


def test_without_a_stack_trace_type_and_value_decide():
    assert grouping_hash(exception_event(value="a", frames=[])) != \
        grouping_hash(exception_event(value="b", frames=[]))
    assert grouping_hash(exception_event(value="a", frames=[])) == \
        grouping_hash(exception_event(value="a", frames=[]))


def test_chained_exceptions_all_contribute():
    cause = {"type": "KeyError", "value": "x",
             "stacktrace": {"frames": [{"module": "app", "function": "load", "in_app": True}]}}
    plain = exception_event()
    chained = exception_event()
    chained["exception"]["values"].insert(0, cause)
    assert grouping_hash(plain) != grouping_hash(chained)


def test_message_events_with_numbers_group_together():
    assert grouping_hash({"message": "took 120 ms for user 7"}) == \
        grouping_hash({"message": "took 98 ms for user 3"})
    assert grouping_hash({"message": "cache miss"}) != grouping_hash({"message": "cache hit"})


def test_message_templates_group_by_template():
    first = {"logentry": {"message": "user %s logged in", "params": ["a"], "formatted": "user a logged in"}}
    second = {"logentry": {"message": "user %s logged in", "params": ["b"], "formatted": "user b logged in"}}
    assert grouping_hash(first) == grouping_hash(second)


def test_fingerprint_merges_and_splits():
    merged_a = exception_event(exc_type="A", fingerprint=["database-down"])
    merged_b = {"message": "other", "fingerprint": ["database-down"]}
    assert grouping_hash(merged_a) == grouping_hash(merged_b)
    split_a = exception_event(fingerprint=["{{ default }}", "tenant-a"])
    split_b = exception_event(fingerprint=["{{ default }}", "tenant-b"])
    assert grouping_hash(split_a) != grouping_hash(split_b)
    assert components(split_a)[1:-1] == components(exception_event())


def test_fingerprint_variables():
    event = exception_event(fingerprint=["{{ type }}", "{{ transaction }}"], transaction="/home")
    assert components(event) == ["fingerprint", "ValueError", "/home"]
    assert components({"fingerprint": ["{{ tags.tenant }}"], "tags": {"tenant": "t1"}}) == \
        ["fingerprint", "t1"]
