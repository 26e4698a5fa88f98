"""Receive authnotify's forwarded events in Python.

With the Standard Webhooks library installed (pip install standardwebhooks) it verifies with that;
without it, with the ten lines of the standard library below, which do what the specification says.
Run: AUTHNOTIFY_WEBHOOK_SECRET=whsec_... PORT=3003 python3 consumer.py
"""
import base64
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ.get("AUTHNOTIFY_WEBHOOK_SECRET", "")

try:
    from standardwebhooks.webhooks import Webhook

    def verify(body: bytes, headers) -> dict:
        return Webhook(SECRET).verify(body, dict(headers))

except ImportError:

    def verify(body: bytes, headers) -> dict:
        msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
        if abs(time.time() - int(timestamp)) > 300:
            raise ValueError("timestamp out of tolerance (a replay?)")
        key = base64.b64decode(SECRET.removeprefix("whsec_"))
        signed = f"{msg_id}.{timestamp}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        offered = [s[3:] for s in headers["webhook-signature"].split(" ") if s.startswith("v1,")]
        if not any(hmac.compare_digest(expected, s) for s in offered):
            raise ValueError("no signature matches")
        return json.loads(body)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            event = verify(body, self.headers)
        except Exception:
            self.send_response(400)
            self.end_headers()
            return
        # event["data"]["version"] orders one authorization's events; webhook-id repeats on retries.
        print(event["type"], event["data"].get("id", ""), event["data"].get("status", ""), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "3003"))), Handler).serve_forever()
