"""What the events make, in their own transaction: watchers and notifications."""

from __future__ import annotations
