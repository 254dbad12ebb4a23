"""The one exception type for problems the user can fix."""

from __future__ import annotations

from gittrain.document import DocPath, Document, Mark, locate

# Exit codes, the contract every command keeps.
EXIT_OK = 0
EXIT_CONTENT = 1  # bad content or a failed check
EXIT_USAGE = 2  # bad usage or environment
EXIT_BUG = 3  # internal error


class GittrainError(Exception):
    """A one-line, user-fixable problem; the CLI prints it and exits with ``code``.

    Errors about a file position also carry ``source``, ``mark`` and ``detail``
    (the message without its location) so validators can report them as data.
    """

    def __init__(
        self,
        message: str,
        code: int = EXIT_CONTENT,
        *,
        source: str | None = None,
        mark: Mark | None = None,
    ) -> None:
        self.detail = message
        self.source = source
        self.mark = mark
        self.message = f"{locate(source, mark)}: {message}" if source is not None else message
        self.code = code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def usage_error(message: str) -> GittrainError:
    """A problem with how gittrain was called or the environment it runs in (exit 2)."""
    return GittrainError(message, code=EXIT_USAGE)


def file_error(source: str, message: str, mark: Mark | None = None) -> GittrainError:
    """Bad content in ``source`` (at ``mark`` when known)."""
    return GittrainError(message, source=source, mark=mark)


def at(doc: Document, path: DocPath, message: str, code: int = EXIT_CONTENT) -> GittrainError:
    """Bad content at ``path`` in ``doc``: located, so a validator can report it as data."""
    return GittrainError(message, code, source=doc.source, mark=doc.mark_of(path))
