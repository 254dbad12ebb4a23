"""``NAME@REV`` words: a job, recipe or dataset name, optionally at a git revision."""

from __future__ import annotations

HEAD = "HEAD"


def split_at(word: str) -> tuple[str, str | None]:
    """``a@:/fix x`` -> ``("a", ":/fix x")``; ``a`` -> ``("a", None)``; ``a@`` -> ``("a", "HEAD")``.

    Names never hold ``@`` (jobs, recipes and datasets all forbid it), so the
    first ``@`` ends the name and everything after it, ``@`` included
    (``HEAD@{1}``), is the revision, as git reads it.
    """
    name, at, revision = word.partition("@")
    if not at:
        return word, None
    return name, revision or HEAD
