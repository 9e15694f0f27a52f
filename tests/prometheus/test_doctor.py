"""doctor against the real Prometheus."""

from tests.doctor_support import doctor, found


def test_doctor_checks_the_real_prometheus(tmp_path, capsys, prometheus_server):
    code, report = doctor(tmp_path, capsys, f'name = "prom"\nkind = "prometheus"\nurl = "{prometheus_server.url}"\n')
    assert code == 0, report
    assert report["reachable"] and report["authorised"]
    assert report["version"] == prometheus_server.version
    assert found(report, "drift") > 0
