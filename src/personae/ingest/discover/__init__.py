"""Discovery: decide each file's kind and column mapping from its headers and contents.

``personae init WS --from FOLDER``, ``personae add`` and ``personae sources check`` use
:func:`discover`; docs/input-data.md describes what it looks at, docs/dev/presets.md how
vendor layouts are added.
"""

from personae.ingest.discover.decide import discover
from personae.ingest.discover.model import Discovery, FileDecision, Question, SourcePlan

__all__ = ["Discovery", "FileDecision", "Question", "SourcePlan", "discover"]
