"""Name formatting rules: only letter case and whitespace ever change."""

from domain.names.contact import ContactNames
from domain.names.fields import NameField
from domain.names.formatter import (
    NameResult,
    WordDecision,
    explain_name,
    format_name,
)

__all__ = [
    "ContactNames",
    "NameField",
    "NameResult",
    "WordDecision",
    "explain_name",
    "format_name",
]
