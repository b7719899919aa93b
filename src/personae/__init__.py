"""personae: unified customer profiles and evidence-backed buyer personas from raw customer data.

The public entry point is :class:`personae.Workspace`; its methods mirror the ``personae`` CLI.
"""

from personae.workspace import Workspace

__all__ = ["Workspace", "__version__"]
__version__ = "0.1.0"
