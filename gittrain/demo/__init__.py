"""`make demo`: build a realistic example training repository and tour gittrain on it."""
