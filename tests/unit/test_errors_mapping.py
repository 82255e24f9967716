"""Domain errors carry no transport; the REST edge and the SOAP edge each map them in one place."""

from __future__ import annotations

import inspect

import pytest

from chalicelib import errors
from chalicelib.api.errors import INTERNAL_ERROR_BODY, REST_STATUS, http_error, soap_fault
from chalicelib.errors import AppError, InvalidInput

EXPECTED = {
    "InvalidInput": (400, "bad_request"),
    "Unauthorized": (401, "unauthorized"),
    "NotFound": (404, "not_found"),
    "Conflict": (409, "conflict"),
    "TooLarge": (413, "payload_too_large"),
    "UnsupportedMediaType": (415, "unsupported_media_type"),
    "Unavailable": (503, "service_unavailable"),
}
DOMAIN_ERRORS = sorted(
    {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, AppError) and cls is not AppError
    },
    key=lambda c: c.__name__,
)


def test_domain_errors_know_no_status():
    for cls in (AppError, *DOMAIN_ERRORS):
        assert not {"status", "code", "status_code", "to_json"} & set(vars(cls)), cls


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda c: c.__name__)
def test_every_domain_error_has_its_status_and_body(cls):
    exc = cls("plain words", details={"fields": {"name": "is required"}})
    status, body = http_error(exc)
    assert (status.status, status.code) == EXPECTED[cls.__name__]
    assert body == {
        "error": status.code,
        "message": "plain words",
        "details": {"fields": {"name": "is required"}},
    }
    assert set(REST_STATUS) == set(DOMAIN_ERRORS)


def test_old_names_are_the_same_classes():
    assert errors.BadRequest is InvalidInput
    assert errors.PayloadTooLarge is errors.TooLarge
    assert errors.ServiceUnavailable is errors.Unavailable


def test_a_subclass_maps_as_its_parent_and_an_unmapped_error_is_a_500_without_detail():
    class MissingThing(errors.NotFound):
        pass

    assert http_error(MissingThing("gone"))[0].status == 404
    status, body = http_error(AppError("secret internals"))
    assert status.status == 500 and body == dict(INTERNAL_ERROR_BODY)
    assert "secret" not in str(body)


def test_invalid_input_names_every_problem():
    exc = InvalidInput.of("invalid request", {"name": "is required", "label": "must be a string"})
    assert exc.message == "invalid request: name is required; label must be a string"
    assert exc.problems == {"name": "is required", "label": "must be a string"}


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda c: c.__name__)
def test_at_the_soap_edge_only_unavailable_is_a_server_fault(cls):
    fault = soap_fault(cls("plain words"))
    assert fault.message == "plain words"
    assert fault.code == ("Server" if cls is errors.Unavailable else "Client")
