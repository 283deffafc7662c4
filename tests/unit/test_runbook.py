"""docs/operations.md covers every alarm in template.yaml."""

from __future__ import annotations

import re

import pytest

from tests.unit.test_template import ALARMS, REPO_ROOT

RUNBOOK = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
SECTIONS = dict(re.findall(r"^### (\w+)\n(.*?)(?=^### |\Z)", RUNBOOK, re.MULTILINE | re.DOTALL))


@pytest.mark.parametrize("alarm_id", sorted(ALARMS))
def test_runbook_has_section_for_alarm(alarm_id: str) -> None:
    assert alarm_id in SECTIONS, f"docs/operations.md has no '### {alarm_id}' section"


@pytest.mark.parametrize("alarm_id", sorted(ALARMS))
def test_runbook_section_says_meaning_and_action(alarm_id: str) -> None:
    section = SECTIONS.get(alarm_id, "")
    assert "**What it means.**" in section
    assert "**What to do.**" in section


def test_runbook_names_no_alarm_missing_from_template() -> None:
    alarm_sections = {name for name in SECTIONS if name.endswith("Alarm")}
    assert alarm_sections <= set(ALARMS)
