"""The alarms of docs/operations.md exist in the packaged CloudFormation template, on metrics
the code really writes (`npx serverless package`, offline)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from shared.config import Settings
from shared.observability.emf import NAMESPACE
from shared.observability.logs import SERVICE
from shared.observability.metrics import CATALOG, REQUESTS, SERVER_ERRORS

ROOT = Path(__file__).resolve().parents[2]
ALARMS = {  # resource -> what the alarm name ends with (and docs/operations.md names)
    "ServerErrorRateAlarm": "5xx-rate", "IntegrityFailureAlarm": "integrity-failure",
    "KekTooOldAlarm": "kek-too-old", "RotationFailureAlarm": "rotation-failure", "KmsFailureAlarm": "kms-failure",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> dict:
    assert (ROOT / "node_modules" / "serverless").is_dir(), "run `npm ci` (scripts/test does)"
    out_dir = tmp_path_factory.mktemp("sls")
    env = {**os.environ, "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"}
    run = subprocess.run(["npx", "serverless", "package", "--package", str(out_dir)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((out_dir / "cloudformation-template-update-stack.json").read_text())


def metric_refs(props: dict) -> list[dict]:
    """The metrics an alarm reads: its own, or those of its metric-math expression."""
    if "MetricName" in props:
        return [{k: props[k] for k in ("Namespace", "MetricName", "Dimensions")}]
    return [m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m]


def test_every_alarm_is_packaged_on_a_metric_the_code_writes(template):
    resources = template["Resources"]
    written = {m.cloudwatch for m in CATALOG.values()} | {REQUESTS.cloudwatch, SERVER_ERRORS.cloudwatch}
    for name, suffix in ALARMS.items():
        alarm = resources[name]
        assert alarm["Type"] == "AWS::CloudWatch::Alarm"
        props = alarm["Properties"]
        assert props["AlarmName"].endswith(suffix) and props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        for ref in metric_refs(props):
            assert ref["Namespace"] == NAMESPACE and ref["MetricName"] in written, ref
            assert ref["Dimensions"] == [{"Name": "service", "Value": SERVICE}]
    assert resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


def test_the_kek_alarm_is_max_age_plus_seven_days_and_silence_breaches(template):
    props = template["Resources"]["KekTooOldAlarm"]["Properties"]
    default_max_age = Settings.model_fields["kek_max_age_days"].default
    assert float(props["Threshold"]) == default_max_age + 7
    assert props["TreatMissingData"] == "breaching" and props["MetricName"] == CATALOG["kek_age_days"].cloudwatch


def test_operations_doc_names_each_alarm():
    text = (ROOT / "docs" / "operations.md").read_text()
    assert "## Alarms and metrics" in text
    for suffix in ALARMS.values():
        assert f"`{suffix}`" in text, suffix
