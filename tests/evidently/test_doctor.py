"""doctor against the real Evidently UI."""

from tests.doctor_support import doctor, found


def test_doctor_checks_the_real_evidently_ui(tmp_path, capsys, evidently_server):
    code, report = doctor(tmp_path, capsys, f'name = "ev"\nkind = "evidently"\nurl = "{evidently_server.url}"\n')
    assert code == 0, report
    assert report["reachable"] and report["authorised"]
    assert report["version"] == evidently_server.version
    assert found(report, "drift") > 0
