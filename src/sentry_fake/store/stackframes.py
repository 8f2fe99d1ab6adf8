"""
Stack frames as Sentry reads them: which frames are in-app, what a frame contributes to grouping,
which frame is "the crash", and the culprit derived from it.

In-app: the SDK's C{in_app} flag (missing means not in-app), overridden by the part of Sentry's
built-in stack trace rules that applies to server and browser SDKs (library directories such as
C{node_modules} and C{site-packages} are never in-app; transpiler helpers and Node's task queue
plumbing are neither in-app nor part of grouping).

A frame groups by its module (or, without one, the lower-cased base name of its file), its
function and, for JavaScript, Node, Python, PHP and Ruby, its source line with whitespace
collapsed.  Line numbers never count.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

JS_FAMILY = frozenset({"javascript", "node"})
NATIVE_FAMILY = frozenset({"objc", "cocoa", "swift", "native", "c"})
CONTEXT_LINE_PLATFORMS = frozenset({"javascript", "node", "python", "php", "ruby"})
MAX_CULPRIT_LENGTH = 200

# Paths (abs_path or filename) whose frames are never in-app.
_SYSTEM_PATH = re.compile(
    r"(?:^|[/\\])(?:node_modules|site-packages|dist-packages|vendor|\.local[/\\]share"
    r"|go[/\\]pkg[/\\]mod)[/\\]"
    r"|https://(?:unpkg\.com|cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net|esm\.run)/"
    r"|^/usr/local/(?:lib|cellar)/|newrelic|logrocket", re.IGNORECASE)
# ... and those that are neither in-app nor part of grouping.
_NOISE_PATH = re.compile(r"newrelic|logrocket", re.IGNORECASE)
_SYSTEM_PACKAGE_PREFIXES = ("/lib/", "/usr/lib/")
_NOISE_MODULE_PREFIXES = ("@babel/", "core-js/", "regenerator-runtime/", "tslib/", "io.sentry.")
_SYSTEM_MODULE_PREFIXES = _NOISE_MODULE_PREFIXES + (
    "unpkg/", "kotlin.", "kotlinx.", "io.ktor.", "io.netty.", "akka.", "com.fasterxml.",
    "com.microsoft.", "com.sun.", "feign.", "io.opentelemetry.", "jdk.", "oauth.", "org.apache.",
    "org.glassfish.", "org.jboss.", "org.jdesktop.", "org.postgresql.", "org.springframework.",
    "org.web3j.", "reactor.core.", "scala.", "sun.")
_ANY_MODULE_PREFIX = _SYSTEM_MODULE_PREFIXES + ("newrelic",)
_NOISE_FUNCTIONS = frozenset({"runMicrotasks", "queueMicrotask", "processTicksAndRejections",
                              "runNextTicks", "nextTick"})
_UNKNOWN_JS_FUNCTIONS = frozenset({"?", "<anonymous function>", "<anonymous>",
                                   "Anonymous function"})
_LOW_QUALITY_JS_PATHS = frozenset({"[native code]", "native code", "eval code", "<anonymous>"})
_RUBY_ERB_SUFFIX = re.compile(r"__\d{4,}_\d{4,}$")
_BASENAME = re.compile(r"[/\\]")
_RECURSION_FIELDS = ("abs_path", "package", "module", "filename", "colno")
# Platforms whose function names group as they are.
_PLAIN_FUNCTION_PLATFORMS = frozenset({"python", "go", "dart", "elixir", "perl", "other"})
_NOT_IN_APP, _NOISE = 1, 2
# Paths seen before, and what the rules say of them (the same files come back event after event).
_PATH_VERDICTS: dict[str, int] = {}
_MAX_PATH_VERDICTS = 20_000
_KEY_FIELDS = ("platform", "module", "filename", "abs_path", "function", "raw_function",
               "context_line", "package", "in_app", "lineno", "colno")
# Stack traces seen before, and their grouping values in both variants: the same code paths fail
# event after event.
_SUMMARIES: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_MAX_SUMMARIES = 2_048


def has_url_origin(path: object, files_count_as_urls: bool) -> bool:
    if not isinstance(path, str) or not path:
        return False
    if path.startswith(("http:", "https:", "applewebdata:", "blob:")):
        return True
    return files_count_as_urls and path.startswith("file:")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _path_verdict(path: str) -> int:
    verdict = _PATH_VERDICTS.get(path)
    if verdict is None:
        verdict = (_NOT_IN_APP if _SYSTEM_PATH.search(path) else 0) \
            | (_NOISE if _NOISE_PATH.search(path) else 0)
        if len(_PATH_VERDICTS) >= _MAX_PATH_VERDICTS:
            _PATH_VERDICTS.clear()
        _PATH_VERDICTS[path] = verdict
    return verdict


def _verdict(frame: dict[str, Any]) -> int:
    """
    What the built-in rules say of a frame: C{_NOT_IN_APP} and C{_NOISE} bits.
    """
    get = frame.get
    path = get("abs_path") or get("filename")
    verdict = 0
    if path and type(path) is str:
        verdict = _PATH_VERDICTS.get(path)
        if verdict is None:
            verdict = _path_verdict(path)
    module = get("module")
    if module and type(module) is str and module.startswith(_ANY_MODULE_PREFIX):
        if module.startswith(_NOISE_MODULE_PREFIXES) or module == "newrelic":
            return _NOT_IN_APP | _NOISE
        if module.startswith(_SYSTEM_MODULE_PREFIXES):
            verdict |= _NOT_IN_APP
    function = get("function")
    if type(function) is str and function in _NOISE_FUNCTIONS:
        return _NOT_IN_APP | _NOISE
    package = get("package")
    if package and type(package) is str and package.startswith(_SYSTEM_PACKAGE_PREFIXES):
        verdict |= _NOT_IN_APP
    return verdict


def is_in_app(frame: dict[str, Any]) -> bool:
    """
    Whether Sentry treats a frame as in-app: the SDK says so (missing means no) and no built-in
    rule says otherwise.
    """
    return frame.get("in_app") is True and not _verdict(frame) & _NOT_IN_APP


def in_app_mix(stacks: Iterable[list[dict[str, Any]]]) -> str | None:
    """
    C{in-app-only}, C{system-only} or C{mixed} over all stack traces that have frames.
    """
    kinds = set()
    for frames in stacks:
        if frames:
            flags = set(map(is_in_app, frames))
            kinds.add("mixed" if len(flags) == 2 else
                      "in-app-only" if True in flags else "system-only")
    if not kinds:
        return None
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _function_value(function: str | None, platform: str | None,
                    sourcemapped: bool, context_counts: bool) -> str | None:
    if not function:
        return None
    if platform == "ruby":
        return "block" if function.startswith("block ") else _RUBY_ERB_SUFFIX.sub("", function)
    if platform == "php":
        if function.startswith(("[Anonymous", "class@anonymous\x00")):
            return None
        if function.startswith("class@anonymous"):
            return function.rsplit("::", 1)[-1]
        return function
    if platform == "java":
        return None if function.startswith("lambda$") else function
    if platform in NATIVE_FAMILY:
        return None if function in ("<redacted>", "<unknown>") else function
    if platform in JS_FAMILY:
        short = function.rsplit(".", 1)[-1]
        if not short or short in _UNKNOWN_JS_FUNCTIONS or short.endswith("/<"):
            return None
        if sourcemapped and context_counts:
            return None
        return short
    return function


def frame_values(frame: dict[str, Any], event_platform: str | None) -> tuple[str, ...]:
    """
    The values a frame contributes to grouping, in Sentry's order (module or file name, function,
    source line); empty when the frame does not contribute.
    """
    get = frame.get
    platform = get("platform")
    if not (platform and isinstance(platform, str)):
        platform = event_platform
    abs_path = get("abs_path")
    function = get("function")
    has_function = bool(function)
    raw_function = _text(get("raw_function"))
    if platform == "csharp":
        # Sentry groups C# frames by the raw (untrimmed) function name.
        function = raw_function or _text(function)
    else:
        function = _text(function) or raw_function
    js = platform in JS_FAMILY
    if js:
        raw = raw_function or function
        if (raw and raw.rsplit(".", 1)[-1] == "eval") or abs_path in _LOW_QUALITY_JS_PATHS:
            return ()
    values: list[str] = []
    module = get("module")
    if module and isinstance(module, str) and not (
            platform == "javascript" and "/" in module and isinstance(abs_path, str)
            and abs_path.endswith(module)):
        values.append(module)
    else:
        filename = get("filename")
        if isinstance(filename, str):
            if platform == "javascript" and "?" in filename:
                filename = filename.split("?", 1)[0]  # versioned assets: app.js?v=3
            base = _BASENAME.split(filename)[-1].lower()
            if base and base not in ("<anonymous>", "[native code]") \
                    and not has_url_origin(abs_path, files_count_as_urls=False):
                values.append(base)
    context = None
    raw_line = get("context_line")
    if raw_line and platform in CONTEXT_LINE_PLATFORMS and isinstance(raw_line, str):
        line = " ".join(raw_line.split())
        if line and len(raw_line) <= 120 and not (
                js and not has_function and has_url_origin(abs_path, True)):
            context = line
    if function:
        if platform in _PLAIN_FUNCTION_PLATFORMS:
            values.append(function)
        else:
            data = get("data")
            sourcemapped = isinstance(data, dict) and data.get("sourcemap") is not None
            function = _function_value(function, platform, sourcemapped, context is not None)
            if function:
                values.append(function)
    if context:
        values.append(context)
    return tuple(values)


def _repeats(frame: dict[str, Any], previous: dict[str, Any] | None) -> bool:
    # A frame just like the one before it is a recursive call, and counts once.
    return previous is not None and frame.get("lineno") == previous.get("lineno") \
        and frame.get("function") == previous.get("function") \
        and all(frame.get(key) == previous.get(key) for key in _RECURSION_FIELDS)


def _lone_url_frame(frames: list[dict[str, Any]], event_platform: str | None) -> bool:
    # A lone JavaScript frame without a function, from a URL, says too little to group by.
    frame = frames[0]
    return len(frames) == 1 and (_text(frame.get("platform")) or event_platform) in JS_FAMILY \
        and not frame.get("function") and has_url_origin(frame.get("abs_path"), True)


def _variant(frames: list[dict[str, Any]], event_platform: str | None,
             in_app_only: bool) -> tuple[str, ...] | None:
    found: list[str] = []
    previous = None
    for frame in frames:
        if in_app_only and frame.get("in_app") is not True:
            previous = frame
            continue
        verdict = _verdict(frame)
        if not (verdict & _NOISE or (in_app_only and verdict & _NOT_IN_APP)
                or _repeats(frame, previous)):
            found.extend(frame_values(frame, event_platform))
        previous = frame
    if found and _lone_url_frame(frames, event_platform):
        return None
    return tuple(found) or None


def _summarize(frames: list[dict[str, Any]], event_platform: str | None
               ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    return _variant(frames, event_platform, True), _variant(frames, event_platform, False)


def _summary(frames: list[dict[str, Any]], event_platform: str | None
             ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    sourcemaps = tuple(_sourcemapped(frame) for frame in frames) \
        if any("data" in frame for frame in frames) else None
    key = (event_platform, sourcemaps, *(tuple(map(frame.get, _KEY_FIELDS)) for frame in frames))
    try:
        found = _SUMMARIES.get(key)
    except TypeError:  # something unhashable where a string or number belongs
        return _summarize(frames, event_platform)
    if found is None:
        found = _summarize(frames, event_platform)
        if len(_SUMMARIES) >= _MAX_SUMMARIES:
            _SUMMARIES.clear()
        _SUMMARIES[key] = found
    return found


def _sourcemapped(frame: dict[str, Any]) -> bool:
    data = frame.get("data")
    return isinstance(data, dict) and data.get("sourcemap") is not None


def app_values(frames: list[dict[str, Any]], event_platform: str | None
               ) -> tuple[str, ...] | None:
    """
    The grouping values of a stack trace's in-app frames, or C{None} if they contribute nothing.
    """
    return _summary(frames, event_platform)[0] if frames else None


def system_values(frames: list[dict[str, Any]], event_platform: str | None
                  ) -> tuple[str, ...] | None:
    """
    The grouping values of all frames of a stack trace, or C{None} if they contribute nothing.
    """
    return _summary(frames, event_platform)[1] if frames else None


def stack_values(frames: list[dict[str, Any]], event_platform: str | None
                 ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """
    The grouping values of a stack trace for Sentry's two variants: in-app frames only, and all
    frames.  Each is C{None} when that variant's stack trace does not contribute.
    """
    return app_values(frames, event_platform), system_values(frames, event_platform)


def crash_frame(payload: dict[str, Any], frames_of_last: list[dict[str, Any]],
                with_function: bool = False) -> dict[str, Any] | None:
    """
    The frame closest to the crash: the last in-app frame of the last exception (or of the event's
    stack trace, or of its only thread), else its last frame.  With C{with_function}, frames
    without a usable function name are passed over.
    """
    frames = frames_of_last or stack_frames(payload.get("stacktrace"))
    if not frames:
        threads = payload.get("threads")
        values = threads.get("values") if isinstance(threads, dict) else None
        if isinstance(values, list) and len(values) == 1 and isinstance(values[0], dict):
            frames = stack_frames(values[0].get("stacktrace"))
    default = None
    for frame in reversed(frames):
        if with_function and frame.get("function") in (None, "?", "<redacted>", "<unknown>"):
            continue
        if is_in_app(frame):
            return frame
        if default is None:
            default = frame
    return default


def stack_frames(stacktrace: object) -> list[dict[str, Any]]:
    """
    The frames of a stack trace interface, whatever shape it arrived in (oldest first).
    """
    if not isinstance(stacktrace, dict):
        return []
    frames = stacktrace.get("frames")
    if not isinstance(frames, list):
        return []
    if set(map(type, frames)) <= {dict}:
        return frames
    return [frame for frame in frames if isinstance(frame, dict)]


def frame_culprit(frame: dict[str, Any], event_platform: str | None) -> str:
    """
    One frame as a culprit: C{"module in function"}, C{"function(module)"} for JavaScript and
    Node, the bare function for native code.
    """
    platform = _text(frame.get("platform")) or event_platform
    function = frame.get("function") or "?"
    if platform in ("objc", "cocoa", "native"):
        return str(function)
    location = frame.get("module") or frame.get("filename")
    if not location:
        return ""
    if platform in JS_FAMILY:
        return f"{function}({location})"
    return f"{location} in {function}"


def stack_culprit(frames: list[dict[str, Any]], event_platform: str | None) -> str | None:
    default = None
    for frame in reversed(frames):
        if is_in_app(frame):
            culprit = frame_culprit(frame, event_platform)
            if culprit:
                return culprit
        elif default is None:
            default = frame_culprit(frame, event_platform)
    return default


def generate_culprit(payload: dict[str, Any], exceptions: list[dict[str, Any]]) -> str:
    """
    The culprit Sentry derives when the event names none and has no transaction.
    """
    platform = _text(payload.get("platform"))
    stacks: list[list[dict[str, Any]]]
    if exceptions:
        mechanism = exceptions[-1].get("mechanism")
        if isinstance(mechanism, dict) and mechanism.get("synthetic"):
            return ""
        stacks = [frames for frames in (stack_frames(e.get("stacktrace")) for e in exceptions) if frames]
    else:
        top = stack_frames(payload.get("stacktrace"))
        stacks = [top] if top else []
    culprit = stack_culprit(stacks[-1], platform) if stacks else None
    if not culprit:
        request = payload.get("request")
        url = request.get("url") if isinstance(request, dict) else None
        if isinstance(url, str):
            # Relay keeps the query string and fragment apart from the URL.
            culprit = url.split("#", 1)[0].split("?", 1)[0]
    culprit = str(culprit or "")
    if len(culprit) > MAX_CULPRIT_LENGTH:
        culprit = culprit[:MAX_CULPRIT_LENGTH - 3] + "..."
    return culprit
