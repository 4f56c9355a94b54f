import pytest
from pydantic import BaseModel, Field, ValidationError

from oneclick_core.errors import ApiError


class Signup(BaseModel):
    email: str = Field(min_length=3)
    age: int


def test_api_error_has_pocketbase_shape_and_default_message() -> None:
    error = ApiError(404)
    assert error.to_dict() == {"status": 404, "message": "The requested resource wasn't found.", "data": {}}


def test_round_trip_through_dict_keeps_field_errors() -> None:
    original = ApiError.bad_request("Invalid.", {"name": {"code": "validation_required", "message": "Missing."}})
    again = ApiError.from_dict(original.to_dict())
    assert (again.status, again.message, again.data) == (400, "Invalid.", original.data)


@pytest.mark.parametrize("payload", [{}, {"status": "x"}, {"status": 200}, {"status": 999}])
def test_from_dict_turns_nonsense_into_500(payload: dict[str, object]) -> None:
    assert ApiError.from_dict(payload).status == 500


def test_validation_errors_become_per_field_entries() -> None:
    with pytest.raises(ValidationError) as caught:
        Signup.model_validate({"email": "a"})
    error = ApiError.from_validation(caught.value)
    assert error.status == 400
    assert set(error.data) == {"email", "age"}
    assert error.data["age"]["code"] == "validation_missing"
    assert error.data["email"]["code"] == "validation_string_too_short"
    assert all(set(entry) == {"code", "message"} for entry in error.data.values())
