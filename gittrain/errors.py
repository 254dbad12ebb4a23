"""The one exception type for problems the user can fix."""

from __future__ import annotations

# Exit codes, the contract every command keeps.
EXIT_OK = 0
EXIT_CONTENT = 1  # bad content or a failed check
EXIT_USAGE = 2  # bad usage or environment
EXIT_BUG = 3  # internal error


class GittrainError(Exception):
    """A one-line, user-fixable problem; the CLI prints it and exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_CONTENT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def usage_error(message: str) -> GittrainError:
    """A problem with how gittrain was called or the environment it runs in (exit 2)."""
    return GittrainError(message, code=EXIT_USAGE)
