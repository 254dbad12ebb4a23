"""The trainers' languages: one vocabulary of training ideas, and a dialect per framework.

``vocabulary`` loads the ideas and dialects (data files in ``gittrain/data``),
``patterns`` matches config paths in linear time, ``detect`` picks a file's
dialect, ``view`` reads a document into canonical ideas, ``keys`` finds keys a
framework does not know.
"""
