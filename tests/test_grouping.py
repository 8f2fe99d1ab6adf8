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
    # {{ default }} stands for the values of the default grouping (without its strategy name).
    assert components(split_a)[1:-1] == components(exception_event())[1:]


def test_fingerprint_variables():
    event = exception_event(fingerprint=["{{ type }}", "{{ transaction }}"], transaction="/home")
    assert components(event) == ["fingerprint", "ValueError", "/home"]
    assert components({"fingerprint": ["{{ tags.tenant }}"], "tags": {"tenant": "t1"}}) == \
        ["fingerprint", "t1"]


# What Sentry's newstyle:2023-01-11 grouping does beyond the basics above.

def py_frame(function, context, lineno=1, module="app.logic", in_app=True, **extra):
    return {"module": module, "function": function, "context_line": context, "lineno": lineno,
            "in_app": in_app, **extra}


def test_source_lines_count_for_python_and_javascript_but_line_numbers_do_not():
    def event(frame, platform="python"):
        return exception_event(frames=[frame], platform=platform)

    first = event(py_frame("compute", "return a / b", lineno=10))
    assert grouping_hash(first) == grouping_hash(event(py_frame("compute", "return  a / b", 99)))
    assert grouping_hash(first) != grouping_hash(event(py_frame("compute", "return a // b", 10)))
    # Platforms without trustworthy sources group by module and function only.
    assert grouping_hash(event(py_frame("compute", "x"), "java")) == \
        grouping_hash(event(py_frame("compute", "y"), "java"))
    # Source lines over 120 characters are ignored.
    assert grouping_hash(event(py_frame("compute", "x" * 121))) == \
        grouping_hash(event(py_frame("compute", "y" * 121)))


def test_frames_without_a_function_group_by_file_and_never_by_line_number():
    def event(filename, lineno):
        return exception_event(frames=[{"filename": filename, "lineno": lineno, "in_app": True}])

    assert grouping_hash(event("/srv/app/Main.py", 1)) == grouping_hash(event("/opt/x/main.py", 2))
    assert grouping_hash(event("main.py", 1)) != grouping_hash(event("other.py", 1))


def test_javascript_frames():
    def event(*frames, platform="javascript"):
        return exception_event(exc_type="TypeError", frames=list(frames), platform=platform)

    def frame(function, abs_path, **extra):
        return {"function": function, "abs_path": abs_path, "filename": abs_path.rsplit("/")[-1],
                "in_app": True, **extra}

    # Files served from URLs do not count (bundle names change with every deploy) ...
    assert grouping_hash(event(frame("render", "https://a.example/app.1f2e.js"))) == \
        grouping_hash(event(frame("render", "https://b.example/app.9c8d.js")))
    # ... and methods group by their own name, whatever object they were called on.
    assert grouping_hash(event(frame("Object.render", "https://a.example/a.js"))) == \
        grouping_hash(event(frame("Widget.render", "https://a.example/a.js")))
    # Anonymous functions do not count, their file does.
    assert grouping_hash(event(frame("?", "/srv/a.js"), frame("main", "/srv/m.js"))) == \
        grouping_hash(event(frame("<anonymous>", "/srv/a.js"), frame("main", "/srv/m.js")))
    # eval and native code frames are left out.
    assert grouping_hash(event(frame("eval", "/srv/x.js"), frame("main", "/srv/m.js"))) == \
        grouping_hash(event(frame("main", "/srv/m.js")))


def test_library_frames_are_never_in_app_and_task_queue_frames_never_count():
    def event(library_path, extra=()):
        return exception_event(platform="node", frames=[
            *extra,
            {"filename": library_path, "function": "handle", "in_app": True},
            {"filename": "/srv/app/index.js", "module": "index", "function": "main",
             "in_app": True}])

    assert grouping_hash(event("/srv/node_modules/express/router.js")) == \
        grouping_hash(event("/srv/node_modules/koa/router.js"))
    tick = {"function": "processTicksAndRejections",
            "filename": "node:internal/process/task_queues"}
    assert grouping_hash(event("/srv/node_modules/a.js", [tick])) == \
        grouping_hash(event("/srv/node_modules/a.js"))


def test_recursive_frames_count_once():
    call = py_frame("walk", None, lineno=3)
    assert grouping_hash(exception_event(frames=[call, call, call])) == \
        grouping_hash(exception_event(frames=[call]))


def test_the_exception_value_only_counts_without_a_stack_trace_and_is_parameterized():
    assert grouping_hash(exception_event(value="order 17 not found", frames=[])) == \
        grouping_hash(exception_event(value="order 42 not found", frames=[]))
    assert grouping_hash(exception_event(value="no such user 9f1c6a2e-12ab-4cde-8f00-1234567890ab",
                                         frames=[])) == \
        grouping_hash(exception_event(value="no such user 0b7e2c11-9f3d-4a5b-8c6d-0123456789ef",
                                      frames=[]))
    # A missing type is read from a "Type: value" value, as Relay does.
    assert grouping_hash({"exception": {"values": [{"value": "KeyError: 'x'"}]}}) == \
        grouping_hash({"exception": {"values": [{"type": "KeyError", "value": "'x'"}]}})


def test_a_synthetic_exception_groups_by_its_stack_trace_not_its_type():
    def event(exc_type):
        event = exception_event(exc_type=exc_type)
        event["exception"]["values"][0]["mechanism"] = {"type": "generic", "synthetic": True}
        return event

    assert grouping_hash(event("SIGSEGV")) == grouping_hash(event("SIGBUS"))


def test_in_chains_an_exception_without_in_app_frames_groups_by_type_and_value():
    def chained(cause_value, cause_function):
        event = exception_event()
        event["exception"]["values"].insert(0, {
            "type": "OSError", "value": cause_value, "stacktrace": {"frames": [
                {"module": "socket", "function": cause_function, "in_app": False}]}})
        return event

    assert grouping_hash(chained("refused", "connect")) == \
        grouping_hash(chained("refused", "create_connection"))
    assert grouping_hash(chained("refused", "connect")) != \
        grouping_hash(chained("timed out", "connect"))


def test_an_exception_group_of_one_kind_groups_like_that_exception():
    inner = {"type": "ValueError", "value": "bad",
             "stacktrace": {"frames": [py_frame("parse", "int(x)")]}}

    def member(exception_id, parent_id=None, group=False, **value):
        mechanism = {"type": "chained", "exception_id": exception_id,
                     "is_exception_group": group}
        if parent_id is not None:
            mechanism["parent_id"] = parent_id
        return {**value, "mechanism": mechanism}

    group = {"exception": {"values": [
        member(2, 0, **inner), member(1, 0, **inner),
        member(0, group=True, type="ExceptionGroup", value="2 errors",
               stacktrace={"frames": [py_frame("main", "run()")]})]}}
    assert grouping_hash(group) == grouping_hash({"exception": {"values": [inner]}})


def test_messages_are_parameterized_and_trimmed_to_two_lines():
    assert grouping_hash({"message": "mail to ann@example.com failed after 1.5s"}) == \
        grouping_hash({"message": "mail to bob@example.org failed after 2.25s"})
    assert grouping_hash({"message": "GET https://a.example/x?id=1 took 30ms"}) == \
        grouping_hash({"message": "GET https://b.example/y took 45ms"})
    assert grouping_hash({"message": "first\nsecond\nthird"}) == \
        grouping_hash({"message": "first\n\nsecond\nfourth"})
    # Templates are parameterized too.
    assert grouping_hash({"logentry": {"message": "retry %s of 3", "params": [1]}}) == \
        grouping_hash({"logentry": {"message": "retry %s of 5", "params": [1]}})


def test_hashes_are_sentrys_md5_of_the_values():
    import hashlib

    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()

    assert grouping_hash({"message": "hello 42"}) == md5("hello <int>")
    assert grouping_hash({"fingerprint": ["db", "down"]}) == md5("dbdown")
    # So a custom fingerprint and a message with the same text are one issue, as on sentry.io.
    assert grouping_hash({"fingerprint": ["db-down"]}) == grouping_hash({"message": "db-down"})
    assert grouping_hash({}) == md5("")
    assert grouping_hash({"checksum": "0" * 32}) == "0" * 32
    assert grouping_hash({"checksum": "v1"}) == md5("v1")


def test_fingerprint_entries():
    event = exception_event()
    assert grouping_hash({**event, "fingerprint": ["{{ default }}"]}) == grouping_hash(event)
    assert grouping_hash({**event, "fingerprint": ["{{default}}"]}) == grouping_hash(event)
    # Only a whole entry is a variable; unknown variables stay as written.
    assert components({**event, "fingerprint": [" {{ type }}", "{{ nope }}"]}) == \
        ["fingerprint", " {{ type }}", "{{ nope }}"]
    message = {"logentry": {"message": "user %s", "params": ["ann"]}, "level": "warning",
               "fingerprint": ["{{ message }}", "{{ level }}", "{{ tags.environment }}",
                               "{{ tags.missing }}"], "environment": "prod"}
    assert components(message)[1:] == ["user ann", "warning", "prod", "<no-value-for-tag-missing>"]
    assert components({**event, "fingerprint": ["{{ function }}", "{{ module }}",
                                                "{{ stack.filename }}"]})[1:] == \
        ["compute", "app.logic", "<no-filename>"]
    # Salting a grouping that has nothing to group by still ends in the fallback group.
    assert grouping_hash({"fingerprint": ["{{ default }}", "a"]}) == grouping_hash({})


def test_javascript_chunk_load_errors_are_one_issue():
    first = exception_event(exc_type="ChunkLoadError", value="Loading chunk 7 failed.",
                            platform="javascript")
    second = exception_event(exc_type="ChunkLoadError", value="Loading chunk 12 failed.",
                             frames=[py_frame("other", "load()")], platform="javascript")
    assert components(first) == ["fingerprint", "chunkloaderror"]
    assert grouping_hash(first) == grouping_hash(second)
    assert components({**first, "platform": "python"})[0] == "exception"


def test_threads_group_by_the_one_crashed_thread():
    def event(*threads):
        return {"threads": {"values": list(threads)}}

    crashed = {"crashed": True, "stacktrace": {"frames": [py_frame("boom", None)]}}
    idle = {"stacktrace": {"frames": [py_frame("sleep", None)]}}
    other_idle = {"stacktrace": {"frames": [py_frame("poll", None)]}}
    assert grouping_hash(event(crashed, idle)) == grouping_hash(event(crashed, other_idle))
    assert components(event(idle, other_idle))[0] == "fallback"


def test_javascript_file_names_lose_their_query_string():
    def event(filename):
        return exception_event(platform="javascript", frames=[
            {"filename": filename, "abs_path": "/srv/" + filename, "function": "go",
             "in_app": True}])

    assert grouping_hash(event("App.js?v=1")) == grouping_hash(event("app.js?v=2"))


def test_pathological_messages_group_without_running_away():
    # Runs of digits, dotted labels, e-mail-like and date-like text once made the message
    # patterns backtrack for minutes; each must still group like its shorter self.
    for unit, count in (("1", 40000), ("x.", 20000), ("a", 40000), ("datetime.datetime(", 4000),
                        ("-1", 20000), ("1.1.", 10000), ("12:", 10000)):
        text = unit * count
        # Relay cuts messages at 8192 characters before grouping sees them.
        assert components({"message": text}) == components({"message": text[:8192]})
        assert grouping_hash({"message": text}) != grouping_hash({"message": text[:100]})


def test_without_in_app_frames_sentry_keeps_a_type_and_value_hash_too():
    from sentry_fake.store.grouping import grouping_hashes

    lib_a = [{"module": "lib", "function": "a", "in_app": False}]
    lib_b = [{"module": "lib", "function": "b", "in_app": False}]
    first = grouping_hashes(exception_event(frames=lib_a))
    second = grouping_hashes(exception_event(frames=lib_b))
    # The app variant (type and value) is shared; the system variant (the frames) is not.
    assert first[0] == second[0] and first[1] != second[1]
    assert first[1] == grouping_hash(exception_event(frames=lib_a))
    other_value = grouping_hashes(exception_event(value="worse", frames=lib_a))
    assert other_value[0] != first[0]
    # With in-app frames there is one variant, one hash.
    assert grouping_hashes(exception_event()) == [grouping_hash(exception_event())]


def test_errors_without_in_app_frames_group_by_type_and_value(store):
    from records import ingest

    for function in ("a", "b"):
        ingest(store, exception_event(frames=[{"module": "lib", "function": function,
                                               "in_app": False}]))
    # Another value through other frames: neither variant is shared.
    ingest(store, exception_event(value="worse", frames=[
        {"module": "lib", "function": "c", "in_app": False}]))
    issues = store.issues(store.directory.projects_of())
    assert sorted(issue.times_seen for issue in issues) == [1, 2]
    merged = next(issue for issue in issues if issue.times_seen == 2)
    assert len(merged.hashes) == 3  # the shared one and each system variant
