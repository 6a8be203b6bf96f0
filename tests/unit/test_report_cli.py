"""`payconsole report` on the fixed ledger: the stable JSON, CSV, text, and no network."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from peewee import Database

from console.cli import main
from ledger.analytics_holds import HOLD_FIELDS
from ledger.report import REPORT_FIELDS
from tests.helpers import at, fill, hold

NOVEMBER = ["--as-of", "2026-11-30", "--days", "30"]
NO_HOLDS = dict.fromkeys(HOLD_FIELDS, 0)


def report(cli: list[str], capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["report", *cli, *NOVEMBER, *args]) == 0
    return capsys.readouterr().out


def test_json_has_exactly_the_stable_keys(
    cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(report(cli, capsys, "--format", "json"))
    assert document.keys() == {"period", "currencies"}
    assert document["period"] == {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    assert list(document["currencies"]) == ["eur", "jpy", "kwd", "usd"]
    for figures in document["currencies"].values():
        assert tuple(figures) == REPORT_FIELDS
    assert document["currencies"]["usd"] == {
        "gross": 19550, "refunded": 3500, "net": 13500, "fees": 0, "dispute_withdrawn": 0,
        "net_after_fees": 16050, "payments_succeeded": 4,
        "payments_attempted": 6, "success_rate": 0.6667, "refund_rate": 0.179,
        "dispute_rate": 0.5, "early_fraud_warnings": 2, "efw_refunded_share": 0.0,
        **NO_HOLDS,
    }
    assert document["currencies"]["eur"]["refund_rate"] is None
    assert document["currencies"]["eur"]["efw_refunded_share"] is None


def test_json_for_one_currency(cli: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(report(cli, capsys, "--format", "json", "--currency", "JPY"))
    assert document["currencies"] == {"jpy": {
        "gross": 4500, "refunded": 500, "net": 4000, "fees": 0, "dispute_withdrawn": 0,
        "net_after_fees": 4000, "payments_succeeded": 2,
        "payments_attempted": 3, "success_rate": 0.6667, "refund_rate": 0.1111,
        "dispute_rate": 0.5, "early_fraud_warnings": 0, "efw_refunded_share": None,
        **NO_HOLDS,
    }}


def test_csv_is_one_row_per_currency(cli: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(report(cli, capsys, "--format", "csv"))))
    assert [row["currency"] for row in rows] == ["eur", "jpy", "kwd", "usd"]
    assert rows[2] == {
        "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z",
        "currency": "kwd", "gross": "12345", "refunded": "0", "net": "0", "fees": "0",
        "dispute_withdrawn": "0", "net_after_fees": "12345",
        "payments_succeeded": "1", "payments_attempted": "1", "success_rate": "1.0",
        "refund_rate": "0.0", "dispute_rate": "1.0", "early_fraud_warnings": "0",
        "efw_refunded_share": "", **dict.fromkeys(HOLD_FIELDS, "0"),
    }
    assert rows[0]["refund_rate"] == ""  # nothing to divide by


def test_text_formats_amounts_per_currency(
    cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = report(cli, capsys)
    assert text.startswith("Payments 2026-11-01 to 2026-11-30 (30 days, UTC;")
    assert "gross 195.50 USD (+388.8%)" in text  # against 40.00 USD in October
    assert "net 135.00 USD" in text
    assert "gross 4,500 JPY (new)" in text
    assert "disputes lost 12.345 KWD" in text
    assert "payments 4 succeeded of 6 attempted" in text
    assert "success rate 66.7% (-33.33 pp)" in text
    assert "average payment 48.88 USD" in text
    assert "dispute rate 50.00%" in text and "Visa 0.9%: over" in text
    assert "average payment n/a" in text  # EUR: nothing succeeded
    assert "early fraud warnings 2 (0.0% refunded)" in text


def test_holds_in_json_csv_and_text(
    cli: list[str], fixed_ledger: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    soon = int(time.time()) + 3600  # what is held is as of the time now
    fill(fixed_ledger, [
        hold("pi_h1", soon - 6 * 86_400, 5000, capture_before=soon),
        hold("pi_h2", at(3), 2500, status="canceled", reason="automatic",
             capture_before=at(10)),
        hold("pi_h3", at(20, month=10), 1000, capture_before=at(25, month=10)),  # October's
        hold("pi_h4", at(28, month=10), 700, "gbp"),  # lapsed on November 4th, still held
        hold("pi_h5", at(5), 900, status="succeeded", capture_before=at(12)),  # captured
    ])
    currencies = json.loads(report(cli, capsys, "--format", "json"))["currencies"]
    assert list(currencies) == ["eur", "gbp", "jpy", "kwd", "usd"]
    assert {name: currencies["usd"][name] for name in HOLD_FIELDS} == {
        "authorized_not_captured": 1, "authorized_not_captured_amount": 5000,
        "authorized_lapsing_24h": 1, "authorized_lapsing_24h_amount": 5000,
        "holds_lapsed": 1, "holds_lapsed_amount": 2500,
    }
    assert currencies["gbp"] == {**currencies["gbp"], "gross": 0, "success_rate": None,
                                 **NO_HOLDS, "holds_lapsed": 1, "holds_lapsed_amount": 700}
    rows = list(csv.DictReader(io.StringIO(report(cli, capsys, "--format", "csv"))))
    assert (rows[1]["currency"], rows[1]["holds_lapsed_amount"]) == ("gbp", "700")
    text = report(cli, capsys)
    assert "  authorized not captured 1, 50.00 USD (1 lapsing within 24 h, 50.00 USD)\n" \
           "  holds lapsed 1 (+0.0%), 25.00 USD (+150.0%)\n" in text  # 1, 10.00 USD before
    assert "GBP\n  gross 0.00 GBP (-)" in text
    assert "  holds lapsed 1 (new), 7.00 GBP (new)" in text
    assert "  authorized not captured 0, 0 JPY (0 lapsing within 24 h, 0 JPY)" in text


def test_output_file_and_an_empty_period(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    args = ["report", *cli, "--as-of", "2025-01-01", "--format", "json", "--output", str(out)]
    assert main(args) == 0
    assert json.loads(out.read_text())["currencies"] == {}
    assert "No payments" in report(cli, capsys, "--as-of", "2025-01-01")


def test_bad_input_exits_2(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", *cli, "--currency", "dollars"]) == 2
    assert "three-letter" in capsys.readouterr().err
    assert main(["report", "--ledger", str(tmp_path / "absent.db")]) == 2
    assert "no ledger" in capsys.readouterr().err
    for bad in (["--days", "0"], ["--as-of", "30/11/2026"], ["--format", "xml"]):
        with pytest.raises(SystemExit) as exited:
            main(["report", *cli, *bad])
        assert exited.value.code == 2


def test_report_never_touches_the_network_or_stripe(cli: list[str], tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import socket, sys
        def refuse(*args, **kwargs):
            raise AssertionError("report opened a socket")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from console.cli import main
        code = main(["report", *{cli!r}, "--format", "json"])
        assert code == 0, code
        assert "stripe" not in sys.modules, "report imported stripe"
    """)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2], check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["period"]
