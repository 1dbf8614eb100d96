"""The pure parts of the benchmark harness (tests/bench): reading wrk, the results' shape, counting rows; no server."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
import xlsxwriter

from tests.bench import exports, load, pdfs, report
from tests.bench.seed_applications import storage_key

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40123/coordination/applications/?round=1
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   231.45ms   60.12ms   1.07s    81.25%
    Req/Sec    17.50      6.12    30.00     70.00%
  Latency Distribution
     50%  218.53ms
     75%  250.00ms
     90%  300.10ms
     99%    1.07s
  343 requests in 10.04s, 25.95MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:     34.16
Transfer/sec:      2.59MB
"""


def test_wrk_report_is_read():
    result = load.parse_wrk(WRK_OUTPUT)
    assert result.rps == pytest.approx(34.16)
    assert result.p50_ms == pytest.approx(218.53)
    assert result.p99_ms == pytest.approx(1070.0)
    assert result.requests == 343
    assert result.errors == 6


def test_wrk_durations_in_every_unit():
    assert load.milliseconds("640.00us") == pytest.approx(0.64)
    assert load.milliseconds("5.80ms") == pytest.approx(5.8)
    assert load.milliseconds("1.07s") == pytest.approx(1070.0)
    assert load.milliseconds("1.50m") == pytest.approx(90_000.0)
    with pytest.raises(ValueError):
        load.milliseconds("fast")


def test_wrk_without_completed_requests_has_no_latencies():
    output = "  0 requests in 10.00s, 0.00B read\nRequests/sec:      0.00\nTransfer/sec:       0.00B\n"
    result = load.parse_wrk(output)
    assert result.rps == 0 and result.requests == 0
    assert math.isnan(result.p50_ms) and math.isnan(result.p99_ms)


def test_wrk_failure_is_an_error():
    with pytest.raises(ValueError):
        load.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def _results() -> dict:
    runs = [load.parse_wrk(WRK_OUTPUT.replace("34.16", rps)) for rps in ("30.0", "34.0", "40.0")]
    limit = [load.parse_wrk(WRK_OUTPUT.replace("34.16", "100.0"))] * 3
    routes = [
        report.route_entry("list", "/coordination/applications/?round=1", runs, 4, 75_000),
        report.route_entry("staff_record", "/coordination/applications/1", [], None, None),
        report.route_entry("ceiling", "/_bench/ceiling", limit, 0, 2),
        report.route_entry("render_limit", "/_bench/render-limit", limit, 0, 75_000),
    ]
    report.add_ratios(routes)
    export = {"name": "export_csv", "rows": 20000, "seconds": 0.4, "first_byte_ms": 12.0, "peak_heap_mb_above_idle": 3}
    return {"machine": "CPU, 2 cores, 8.0 GiB", "database": "sqlite 3.40.1", "routes": routes, "exports": [export]}


def test_routes_report_medians_and_the_ratio_to_the_render_limit():
    results = _results()
    first, skipped = results["routes"][0], results["routes"][1]
    assert first["rps"] == 34.0
    assert first["ratio_to_render_limit"] == 0.34
    assert skipped["rps"] is None and skipped["ratio_to_render_limit"] is None


def test_results_have_the_agreed_shape(tmp_path):
    results = _results()
    assert report.problems(results) == []
    path = tmp_path / "results" / "latest.json"
    report.write(results, path)
    written = json.loads(path.read_text())
    assert list(written) == ["machine", "database", "routes", "exports"]
    assert [list(route) for route in written["routes"]] == [list(report.ROUTE_KEYS)] * 4
    assert list(written["exports"][0]) == list(report.EXPORT_KEYS)


def test_results_of_another_shape_are_refused(tmp_path):
    results = _results()
    results["routes"] = [route for route in results["routes"] if route["name"] != "render_limit"]
    results["exports"][0]["memory"] = 1
    found = report.problems(results)
    assert any("render_limit" in problem for problem in found)
    assert any("export keys" in problem for problem in found)
    with pytest.raises(ValueError):
        report.write(results, tmp_path / "latest.json")


def test_table_names_every_route_and_export():
    printed = report.table(_results(), {"staff_record": "skipped: answers 404"}, "make bench")
    for name in ("list", "staff_record", "ceiling", "render_limit", "export_csv", "skipped: answers 404"):
        assert name in printed


def test_rows_are_counted_in_each_download():
    csv_body = '\ufeffReference,Name\nIPK-1,"Wang,\nXiaoming"\nIPK-2,王小明\n'.encode()
    assert exports.csv_rows(csv_body) == 2
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for row in range(4):
        sheet.write_row(row, 0, ["a", row])
    workbook.close()
    assert exports.xlsx_rows(buffer.getvalue()) == 3
    assert exports.pdf_pages(pdfs.small_pdf()) == 1


def test_seeded_storage_keys_look_like_the_portals():
    keys = {storage_key(n) for n in range(1, 500)}
    assert len(keys) == 499
    assert all(re.fullmatch(r"[a-f0-9]{2}/[a-f0-9]{2}/[a-f0-9]{40}\.pdf", key) for key in keys)
    assert all(key.split("/")[2].startswith(key[:2] + key[3:5]) for key in keys)
