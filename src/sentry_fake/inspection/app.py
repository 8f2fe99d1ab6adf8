"""
The one Klein application of the inspection surface: every route family of it (the captured
events and items, the pages for people, the live feeds) adds its routes here.
"""

from __future__ import annotations

from klein import Klein

from ..http import add_error_handling

app = Klein()
add_error_handling(app)
