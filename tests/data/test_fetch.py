"""`artifact data fetch` against an HTTP server on 127.0.0.1: download, resume with Range,
checksum mismatch, and never a half file where the data should be."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.data.fetch import fetch_official
from artifact.data.spec import Pin
from artifact.errors import ChecksumError, DataError
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
