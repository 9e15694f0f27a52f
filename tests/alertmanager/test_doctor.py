"""doctor against the real Alertmanager."""

from tests.doctor_support import doctor, found


def test_doctor_checks_the_real_alertmanager(tmp_path, capsys, alertmanager_server, alertmanager_case):
    case = alertmanager_case
    case.post(case.alert("ModelDown", "critical", "fraud", "fraud-prod"))
    code, report = doctor(
        tmp_path,
        capsys,
        f'name = "am"\nkind = "alertmanager"\nurl = "{alertmanager_server.url}"\nfilters = [\'{case.filter}\']\n',
    )
    assert code == 0, report
    assert report["reachable"] and report["authorised"]
    assert report["version"] == alertmanager_server.version
    assert found(report, "alerts") == 1
