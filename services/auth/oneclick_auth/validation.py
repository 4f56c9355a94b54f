"""Field checks with PocketBase's error codes and messages, collected per field like its forms do."""

from __future__ import annotations

import re

from oneclick_core.errors import ApiError, field_error

# PocketBase's username pattern; lengths as its auth collections enforce them.
USERNAME = re.compile(r"^[\w][\w.\-]*$", re.ASCII)
# Close to ozzo-validation's is.EmailFormat: one @, a dotted domain, no spaces.
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_PASSWORD = 72  # bcrypt's limit, kept by PocketBase; argon2 has none but clients expect the same rule
MAX_NAME = 255

REQUIRED = field_error("validation_required", "Cannot be blank.")
MISMATCH = field_error("validation_values_mismatch", "Values don't match.")
EMAIL_FORMAT = field_error("validation_is_email", "Must be a valid email address.")
EMAIL_TAKEN = field_error("validation_invalid_email", "The email is invalid or already in use.")
USERNAME_TAKEN = field_error("validation_invalid_username", "The username is invalid or already in use.")
USERNAME_FORMAT = field_error("validation_match_invalid", "Must be in a valid format.")
OLD_PASSWORD = field_error("validation_invalid_old_password", "Missing or invalid old password.")


def length_error(low: int, high: int) -> dict[str, str]:
    return field_error("validation_length_out_of_range", f"The length must be between {low} and {high}.")


class FieldErrors:
    """Collects the first error of each field; raises one 400 with all of them."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, str]] = {}

    def add(self, field: str, error: dict[str, str]) -> None:
        self.data.setdefault(field, error)

    def has(self, field: str) -> bool:
        return field in self.data

    def raise_if_any(self, message: str) -> None:
        if self.data:
            raise ApiError.bad_request(message, self.data)


def check_email(errors: FieldErrors, email: str, *, required: bool = True) -> None:
    if not email:
        if required:
            errors.add("email", REQUIRED)
        return
    if len(email) > 255:
        errors.add("email", length_error(1, 255))
    elif not EMAIL.match(email):
        errors.add("email", EMAIL_FORMAT)


def check_username(errors: FieldErrors, username: str, *, required: bool) -> None:
    if not username:
        if required:
            errors.add("username", REQUIRED)
        return
    if not 3 <= len(username) <= 150:
        errors.add("username", length_error(3, 150))
    elif not USERNAME.match(username):
        errors.add("username", USERNAME_FORMAT)


def check_new_password(errors: FieldErrors, password: str, confirm: str, min_length: int) -> None:
    if not password:
        errors.add("password", REQUIRED)
    elif not min_length <= len(password) <= MAX_PASSWORD:
        errors.add("password", length_error(min_length, MAX_PASSWORD))
    if not confirm:
        errors.add("passwordConfirm", REQUIRED)
    elif confirm != password:
        errors.add("passwordConfirm", MISMATCH)


def check_name(errors: FieldErrors, name: str) -> None:
    if len(name) > MAX_NAME:
        errors.add("name", length_error(0, MAX_NAME))
