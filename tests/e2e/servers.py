"""moto and a Prometheus remote_write receiver, in one process.

The receiver checks Signature Version 4 (service `aps`) with botocore's
signer, against the session credentials moto's STS handed out (it looks
them up in moto's own state, which is why both run here), rejects expired
credentials and signing times more than 5 minutes from its clock as Amazon
Managed Service for Prometheus does, then decodes the snappy-compressed
protobuf WriteRequest and counts the samples.

    python3 tests/e2e/servers.py MOTO_PORT RECEIVER_PORT

GET /stats on the receiver answers what it saw, as JSON. Both listen on
127.0.0.1 only.
"""

import datetime
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.server import ThreadedMotoServer
from moto.sts.models import sts_backends

MAX_SKEW = datetime.timedelta(minutes=5)
STATS = {"writes": 0, "samples": 0, "series": [], "access_keys": [], "rejected": {}}
LOCK = threading.Lock()


# --- snappy (raw format) and protobuf, just what a WriteRequest needs ---

def varint(data, pos):
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def snappy_decompress(data):
    length, pos = varint(data, 0)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
            n += 1
            out += data[pos:pos + n]
            pos += n
            continue
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            n = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 2], "little")
            pos += 2
        else:
            n = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise ValueError("bad snappy copy offset")
        for _ in range(n):
            out.append(out[-offset])
    if len(out) != length:
        raise ValueError("snappy length mismatch")
    return bytes(out)


def fields(data):
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(data, pos)
            value, pos = data[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, value


def decode_write_request(data):
    """[(labels dict, [(value, timestamp ms)])] of a WriteRequest."""
    import struct
    series = []
    for number, ts in fields(data):
        if number != 1:
            continue
        labels, samples = {}, []
        for n, value in fields(ts):
            if n == 1:
                label = dict(fields(value))
                labels[label.get(1, b"").decode()] = label.get(2, b"").decode()
            elif n == 2:
                sample = dict(fields(value))
                v = struct.unpack("<d", sample.get(1, b"\0" * 8))[0]
                samples.append((v, sample.get(2, 0)))
        series.append((labels, samples))
    return series


# --- the receiver ---

def find_session(access_key):
    for regions in sts_backends.values():
        for backend in regions.values():
            for role in backend.assumed_roles:
                if role.access_key_id == access_key:
                    return role
    return None


def parse_authorization(value):
    scheme, _, rest = value.partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        return None
    parts = {}
    for item in rest.split(","):
        k, _, v = item.strip().partition("=")
        parts[k] = v
    try:
        key, date, region, service, term = parts["Credential"].split("/")
    except (KeyError, ValueError):
        return None
    return key, date, region, service, term, parts.get("SignedHeaders", ""), parts.get("Signature", "")


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", error_type=None):
        self.send_response(status)
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reject(self, status, code, message):
        with LOCK:
            STATS["rejected"][code] = STATS["rejected"].get(code, 0) + 1
        self.reply(status, json.dumps({"message": message}).encode(), code)

    def do_GET(self):
        if self.path == "/stats":
            with LOCK:
                self.reply(200, json.dumps(STATS).encode())
        else:
            self.reply(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        auth = parse_authorization(self.headers.get("authorization", ""))
        if auth is None:
            return self.reject(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        key, date, region, service, term, signed, signature = auth
        if service != "aps" or term != "aws4_request":
            return self.reject(403, "InvalidSignatureException", "Credential should be scoped to aps")
        session = find_session(key)
        if session is None:
            return self.reject(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
        now = datetime.datetime.now(datetime.timezone.utc)
        expiration = session.expiration.replace(tzinfo=datetime.timezone.utc)
        if expiration <= now:
            return self.reject(403, "ExpiredTokenException", "The security token included in the request is expired")
        if self.headers.get("x-amz-security-token") != session.session_token:
            return self.reject(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
        amz_date = self.headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return self.reject(400, "IncompleteSignatureException", "X-Amz-Date is missing or malformed")
        fmt = "%Y%m%dT%H%M%SZ"
        if when < now - MAX_SKEW:
            return self.reject(403, "InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - 5 min.)" % (amz_date, (now - MAX_SKEW).strftime(fmt), now.strftime(fmt)))
        if when > now + MAX_SKEW:
            return self.reject(403, "InvalidSignatureException", "Signature not yet current: %s is still later than %s (%s + 5 min.)" % (amz_date, (now + MAX_SKEW).strftime(fmt), now.strftime(fmt)))
        headers = {}
        for name in signed.split(";"):
            if name == "host":
                headers["host"] = self.headers.get("host", "")
            elif name in self.headers:
                headers[name] = self.headers.get(name)
            else:
                return self.reject(403, "InvalidSignatureException", "a signed header is missing: %s" % name)
        request = AWSRequest(method="POST", url="http://%s%s" % (headers.get("host", ""), self.path), data=body, headers=headers)
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(key, session.secret_access_key, session.session_token), "aps", region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, signature):
            return self.reject(403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
        try:
            series = decode_write_request(snappy_decompress(body))
        except (ValueError, IndexError) as e:
            return self.reject(400, "ValidationException", "cannot decode the WriteRequest: %s" % e)
        with LOCK:
            STATS["writes"] += 1
            STATS["samples"] += sum(len(s) for _, s in series)
            for labels, samples in series:
                STATS["series"].append({"labels": labels, "samples": samples})
            if key not in STATS["access_keys"]:
                STATS["access_keys"].append(key)
        self.reply(200)


def main():
    moto_port, receiver_port = int(sys.argv[1]), int(sys.argv[2])
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    server = ThreadingHTTPServer(("127.0.0.1", receiver_port), Receiver)
    try:
        server.serve_forever()
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
