"""Run records mined from first-parent history, their caches, and what they say.

`mining` walks the history (one `git log`, one `cat-file`), `history` holds the run records
and job versions, `historycache` keeps parsed blobs by id, `experience` ranks recipes and
suggests changes with evidence, `peers` and `similarity` pick the runs an answer rests on,
and `answercache`/`runanswers` keep finished answers by HEAD and query.
"""
