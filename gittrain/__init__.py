"""gittrain: git-native training-config management for LLM fine-tuning."""

from __future__ import annotations

__version__ = "0.1.0"
