"""Local HTTP fakes of X, Mastodon and Bluesky for tests and benchmarks of the real clients.

Each fake implements its endpoints' documented request and response shapes, injects faults
(:class:`FaultPlan`) and logs every request and every user-visible effect; the effect log is
the judge of what was really posted. Run one by hand with ``python -m tests.fake_services``.
"""

from tests.fake_services.base import FAULT_KINDS, FakeService, FaultPlan, Request, Response
from tests.fake_services.fake_bluesky import FakeBluesky, make_cid, make_tid
from tests.fake_services.fake_mastodon import FakeMastodon
from tests.fake_services.fake_x import FakeX

__all__ = [
    "FAULT_KINDS",
    "FakeBluesky",
    "FakeMastodon",
    "FakeService",
    "FakeX",
    "FaultPlan",
    "Request",
    "Response",
    "make_cid",
    "make_tid",
]
