"""A model server that misbehaves on purpose, on 127.0.0.1.

It answers `/metadata` like TF Serving for a tiny model (`z` of width 2 to
2x2x1 images; `sample` from int32 seeds) and every `:predict` with the
reply the test set: raw bytes, sent at once or one byte at a time. It
reads at most `MAX_REQUEST_BYTES` of a request.
"""

import json
import socketserver
import threading
import time

MAX_REQUEST_BYTES = 1 << 20
IMAGE_SHAPE = (2, 2, 1)


def info(dtype, *dims):
    """A tensor's entry in TF Serving's JSON metadata."""
    return {
        "dtype": dtype,
        "tensor_shape": {"dim": [{"size": str(d)} for d in dims]},
    }


METADATA = {
    "model_spec": {"name": "tiny", "version": "1"},
    "metadata": {
        "signature_def": {
            "signature_def": {
                name: {
                    "method_name": "tensorflow/serving/predict",
                    "inputs": {key: info(dtype, *dims)},
                    "outputs": {"images": info("DT_FLOAT", -1, *IMAGE_SHAPE)},
                }
                for name, key, dtype, dims in [
                    ("serving_default", "z", "DT_FLOAT", (-1, 2)),
                    ("sample", "seed", "DT_INT32", (-1,)),
                ]
            }
        }
    },
}


def http_reply(body, status="200 OK", length=None):
    """An HTTP/1.0 reply with `body` (bytes), its Content-Length `length`
    (default: the body's; `False`: none, the end of the body is the end of
    the connection)."""
    head = f"HTTP/1.0 {status}\r\nContent-Type: application/json\r\n"
    if length is not False:
        head += f"Content-Length: {len(body) if length is None else length}\r\n"
    return head.encode() + b"\r\n" + body


def json_reply(value):
    return http_reply(json.dumps(value).encode())


class HostileServer:
    """Serves `reply` (bytes) to every `:predict`; `drip` seconds between
    its bytes when set. `url` is the server's address."""

    def __init__(self):
        self.reply = json_reply({"outputs": []})
        self.drip = None
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                reply, drip = server.reply, server.drip
                request = _read_request(self.request)
                if request is None:
                    return
                if b"/metadata" in request.split(b"\r\n", 1)[0]:
                    self.request.sendall(json_reply(METADATA))
                    return
                try:
                    if drip is None:
                        self.request.sendall(reply)
                        return
                    for i in range(len(reply)):
                        self.request.sendall(reply[i : i + 1])
                        time.sleep(drip)
                except OSError:
                    pass  # the client hung up, as it should

        socketserver.ThreadingTCPServer.daemon_threads = True
        self._server = socketserver.ThreadingTCPServer(
            ("127.0.0.1", 0), Handler
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def _read_request(connection):
    """The request's bytes (head and body), or None past the size bound."""
    connection.settimeout(10)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk or len(data) > MAX_REQUEST_BYTES:
                return None
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length > MAX_REQUEST_BYTES:
            return None
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            body += chunk
    except (OSError, ValueError):
        return None
    return head + b"\r\n\r\n" + body
