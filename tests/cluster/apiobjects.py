"""Fields of the objects the Kubernetes API server returns, typed as the tests rely on them.

The client's models type every field as optional, as the OpenAPI schema marks them; an object
the API server returns has its metadata (name, uid, namespace, resourceVersion), and a spec and a
status where its kind has them. These accessors say so where the code relies on it: a field that
is unexpectedly unset raises an AssertionError that names it (instead of an AttributeError on
None). The custom objects API returns plain JSON, typed as `object`: `json_object` gives it the
type of a JSON object.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from kubernetes import client

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _HasMetadata(Protocol):
    @property
    def metadata(self) -> client.V1ObjectMeta | None: ...


class _List(Protocol):
    @property
    def metadata(self) -> client.V1ListMeta | None: ...


class _HasSpec(Protocol[T_co]):
    @property
    def spec(self) -> T_co | None: ...


class _HasStatus(Protocol[T_co]):
    @property
    def status(self) -> T_co | None: ...


def present(value: T | None, what: str) -> T:
    """``value``, which must be set (``what`` names it in the error)."""
    assert value is not None, f"{what} is not set"
    return value


def metadata_of(obj: _HasMetadata) -> client.V1ObjectMeta:
    return present(obj.metadata, f"metadata of a {type(obj).__name__}")


def name_of(obj: _HasMetadata) -> str:
    return present(metadata_of(obj).name, f"metadata.name of a {type(obj).__name__}")


def uid_of(obj: _HasMetadata) -> str:
    return present(metadata_of(obj).uid, f"metadata.uid of a {type(obj).__name__}")


def labels_of(obj: _HasMetadata) -> dict[str, str]:
    """The object's labels (an object without any has none)."""
    return metadata_of(obj).labels or {}


def annotations_of(obj: _HasMetadata) -> dict[str, str]:
    """The object's annotations (an object without any has none)."""
    return metadata_of(obj).annotations or {}


def list_version_of(listing: _List) -> str:
    """The resourceVersion of a list (where a watch of what it lists starts)."""
    meta = present(listing.metadata, f"metadata of a {type(listing).__name__}")
    return present(meta.resource_version, f"metadata.resourceVersion of a {type(listing).__name__}")


def spec_of(obj: _HasSpec[T]) -> T:
    return present(obj.spec, f"spec of a {type(obj).__name__}")


def status_of(obj: _HasStatus[T]) -> T:
    return present(obj.status, f"status of a {type(obj).__name__}")


def json_object(value: object) -> dict[str, Any]:
    """A JSON object returned by the custom objects API."""
    assert isinstance(value, dict), f"expected a JSON object, got {type(value).__name__}"
    return value
