"""What the events make, in their own transaction: blobs no attachment uses any more go."""

from __future__ import annotations
