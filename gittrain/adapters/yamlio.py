"""Strict YAML reading and deterministic writing: the only module that imports ``yaml``.

PyYAML follows YAML 1.1, whose implicit typing misreads training configs.  We
drive libyaml's C parser event by event and type plain scalars ourselves:

* ``2e-5``, ``5E-7``, ``1e6``, ``1.5`` are floats; ``42``, ``0x1f``, ``0o17`` ints;
* only ``true``/``false`` (any case style YAML 1.2 allows) are booleans;
* ``yes``/``no``/``on``/``off``/``y``/``n`` stay **strings**;
* ``0012345`` (a YAML 1.1 octal) and ``12:30`` (base 60) stay **strings**;
* dates stay strings; ``null``, ``~`` and empty are ``None``;
* ``.nan``/``.inf`` and floats that overflow are errors (JSON has neither).

Aliases and merge keys are rejected (so no walker can explode or loop),
duplicate keys are errors naming both lines, only JSON-compatible tags are
allowed, size and nesting depth are bounded, and every value keeps a mark.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from gittrain.adapters.scalars import COLLECTION_TAGS, SCALAR_TAGS, TAG, resolve_plain, tagged
from gittrain.document import DocPath, Document, Mark
from gittrain.errors import GittrainError, file_error

if TYPE_CHECKING:
    from pathlib import Path

# PyYAML's pure-Python Reader compiles this class attribute when `yaml` is imported: ~5 ms,
# a tenth of a commit hook's run, for a reader gittrain never uses (it drives libyaml's C
# parser).  Upstream: yaml/pyyaml#124, yaml/pyyaml#301.  While `yaml` is imported, this one
# pattern becomes a _LazyPattern, compiled if anything ever reads with the Python Reader.
_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


class _LazyPattern:
    """``re.compile(pattern, flags)``, done on first use."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = _compile(self._pattern, self._flags)
        return getattr(self._compiled, name)


_compile = re.compile


def _deferring(pattern: Any, flags: Any = 0) -> Any:
    if pattern == _NON_PRINTABLE and flags == 0:
        return _LazyPattern(pattern, flags)
    return _compile(pattern, flags)


re.compile = _deferring
try:
    import yaml
    from yaml import _yaml
finally:
    re.compile = _compile

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64

_CParser: Any = _yaml.CParser


def load_file(path: Path, source: str, *, expect_mapping: bool = True) -> Document:
    """Read and strictly parse ``path``; ``source`` is the name used in messages."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise file_error(source, f"file is {size} bytes; the limit is {MAX_BYTES}")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise file_error(source, "no such file") from None
    except IsADirectoryError:
        raise file_error(source, "is a directory, not a file") from None
    except OSError as exc:
        raise file_error(source, f"cannot read: {exc.strerror}") from None
    return load_bytes(raw, source, expect_mapping=expect_mapping)


def decode(raw: bytes, source: str) -> str:
    """UTF-8 text (a leading BOM is accepted); undecodable bytes are reported by line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise file_error(
            source, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", Mark(line, col)
        ) from None


class Reading(NamedTuple):
    """How plain scalars are typed, and whether anchors, aliases and ``<<`` merges are read.

    gittrain's own files use :data:`STRICT`.  A framework's config is read the
    way its framework reads it (the caller passes that framework's scalar rules),
    with aliases and merges expanded up to :data:`MAX_EXPANDED` nodes, so a
    "billion laughs" file is refused rather than followed.
    """

    resolve: Callable[[str], object]
    aliases: bool = False


STRICT = Reading(resolve_plain)
MAX_EXPANDED = 100_000


def load_bytes(
    raw: bytes,
    source: str,
    *,
    expect_mapping: bool = True,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    reading: Reading = STRICT,
    marks: bool = True,
) -> Document:
    """Parse one YAML (or JSON) document from ``raw``; strictly unless ``reading`` says.

    ``marks=False`` leaves the document without marks (the same data, the same
    errors, each with its position), for readers that need a mark only to report
    a problem: they parse again with marks when they find one.
    """
    if len(raw) > max_bytes:
        raise file_error(source, f"file is {len(raw)} bytes; the limit is {max_bytes}")
    text = decode(raw, source)
    builder = _Builder(text, source, expect_mapping, max_depth, reading)
    builder.keep_marks = marks
    builder.lean = not marks and reading is STRICT
    return builder.build()


def load_text(text: str, source: str, *, expect_mapping: bool = True) -> Document:
    """Strictly parse one document from already-decoded text."""
    return _Builder(text, source, expect_mapping, MAX_DEPTH).build()


class Span(NamedTuple):  # not a dataclass: see gittrain/document.py
    """Where a value's text is: character offsets ``[start, end)`` into the decoded text.

    ``flow`` is true for flow collections (``{a: 1}``, ``[1, 2]``) and anything
    inside one; a block collection ends where its last value ends.
    """

    start: int
    end: int
    flow: bool
    collection: bool


def load_spans(text: str, source: str) -> tuple[Document, dict[DocPath, Span]]:
    """Strictly parse ``text`` and also return the span of every value (for in-place edits)."""
    builder = _Builder(text, source, True, MAX_DEPTH)
    spans: dict[DocPath, Span] = {}
    builder.spans = spans
    return builder.build(), spans


def scalar_text(value: object) -> str:
    """``value`` (a str, number, bool or None) as a one-line YAML scalar that reads back equal."""
    return flow_text([value])[1:-1]


def flow_text(value: object) -> str:
    """``value`` as one line of flow-style YAML."""
    return _emit(value, flow=True, width=1 << 30).strip().removesuffix("...").strip()


class _Frame:
    __slots__ = (
        "anchor",
        "container",
        "flow",
        "key",
        "key_mark",
        "keys",
        "last_end",
        "merges",
        "path",
        "size",
        "start",
    )

    def __init__(self, container: dict[str, object] | list[object], path: DocPath) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None  # mappings: the key awaiting its value
        self.key_mark: Mark | None = None
        self.keys: dict[str, Mark] = {}
        # Only used when spans are recorded.
        self.start = 0
        self.last_end = 0
        self.flow = False
        # Framework readings only: the node's anchor, its size, and `<<` sources.
        self.anchor: str | None = None
        self.size = 1
        self.merges: list[object] = []


_MERGE = "<<"


class _Unusual(Exception):
    """A document ``_lean_document`` leaves to ``_document``."""


# Plain scalar text -> its value (``resolve_plain`` is a pure function of the text):
# the same few hundred values recur in every version of every job.
_RESOLVED: dict[str, object] = {}
_RESOLVED_KEPT = 4096
_NOT_KNOWN = object()


class _Builder:
    def __init__(
        self,
        text: str,
        source: str,
        expect_mapping: bool,
        max_depth: int,
        reading: Reading = STRICT,
    ) -> None:
        self.text = text
        self.source = source
        self.expect_mapping = expect_mapping
        self.max_depth = max_depth
        self.resolve = reading.resolve
        self.aliases = reading.aliases
        self.anchors: dict[str, tuple[object, int]] = {}
        self.expanded = 0
        self.marks: dict[DocPath, Mark] = {}
        self.spans: dict[DocPath, Span] | None = None  # recorded only when asked for
        self.keep_marks = True
        self.lean = False  # no marks, strict: try ``_lean_document`` first

    def fail(self, mark: Any, message: str) -> GittrainError:
        return file_error(self.source, message, Mark(mark.line + 1, mark.column + 1))

    def build(self) -> Document:
        if self.lean:
            try:
                return self._parse()
            except _Unusual:
                self.lean = False  # read it again the general way, which decides
        return self._parse()

    def _parse(self) -> Document:
        parser = _CParser(self.text)
        try:
            return self._run(parser)
        except yaml.MarkedYAMLError as exc:
            raise self._syntax_error(exc) from None
        except yaml.reader.ReaderError as exc:
            raise self._reader_error(exc) from None
        except yaml.YAMLError as exc:  # pragma: no cover - every libyaml error is marked
            raise file_error(self.source, f"invalid YAML: {exc}") from None
        finally:
            parser.dispose()

    def _bad_tag(self, event: Any) -> GittrainError:
        message = f"tag {_short_tag(event.tag)} is not allowed; only JSON types are"
        return self.fail(event.start_mark, message)

    def _reader_error(self, exc: yaml.reader.ReaderError) -> GittrainError:
        position = min(exc.position, len(self.text))
        line = self.text.count("\n", 0, position) + 1
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        return file_error(
            self.source,
            f"contains control character #x{exc.character:04x}; is this a binary file?",
            Mark(line, column),
        )

    def _syntax_error(self, exc: yaml.MarkedYAMLError) -> GittrainError:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if mark is None:
            return file_error(self.source, problem)
        lines = self.text.splitlines()
        line_text = lines[mark.line] if mark.line < len(lines) else ""
        if "\t" in line_text[: mark.column + 1] and "cannot start any token" in problem:
            problem = "tab characters cannot indent YAML; use spaces"
        return self.fail(mark, problem)

    def _run(self, parser: Any) -> Document:
        get = parser.get_event
        get()  # StreamStart
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            raise file_error(self.source, "file is empty; expected a YAML mapping")
        root = self._lean_document(get) if self.lean else self._document(get)
        event = get()
        if isinstance(event, yaml.DocumentStartEvent):
            raise self.fail(
                event.start_mark, "a second YAML document starts here; expected exactly one"
            )
        if self.expect_mapping and not isinstance(root, dict):
            kind = _kind(root)
            raise file_error(
                self.source, f"the top level must be a mapping, not {kind}", Mark(1, 1)
            )
        if not self.keep_marks:
            return Document(self.source, root)
        return Document(self.source, root, self.marks)

    def _lean_document(self, get: Callable[[], Any]) -> object:  # noqa: PLR0915 (one hot loop)
        """``_document`` without marks, for the common case: untagged, anchor-free
        collections and scalars with unique plain keys under a mapping root.

        Anything else (a tag, an anchor, an alias, a duplicate or ``<<`` key, a
        non-scalar key, the depth limit, a scalar that does not resolve, a scalar
        root) raises ``_Unusual`` before anything is returned, and the document is
        read again by ``_document``, so both give the same data and the same error.
        """
        ScalarEvent, MappingStartEvent = yaml.ScalarEvent, yaml.MappingStartEvent
        SequenceStartEvent = yaml.SequenceStartEvent
        MappingEndEvent, SequenceEndEvent = yaml.MappingEndEvent, yaml.SequenceEndEvent
        known, missing = _RESOLVED, _NOT_KNOWN
        outer: list[Any] = []  # the enclosing container of each open one (None: the root's)
        top: Any = None  # the innermost open container
        in_map = False
        key: str | None = None  # in a mapping: the key awaiting its value
        root: object = None
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:
                if event.tag is not None or event.anchor is not None or top is None:
                    raise _Unusual
                text = event.value
                if in_map and key is None:
                    if text in top or (text == _MERGE and not event.style):
                        raise _Unusual
                    key = text
                    continue
                if event.style:
                    value: object = text
                else:
                    value = known.get(text, missing)
                    if value is missing:
                        try:
                            value = resolve_plain(text)
                        except ValueError:
                            raise _Unusual from None
                        if len(known) < _RESOLVED_KEPT:
                            known[text] = value
                if in_map:
                    top[key] = value
                    key = None
                else:
                    top.append(value)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None or event.anchor is not None:
                    raise _Unusual
                if (in_map and key is None) or len(outer) >= self.max_depth:
                    raise _Unusual
                container: Any = {} if kind is MappingStartEvent else []
                if top is None:
                    root = container
                elif in_map:
                    top[key] = container
                    key = None
                else:
                    top.append(container)
                outer.append(top)
                top = container
                in_map = kind is MappingStartEvent
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                top = outer.pop()
                if top is None:
                    get()  # DocumentEnd
                    return root
                in_map = type(top) is dict
            else:
                raise _Unusual

    def _document(self, get: Callable[[], Any]) -> object:  # noqa: PLR0915
        ScalarEvent, MappingStartEvent = yaml.ScalarEvent, yaml.MappingStartEvent
        SequenceStartEvent, AliasEvent = yaml.SequenceStartEvent, yaml.AliasEvent
        MappingEndEvent, SequenceEndEvent = yaml.MappingEndEvent, yaml.SequenceEndEvent
        stack: list[_Frame] = []
        root: object = None
        marks = self.marks
        spans = self.spans
        while True:
            event = get()
            kind = type(event)
            value: object
            if kind is ScalarEvent:
                text = event.value
                if event.tag is not None and event.tag not in SCALAR_TAGS:
                    raise self.fail(
                        event.start_mark,
                        f"tag {_short_tag(event.tag)} is not allowed; only JSON types are",
                    )
                if stack:
                    frame = stack[-1]
                    if frame.key is None and isinstance(frame.container, dict):
                        self._take_key(frame, event, text)
                        continue
                try:
                    if event.tag is None:
                        value = self.resolve(text) if not event.style else text
                    else:
                        value = text if event.tag == "!" else tagged(event.tag, text)
                except ValueError as exc:
                    raise self.fail(event.start_mark, str(exc)) from None
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None and event.tag not in COLLECTION_TAGS:
                    raise self.fail(
                        event.start_mark,
                        f"tag {_short_tag(event.tag)} is not allowed; only JSON types are",
                    )
                if stack and stack[-1].key is None and isinstance(stack[-1].container, dict):
                    raise self.fail(event.start_mark, "mapping keys must be plain strings")
                if len(stack) >= self.max_depth:
                    raise self.fail(
                        event.start_mark, f"nested deeper than the limit of {self.max_depth}"
                    )
                container: dict[str, object] | list[object] = (
                    {} if kind is MappingStartEvent else []
                )
                path = self._attach(stack, container, event.start_mark)
                if not stack:
                    root = container
                frame = _Frame(container, path)
                frame.anchor = event.anchor
                if spans is not None:
                    frame.start = event.start_mark.index
                    frame.flow = bool(event.flow_style) or bool(stack and stack[-1].flow)
                stack.append(frame)
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = stack.pop()
                if done.merges:
                    self._merge(done)
                if stack:
                    stack[-1].size += done.size
                if done.anchor is not None:
                    self.anchors[done.anchor] = (done.container, done.size)
                if spans is not None:
                    _close_span(spans, done, stack, event.end_mark.index)
                if not stack:
                    get()  # DocumentEnd
                    return root
                continue
            elif kind is AliasEvent:
                value = self._alias(event, stack)
            else:  # pragma: no cover - libyaml emits nothing else inside a document
                raise self.fail(event.start_mark, f"unexpected {kind.__name__}")
            # A scalar value (or an alias).
            if event.anchor is not None and kind is ScalarEvent:
                self.anchors[event.anchor] = (value, 1)
            if not stack:
                marks[()] = Mark(event.start_mark.line + 1, event.start_mark.column + 1)
                get()  # DocumentEnd
                return value
            path = self._attach(stack, value, event.start_mark)
            if spans is not None:
                parent = stack[-1]
                end = event.end_mark.index
                spans[path] = Span(event.start_mark.index, end, parent.flow, False)
                parent.last_end = end

    def _alias(self, event: Any, stack: list[_Frame]) -> object:
        if not self.aliases:
            raise self.fail(
                event.start_mark,
                f"YAML aliases (*{event.anchor}) are not allowed in gittrain's own files; "
                "write the value out",
            )
        if stack and stack[-1].key is None and isinstance(stack[-1].container, dict):
            raise self.fail(event.start_mark, "mapping keys must be plain strings, not aliases")
        found = self.anchors.get(event.anchor)
        if found is None:
            # An anchor still open is one of this alias's ancestors: a cycle.
            raise self.fail(
                event.start_mark,
                f"alias *{event.anchor} refers to an undefined anchor "
                "or to a node that contains it",
            )
        value, size = found
        self.expanded += size
        if self.expanded > MAX_EXPANDED:
            raise self.fail(
                event.start_mark,
                f"aliases expand to more than {MAX_EXPANDED} values; refusing to expand further",
            )
        if stack:
            stack[-1].size += size
        return value

    def _merge(self, frame: _Frame) -> None:
        container = frame.container
        assert isinstance(container, dict)
        mark = frame.keys.get(_MERGE)
        for source in frame.merges:
            items = source if isinstance(source, list) else [source]
            for item in items:
                if not isinstance(item, dict):
                    raise file_error(self.source, "<< must merge a mapping or a list of them", mark)
                for key, value in item.items():
                    if key not in container:  # explicit keys win, then earlier merges
                        container[key] = value
                        if mark is not None:
                            merged: DocPath = (*frame.path, key)
                            self.marks[merged] = mark

    def _take_key(self, frame: _Frame, event: Any, text: str) -> None:
        mark = Mark(event.start_mark.line + 1, event.start_mark.column + 1)
        if text == _MERGE and event.tag is None and not event.style and not self.aliases:
            raise self.fail(
                event.start_mark, "merge keys (<<) are not allowed in gittrain's own files"
            )
        first = frame.keys.get(text)
        if first is not None:
            raise self.fail(
                event.start_mark,
                f"duplicate key {text!r} (first defined at line {first.line})",
            )
        frame.keys[text] = mark
        frame.key = text
        frame.key_mark = mark

    def _attach(self, stack: list[_Frame], value: object, start: Any) -> DocPath:
        if not stack:
            path: DocPath = ()
            self.marks[path] = Mark(start.line + 1, start.column + 1)
            return path
        frame = stack[-1]
        container = frame.container
        if isinstance(container, dict):
            key = frame.key
            assert key is not None and frame.key_mark is not None
            path = (*frame.path, key)
            if key == _MERGE and self.aliases:
                frame.merges.append(value)
                frame.key = None
                return path
            frame.size += 1
            container[key] = value
            self.marks[path] = frame.key_mark
            frame.key = None
        else:
            path = (*frame.path, len(container))
            frame.size += 1
            container.append(value)
            self.marks[path] = Mark(start.line + 1, start.column + 1)
        return path


def _close_span(spans: dict[DocPath, Span], done: _Frame, stack: list[_Frame], end: int) -> None:
    # libyaml ends a block collection at the next token (past comments); use its last value.
    if not done.flow:
        end = done.last_end
    spans[done.path] = Span(done.start, end, done.flow, True)
    if stack:
        stack[-1].last_end = end


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(TAG) :] if tag.startswith(TAG) else tag


def _kind(value: object) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__} scalar"


class _Dumper(yaml.CSafeDumper):
    """Writes YAML that gittrain (and YAML 1.1 tools) read back to the same values."""

    def ignore_aliases(self, data: object) -> bool:
        # The strict reader refuses aliases: a value shared twice is written out twice.
        return True


def _represent_str(dumper: _Dumper, text: str) -> yaml.ScalarNode:
    try:
        plain_value = resolve_plain(text) if text else None
    except ValueError:
        plain_value = None
    style = None
    if plain_value != text or not isinstance(plain_value, str) or text.strip() != text:
        style = '"'
    elif "\n" in text:
        style = "|"
    return dumper.represent_scalar(TAG + "str", text, style=style)


def _represent_float(dumper: _Dumper, value: float) -> yaml.ScalarNode:
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"  # 1e-06 -> 1.0e-06 so YAML 1.1 tools see a float
    return dumper.represent_scalar(TAG + "float", text)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(float, _represent_float)


def dump(data: object) -> str:
    """Deterministic block-style YAML; key order is the caller's."""
    return _emit(data, flow=False, width=100)


def _emit(data: object, *, flow: bool, width: int) -> str:
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=flow,
        allow_unicode=True,
        width=width,
        indent=2,
    )
    return text


class PlainScalar(NamedTuple):
    text: str
    mark: Mark
    path: DocPath  # keys and list indices from the document's root


def plain_scalars(raw: bytes, source: str) -> list[PlainScalar]:
    """Every untagged plain scalar used as a value, in every document, with its position.

    For linting YAML that other tools read (`git train lint-yaml`): anchors,
    aliases and several documents are allowed here, and mapping keys are left
    out (``on:`` in CI workflows is a deliberate idiom).  Syntax errors raise
    ``GittrainError`` with the position.
    """
    text = decode(raw, source)
    parser = _CParser(text)
    found: list[PlainScalar] = []
    # One entry per open collection: its path, then for a mapping whether the next node
    # is a key (and the key last read), for a sequence the next index.
    stack: list[_LintFrame] = []
    node_kinds = (
        yaml.ScalarEvent,
        yaml.AliasEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    try:
        while not isinstance(event := parser.get_event(), yaml.StreamEndEvent):
            if isinstance(event, node_kinds):
                path, is_key = _lint_step(stack, event)
                if isinstance(event, yaml.ScalarEvent):
                    if not is_key and event.tag is None and not event.style and event.value:
                        start: Any = event.start_mark
                        at = Mark(start.line + 1, start.column + 1)
                        found.append(PlainScalar(event.value, at, path))
                elif not isinstance(event, yaml.AliasEvent):
                    mapping = isinstance(event, yaml.MappingStartEvent)
                    stack.append(_LintFrame(path, mapping))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        raise file_error(source, exc.problem or "invalid YAML", where) from None
    except yaml.reader.ReaderError as exc:
        raise file_error(source, f"contains control character #x{exc.character:04x}") from None
    finally:
        parser.dispose()
    return found


class _LintFrame:
    __slots__ = ("index", "key", "key_next", "mapping", "path")

    def __init__(self, path: DocPath, mapping: bool) -> None:
        self.path = path
        self.mapping = mapping
        self.key_next = True
        self.key = ""
        self.index = 0


def _lint_step(stack: list[_LintFrame], event: Any) -> tuple[DocPath, bool]:
    """The path of the node ``event`` starts, and whether it is a mapping key."""
    if not stack:
        return (), False
    frame = stack[-1]
    if not frame.mapping:
        frame.index += 1
        return (*frame.path, frame.index - 1), False
    if frame.key_next:
        frame.key_next = False
        # A key that is not a plain string (an alias, a collection) names no path.
        frame.key = event.value if isinstance(event, yaml.ScalarEvent) else "?"
        return (*frame.path, frame.key), True
    frame.key_next = True
    return (*frame.path, frame.key), False
