"""The one error every part of the search library raises: a 400 in PocketBase's shape.

``FilterError("unknown field \\"foo\\"")`` becomes
``{"status": 400, "message": "Invalid filter parameters.",
"data": {"filter": {"code": "validation_invalid_filter", "message": "unknown field \\"foo\\""}}}``;
``param`` names the query parameter at fault (``filter``, ``sort``, ``fields``, ``expand``, ``page``…).
"""

from __future__ import annotations

from oneclick_core.errors import ApiError, field_error


class FilterError(ApiError):
    """Bad list-query input (syntax, unknown field, wrong type): always a 400, never a half-built query."""

    def __init__(self, detail: str, *, param: str = "filter") -> None:
        super().__init__(
            400, f"Invalid {param} parameters.", {param: field_error(f"validation_invalid_{param}", detail)}
        )
        self.detail = detail
        self.param = param

    def __str__(self) -> str:
        return f"{self.param}: {self.detail}"
