"""The digits demo's command line: clear errors for bad flags, the report
lines, and a progress bar that counts batches and stays off in pipes."""
import io
import os
import socket

import pytest

from cytensor.examples import digits

pytest.importorskip("sklearn")
pytest.importorskip("tqdm")


def usage_error(capsys, argv):
    """The message argparse prints for ``argv`` (it exits with status 2)."""
    with pytest.raises(SystemExit) as exit_info:
        digits.parse_args(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("flag, value, expected", [
    ("--epochs", "0", "argument --epochs: must be a whole number greater than 0, got 0"),
    ("--epochs", "-3", "argument --epochs: must be a whole number greater than 0, got -3"),
    ("--epochs", "2.5", "argument --epochs: must be a whole number, got '2.5'"),
    ("--batch-size", "0", "argument --batch-size: must be a whole number greater than 0"),
    ("--lr", "0", "argument --lr: must be a number greater than 0, got 0"),
    ("--lr", "-0.1", "argument --lr: must be a number greater than 0, got -0.1"),
    ("--lr", "nan", "argument --lr: must be a number greater than 0, got nan"),
    ("--lr", "fast", "argument --lr: must be a number, got 'fast'"),
])
def test_non_positive_or_malformed_numbers_are_refused(capsys, flag, value, expected):
    assert expected in usage_error(capsys, [flag, value])


def test_a_missing_mnist_directory_names_the_files_looked_for(capsys, tmp_path):
    message = usage_error(capsys, ["--mnist", str(tmp_path / "nowhere")])
    assert "no such directory" in message
    for stem in digits.MNIST_FILES:
        assert f"{stem}.gz or {stem}" in message


def test_an_incomplete_mnist_directory_names_only_what_is_missing(capsys, tmp_path):
    for stem in digits.MNIST_FILES[:3]:
        (tmp_path / f"{stem}.gz").write_bytes(b"")
    message = usage_error(capsys, ["--mnist", str(tmp_path)])
    assert "MNIST files missing" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "train-images" not in message


def _openml_reachable():
    try:
        socket.create_connection(("www.openml.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(_openml_reachable(), reason="the network is up: would download 50 MB")
def test_fetching_mnist_without_network_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        digits.main(["--mnist", "--cache", str(tmp_path), "--out", str(tmp_path)])
    message = str(exit_info.value.code)
    assert "could not download MNIST from OpenML" in message and "--mnist DIR" in message


def test_report_lines_and_no_progress_bar_in_a_pipe(tmp_path, capsys):
    digits.main(["--model", "logreg", "--epochs", "1", "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert "\r" not in text                 # captured output is not a terminal
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("logreg:")]
    graph, step, compare, test_accuracy = lines
    assert 0 <= float(test_accuracy.split()[1]) <= 1
    nodes_before, nodes_after = (int(graph.split()[k]) for k in (2, 6))
    assert 0 < nodes_after < nodes_before
    assert "rewrites); compiled in" in graph and graph.endswith(" ms")
    assert step.startswith("logreg: training step") and step.endswith(" examples/s")
    assert "cytensor" in compare and "NumPy by hand" in compare and "x cytensor's" in compare
    assert os.listdir(tmp_path) and (tmp_path / "graph_logreg.png").exists()


class Terminal(io.StringIO):
    """Text output that says it is a terminal, so tqdm draws its bar."""

    def isatty(self):
        return True


def test_progress_bar_counts_batches_on_a_terminal(tmp_path, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    digits.main(["--model", "logreg", "--epochs", "2", "--batch-size", "100",
                 "--out", str(tmp_path)])
    text = terminal.getvalue()
    n_train = 1078                          # 60 % of the 1,797 digits
    n_batches = 2 * (n_train // 100)
    assert f"{n_batches}/{n_batches}" in text and "batch/s" in text
