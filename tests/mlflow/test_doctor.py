"""doctor against the real MLflow server: reachable, authorised, its version, what it holds."""

from tests.doctor_support import doctor, found


def test_doctor_checks_the_real_mlflow_server(tmp_path, capsys, mlflow_server, mlflow_experiment):
    experiment_id, experiment_name = mlflow_experiment
    mlflow_server.create_run(experiment_id)
    code, report = doctor(
        tmp_path,
        capsys,
        f'name = "mlflow"\nkind = "mlflow"\nurl = "{mlflow_server.url}"\nexperiments = ["{experiment_name}"]\n',
    )
    assert code == 0, report
    assert report["reachable"] and report["authorised"]
    assert report["version"] == mlflow_server.server_version()
    assert found(report, "runs") == 1


def test_doctor_fails_on_an_unknown_experiment(tmp_path, capsys, mlflow_server):
    code, report = doctor(
        tmp_path,
        capsys,
        f'name = "mlflow"\nkind = "mlflow"\nurl = "{mlflow_server.url}"\nexperiments = ["no-such-experiment"]\n',
    )
    assert code == 1
    assert report["reachable"] and not report["ok"]
    assert "no-such-experiment" in report["message"]
