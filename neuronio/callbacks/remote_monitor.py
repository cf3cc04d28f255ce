"""RemoteMonitor: POST each epoch's logs to a server, as Keras's `callbacks.RemoteMonitor`."""

import json
import warnings

import numpy as np

from neuronio.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """Send `{"epoch": epoch, **logs}` to `root + path` at the end of every epoch.

    Args:
        root: the server's URL ("http://localhost:9000").
        path: the path the events are posted to.
        field: with send_as_json=False, the form field whose value is the JSON text.
        headers: extra HTTP headers (a dict).
        send_as_json: post the JSON itself (`Content-Type: application/json`) instead of a form.

    A server that cannot be reached gives a warning, not an error: training goes on.
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):  # fmt: skip
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers = dict(headers or {})
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        import urllib.error  # ~20 ms with urllib.request: imported when the first epoch ends
        import urllib.request

        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        headers = dict(self.headers)
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers["Content-Type"] = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            warnings.warn(
                f"RemoteMonitor: could not reach the server at {self.root}{self.path} ({exc}); training continues.",
                stacklevel=2,
            )
