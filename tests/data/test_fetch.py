"""`artifact data fetch` against an HTTP server on 127.0.0.1: download, resume with Range,
checksum mismatch, and never a half file where the data should be."""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.data import spec as spec_module
from artifact.data.fetch import fetch_official
from artifact.data.hashing import check_pin, digest_file
from artifact.data.prepare import prepare_dataset, read_manifest
from artifact.data.spec import DSPRITES, Pin
from artifact.errors import ChecksumError, DataError, ExitCode
from tests.helpers import paper_config, write_params
from tests.helpers.official_files import install_small_spec, md5_of, small_spec, write_dsprites_npz


class Server:
    """Serves one file; can break the first response after `break_after` bytes, or ignore
    Range headers. Records the Range header of each request."""

    def __init__(self, payload: bytes):
        self.payload, self.break_after, self.honour_range, self.ranges = payload, None, True, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/file":
                    self.send_error(404, "Not Found")
                    return
                header = self.headers.get("Range")
                server.ranges.append(header)
                start = (
                    int(header.removeprefix("bytes=").rstrip("-"))
                    if header and server.honour_range
                    else 0
                )
                body = server.payload[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header(
                        "Content-Range",
                        f"bytes {start}-{len(server.payload) - 1}/{len(server.payload)}",
                    )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.break_after is not None:
                    body, server.break_after = body[: server.break_after], None
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/file"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path):
    source = write_dsprites_npz(tmp_path / "source.npz")
    server = Server(source.read_bytes())
    yield server, source
    server.close()


def test_fetch_downloads_verifies_md5_and_puts_the_file_in_place(served, tmp_path):
    server, source = served
    spec = small_spec("dsprites", Pin(md5=md5_of(source)))
    fetched = fetch_official(spec, tmp_path / "data", url=server.url, show_progress=False)
    assert fetched.path == tmp_path / "data" / spec.filename and fetched.downloaded
    assert fetched.path.read_bytes() == source.read_bytes() and fetched.status == "md5 verified"
    assert not (tmp_path / "data" / f"{spec.filename}.part").exists()


def test_fetch_resumes_a_broken_download_with_a_range_request(served, tmp_path):
    server, source = served
    spec = small_spec("dsprites", Pin(md5=md5_of(source)))
    server.break_after = 1000
    with pytest.raises(DataError, match="rerun `artifact data fetch` to resume"):
        fetch_official(spec, tmp_path, url=server.url, show_progress=False)
    part = tmp_path / f"{spec.filename}.part"
    assert part.stat().st_size == 1000 and not (tmp_path / spec.filename).exists()
    fetched = fetch_official(spec, tmp_path, url=server.url, show_progress=False)
    assert server.ranges == [None, "bytes=1000-"]
    assert fetched.path.read_bytes() == source.read_bytes() and not part.exists()


def test_fetch_restarts_when_the_server_ignores_range(served, tmp_path):
    server, source = served
    spec = small_spec("dsprites", Pin(md5=md5_of(source)))
    (tmp_path / f"{spec.filename}.part").write_bytes(source.read_bytes()[:500])
    server.honour_range = False
    fetched = fetch_official(spec, tmp_path, url=server.url, show_progress=False)
    assert fetched.path.read_bytes() == source.read_bytes()


def test_a_checksum_mismatch_names_both_hashes_and_leaves_no_file(served, tmp_path):
    server, source = served
    spec = small_spec("dsprites", Pin(md5="0" * 32))
    with pytest.raises(ChecksumError) as error:
        fetch_official(spec, tmp_path, url=server.url, show_progress=False)
    message = str(error.value)
    assert spec.filename in message and "0" * 32 in message and md5_of(source) in message
    assert list(tmp_path.glob(f"{spec.filename}*")) == []


def test_an_unpinned_download_that_is_not_the_official_layout_is_removed(tmp_path):
    server = Server(b"<html>rate limited</html>")
    try:
        with pytest.raises(DataError, match="corrupt or truncated"):
            fetch_official(small_spec("dsprites"), tmp_path, url=server.url, show_progress=False)
    finally:
        server.close()
    assert list(tmp_path.iterdir()) == []


def test_a_present_verified_file_is_not_downloaded_again(served, tmp_path):
    server, source = served
    spec = small_spec("dsprites", Pin(md5=md5_of(source)))
    fetch_official(spec, tmp_path, url=server.url, show_progress=False)
    again = fetch_official(spec, tmp_path, url=server.url, show_progress=False)
    assert not again.downloaded and len(server.ranges) == 1


def test_http_errors_are_one_sentence(served, tmp_path):
    server, _ = served
    with pytest.raises(DataError, match="answered HTTP 404"):
        fetch_official(
            small_spec("dsprites"),
            tmp_path,
            url=server.url.replace("/file", "/nope"),
            show_progress=False,
        )


def test_cli_fetch_prints_the_sha256_to_pin(served, tmp_path, monkeypatch):
    server, source = served
    spec = install_small_spec(monkeypatch, "dsprites", Pin(md5=md5_of(source)))
    result = CliRunner().invoke(
        app, ["data", "fetch", "dsprites", "--dir", str(tmp_path), "--url", server.url]
    )
    assert result.exit_code == 0, result.output
    assert "md5 verified" in result.output and "pin it" in result.output
    assert Path(tmp_path / spec.filename).read_bytes() == source.read_bytes()


def test_cli_fetch_mismatch_exits_3_with_one_line(served, tmp_path, monkeypatch):
    server, _ = served
    install_small_spec(monkeypatch, "dsprites", Pin(md5="0" * 32))
    result = CliRunner().invoke(
        app, ["data", "fetch", "dsprites", "--dir", str(tmp_path), "--url", server.url]
    )
    lines = result.output.strip().splitlines()  # a progress bar (stderr), then the error
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert lines[-1].startswith("error: ") and "0" * 32 in lines[-1] and "expected" in lines[-1]


def _git_hash_object(data: bytes) -> str:
    """What `git hash-object` prints: sha1 of the blob header and the content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_the_git_blob_id_is_what_git_hash_object_prints_and_is_held_to(tmp_path):
    path = write_dsprites_npz(tmp_path / "x.npz")
    digest = digest_file(path)
    assert digest.git_blob == _git_hash_object(path.read_bytes())
    assert check_pin(path, digest, Pin(git_blob=digest.git_blob), "x") == "git blob verified"
    with pytest.raises(ChecksumError, match=f"git blob {digest.git_blob} but {'0' * 40}"):
        check_pin(path, digest, Pin(git_blob="0" * 40), "x")


def test_dsprites_is_pinned_to_its_blob_id_in_the_dsprites_repository():
    # First-hand: the npz's object id in github.com/deepmind/dsprites-dataset (shared DATA.md).
    assert DSPRITES.pin.git_blob == "d98996d3f8ee1550e06b9d4ed78d0beb478910d5"
    assert DSPRITES.url.startswith("https://github.com/deepmind/dsprites-dataset/raw/master/")


def test_prepare_with_fetch_downloads_a_missing_official_file_then_verifies_it(
    served, tmp_path, monkeypatch
):
    server, source = served
    cfg = paper_config("paper")  # resolved with the real sizes, before the small spec is in
    pin = Pin(git_blob=_git_hash_object(source.read_bytes()))
    spec = replace(small_spec("dsprites", pin), url=server.url)
    monkeypatch.setitem(spec_module.SPECS, "dsprites", spec)
    assert cfg.data.source == "official"  # auto at the paper profile
    folder = prepare_dataset("dsprites", cfg.data, tmp_path, fetch=True)
    assert (tmp_path / "official" / spec.filename).read_bytes() == source.read_bytes()
    manifest = read_manifest(folder)
    assert manifest["official"]["pin_status"] == "git blob verified" and server.ranges == [None]
    prepare_dataset("dsprites", cfg.data, tmp_path, fetch=True)  # present: not downloaded again
    assert server.ranges == [None]


def _closed_port_url() -> str:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/file"


def test_reproduce_offline_stops_at_once_with_one_sentence_saying_what_to_do(
    tmp_path, monkeypatch
):
    url = _closed_port_url()
    monkeypatch.setitem(spec_module.SPECS, "dsprites", replace(DSPRITES, url=url))
    params = write_params(tmp_path)
    result = CliRunner().invoke(
        app, ["reproduce", "--profile", "smoke", "--data", "official", "--device", "cpu",
              "--params", str(params)],
    )  # fmt: skip
    assert result.exit_code == ExitCode.DATA, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: ") and "Traceback" not in result.output
    hand = tmp_path / "data" / "official" / spec_module.DSPRITES.filename
    assert url in line and str(hand) in line
    assert "--data procedural" in line and "not_comparable" in line
    assert not (tmp_path / "results" / "runs").exists()  # nothing trained
