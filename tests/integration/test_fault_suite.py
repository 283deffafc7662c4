"""The fault suite on a few orders: its checks pass, and they catch a duplicate."""

from __future__ import annotations

import pytest

from hubctl.fault_suite import FaultSuiteReport, FaultSuiteSettings, run_fault_suite

SMALL = FaultSuiteSettings(orders=60, connections=2, workers=1, crash_rate=0.05, rejected_rate=0.05)


@pytest.fixture(scope="module")
def report() -> FaultSuiteReport:
    return run_fault_suite(SMALL)


def test_fault_suite_passes_on_few_orders(report: FaultSuiteReport) -> None:
    assert report.problems == []


def test_fault_suite_injected_faults(report: FaultSuiteReport) -> None:
    assert (sum(report.economic_faults.values()) > 0, report.crashes > 0) == (True, True)


def test_fault_suite_prints_counts(report: FaultSuiteReport) -> None:
    assert report.lines()[-1] == "PASSED"


def test_fault_suite_check_catches_duplicate(report: FaultSuiteReport) -> None:
    from hubctl.fault_suite import _check_counts

    broken = FaultSuiteReport(SMALL, duplicate_invoices=1)
    broken.metric_steps.update(report.metric_steps)
    broken.log_steps.update(report.log_steps)
    _check_counts(broken)
    assert "1 duplicate invoices" in broken.problems
