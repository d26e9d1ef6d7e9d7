"""Spec names from source names: snake_case, deterministic and without collisions (AlbumId -> album_id,
InvoiceLine -> invoice_line, HTTPStatus -> http_status), and simple English singulars for hub names."""

from __future__ import annotations

import re
import unicodedata

from vaultgen.spec.model import NAME_PATTERN

MAX = 60


def snake(name: str, fallback: str = "x") -> str:
    """A spec name (lower-case letters, digits and _, starting with a letter, at most 60 characters)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)  # HTTPStatus -> HTTP_Status
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)  # AlbumId -> Album_Id
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text:
        text = fallback
    if not text[0].isalpha():
        text = f"{fallback}_{text}"
    return text[:MAX].rstrip("_")


def singular(name: str) -> str:
    """categories -> category, orders -> order, addresses -> address; a name that is not plural stays."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if re.search(r"(ss|sh|ch|x)es$", name):
        return name[:-2]
    if name.endswith("s") and not name.endswith(("ss", "us", "is")) and len(name) > 3:
        return name[:-1]
    return name


class Names:
    """Hands out unique names: the second 'album' becomes 'album_2'."""

    def __init__(self, taken: set[str] | None = None):
        self.taken = set(taken or ())

    def unique(self, wanted: str) -> str:
        name, number = wanted[:MAX], 2
        while name in self.taken:
            suffix = f"_{number}"
            name, number = wanted[:MAX - len(suffix)] + suffix, number + 1
        assert NAME_PATTERN.fullmatch(name), name
        self.taken.add(name)
        return name
