"""collectstatic at every ./run.sh start compresses only files that changed."""

import os

import pytest

from aggregator.staticstorage import FreshCompressor

pytestmark = pytest.mark.one_pass


def test_a_file_compressed_before_is_not_compressed_again(tmp_path, monkeypatch):
    source = tmp_path / "app.js"
    source.write_text("function hello() { return 'hello'; }\n" * 200)
    compressor = FreshCompressor(quiet=True)
    first = compressor.compress(str(source))
    assert sorted(first) == [str(source) + ".br", str(source) + ".gz"]

    def refuse(data):
        raise AssertionError("compressed again")

    monkeypatch.setattr(FreshCompressor, "compress_brotli", staticmethod(refuse))
    assert sorted(compressor.compress(str(source))) == sorted(first)

    # A changed file (collectstatic copies it again: a new mtime) is compressed again.
    source.write_text("changed " * 500)
    os.utime(source, (1, 1))
    monkeypatch.undo()
    compressor.compress(str(source))
    assert os.stat(str(source) + ".br").st_mtime == 1
