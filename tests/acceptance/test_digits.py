"""The digits demo (python -m cytensor.examples.digits) and its MNIST loader."""
import gzip
import os
import struct

import numpy as np
import pytest

from cytensor.examples import digits

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


def write_idx(path, array):
    """An IDX file of unsigned bytes, as MNIST ships them."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(
        ">" + "I" * array.ndim, *array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_idx_reader(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 4, 5))
    for name in ("a-idx3-ubyte", "b-idx3-ubyte.gz"):
        write_idx(str(tmp_path / name), images)
        np.testing.assert_array_equal(digits.read_idx(str(tmp_path / name)), images)
    (tmp_path / "bad").write_bytes(struct.pack(">HBBI", 0, 0x08, 1, 10) + b"12")
    with pytest.raises(ValueError, match="header says shape"):
        digits.read_idx(str(tmp_path / "bad"))


def test_demo_on_small_mnist_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for kind, n in (("train", 60), ("t10k", 20)):
        labels = rng.integers(0, 10, n)
        images = (rng.random((n, 28, 28)) * 60 + labels[:, None, None] * 19).astype(np.uint8)
        write_idx(str(tmp_path / f"{kind}-images-idx3-ubyte.gz"), images)
        write_idx(str(tmp_path / f"{kind}-labels-idx1-ubyte"), labels)
    out = tmp_path / "out"
    results = digits.main(["--mnist", str(tmp_path), "--model", "cnn", "--epochs", "1",
                           "--out", str(out)])
    assert 0 <= results["cnn"] <= 1
    assert "MNIST: 50 train, 10 validation, 20 test" in capsys.readouterr().out
    assert (out / "learning_curves.png").exists()


def test_demo_end_to_end_few_epochs(tmp_path, capsys):
    results = digits.main(["--epochs", "2", "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert set(results) == set(digits.MODELS)
    assert all(acc > 0.8 for acc in results.values()), results
    assert "epoch   2  train loss" in text and "validation accuracy" in text
    assert (tmp_path / "learning_curves.png").stat().st_size > 0
    for name in results:
        # the whole training graph, or one picture per layer (graph_cnn_1_conv_pool.png...)
        assert any(f.startswith((f"graph_{name}.", f"graph_{name}_1_"))
                   for f in os.listdir(tmp_path))


def test_default_demo_reaches_the_targets(tmp_path):
    """The README's command: default epochs, seed and split (about 25 s on 2 cores)."""
    results = digits.main(["--out", str(tmp_path)])
    assert results["logreg"] >= 0.93 and results["mlp"] >= 0.96 and results["cnn"] >= 0.97, \
        results
    assert results["rnn"] >= 0.95, results
