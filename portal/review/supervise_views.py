"""TEMPORARY (issue 9): the supervise blueprint lives in portal.review.views.supervise; the factory still imports it
from here until the lead changes portal/__init__.py, then this module goes."""

from portal.review.views.supervise import bp  # noqa: F401
