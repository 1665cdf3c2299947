#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target from the test vectors.

Run from the repository root: python3 fuzz/seeds.py
It rewrites fuzz/corpus/<target>/seed-* (and nothing else).
"""
import base64
import datetime
import hashlib
import hmac
import json
import pathlib
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITE = ROOT / "testdata/aws-signing-test-suite/v4"
VECTORS = json.loads((ROOT / "testdata/botocore/vectors.json").read_text())["vectors"]
CORPUS = ROOT / "fuzz/corpus"
SUITE_TIME = 1440938160  # 2015-08-30T12:36:00Z, the suite's signing time


def control(i, unix, expires):
    """The 16 control bytes of a request target (see fuzz/src/lib.rs)."""
    settings = i % 64            # every combination of the typed settings
    choice = (i * 7) % 256       # region, service, credential mode
    payload = i % 6
    return bytes([settings, choice, 0, payload]) + struct.pack("<Q", unix) + struct.pack("<I", expires)


def vector_text(v):
    lines = [f"{v['method']} {v['url']} HTTP/1.1"]
    lines += [f"{name}:{value}" for name, value in v["headers"]]
    return ("\n".join(lines) + "\n").encode()


def unix(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


def event_message(headers, payload):
    """An event stream message: prelude, prelude CRC, headers, payload, message CRC."""
    encoded = b""
    for name, type_byte, value in headers:
        encoded += bytes([len(name)]) + name + bytes([type_byte]) + value
    total = 16 + len(encoded) + len(payload)
    prelude = struct.pack(">II", total, len(encoded))
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event_seeds():
    """Messages for the decoder; envelopes and signing inputs for the verifier."""
    string = lambda text: struct.pack(">H", len(text)) + text
    audio = event_message([(b":message-type", 7, string(b"event")),
                           (b":event-type", 7, string(b"AudioEvent")),
                           (b":content-type", 7, string(b"application/octet-stream"))], b"\x00\x01" * 50)
    every_type = event_message([(b"t", 0, b""), (b"f", 1, b""), (b"b", 2, b"\xfd"), (b"s", 3, b"\xfe\xd4"),
                                (b"i", 4, struct.pack(">i", 70000)), (b"l", 5, struct.pack(">q", -1 << 40)),
                                (b"a", 6, string(b"\x00\xff")), (b"ts", 8, struct.pack(">q", 1700000000123)),
                                (b"u", 9, b"\x07" * 16)], b"payload")
    envelope = event_message([(b":chunk-signature", 6, string(b"\x5a" * 32)),
                              (b":date", 8, struct.pack(">q", 1700000000000))], audio)
    end = event_message([(b":chunk-signature", 6, string(b"\x5a" * 32)),
                         (b":date", 8, struct.pack(">q", 1700000001000))], b"")
    write("event_stream_decode", "empty", event_message([], b""))
    write("event_stream_decode", "audio", audio)
    write("event_stream_decode", "every-type", every_type)
    write("event_stream_decode", "stream", envelope + end)
    write("event_stream_verify", "envelopes", b"\x00" + envelope + end)
    for kind in range(5):
        write("event_stream_verify", f"change-{kind}", bytes([1, kind, 1, 3, 17, 0x80, 40]) + b"audio " * 30)


def main():
    for old in CORPUS.glob("*/seed-*"):
        old.unlink()
    suite = sorted(p for p in SUITE.iterdir() if (p / "request.txt").exists())
    # Every fifteenth botocore vector: header and query signing, every service.
    picked = VECTORS[::15]
    for target in ("canonical_request", "sign", "presign", "verify"):
        for i, case in enumerate(suite):
            text = (case / "request.txt").read_bytes()
            write(target, case.name, control(i, SUITE_TIME, 3600) + text)
        for i, v in enumerate(picked):
            expires = v["expires"] or 86400
            write(target, v["name"], control(i + 3, unix(v["time"]), expires) + vector_text(v))
        # Temporary credentials whose key and token come from the request.
        token = b"GET /?a=b HTTP/1.1\nHost:example.amazonaws.com\nx-fuzz-key:AKIDEXAMPLE\nx-fuzz-token:FwoGZXIvYXdzEXAMPLE/+=\n"
        write(target, "fuzz-token", bytes([0, 0x70, 0, 0]) + struct.pack("<Q", SUITE_TIME) + struct.pack("<I", 900) + token)
    for case in suite:
        write("request_text", case.name, (case / "request.txt").read_bytes())
    # SigV4a: the v4a suite's requests, unsigned and as its signers signed
    # them; its Authorization values, queries, signatures and region sets.
    v4a = sorted(p for p in (ROOT / "testdata/aws-signing-test-suite/v4a").iterdir() if p.is_dir())
    for i, case in enumerate(v4a):
        for name in ("request.txt", "header-signed-request.txt", "query-signed-request.txt"):
            stem = name.replace(".txt", "")
            write("v4a_verify", f"{case.name}-{stem}", control(i, SUITE_TIME, 3600) + (case / name).read_bytes())
    vanilla = ROOT / "testdata/aws-signing-test-suite/v4a/get-vanilla"
    header = (vanilla / "header-signed-request.txt").read_text()
    auth = header.split("Authorization:", 1)[1].split("\n", 1)[0]
    write("v4a_parsers", "authorization", auth.split(" ", 1)[1].encode())
    query = (vanilla / "query-signed-request.txt").read_text().split("?", 1)[1].split(" ", 1)[0]
    write("v4a_parsers", "query", query.encode())
    write("v4a_parsers", "signature", (vanilla / "header-signature.txt").read_text().strip().encode())
    for n, region_set in enumerate(["us-east-1,us-west-2", "*", "eu-*,ap-south-1"]):
        write("v4a_parsers", f"region-set-{n}", region_set.encode())
    key = json.loads((vanilla / "public-key.json").read_text())
    write("v4a_parsers", "public-key", bytes.fromhex("04" + key["X"] + key["Y"]))
    for v in picked[:20]:
        write("request_text", v["name"], vector_text(v) + b"\n" + v["body_base64"].encode())
    dates = sorted({v["time"] for v in VECTORS})
    for i, t in enumerate(dates):
        write("amz_date", f"rfc3339-{i}", t.encode())
        basic = t.replace("-", "").replace(":", "")
        write("amz_date", f"basic-{i}", basic.encode())
    for i, t in enumerate(["19700101T000000Z", "99991231T235959Z", "20240229T235959Z",
                           "20230229T000000Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                           "2015-08-30T12:36:00.123+02:00", "2015-08-30t12:36:00z"]):
        write("amz_date", f"edge-{i}", t.encode())
    hashes = sorted({v["expected"]["canonical_request"].rsplit("\n", 1)[1] for v in VECTORS})
    for i, h in enumerate(hashes[:16]):
        write("payload_hash", f"vector-{i}", h.encode())
    for name in ["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"]:
        write("payload_hash", name.lower(), name.encode())
    write("payload_hash", "upper", hashes[0].upper().encode())

    # The verifier's parsers: Authorization values and presigned queries as
    # the suite and botocore wrote them.
    for case in suite:
        for line in (case / "header-signed-request.txt").read_text().splitlines():
            if line.lower().startswith("authorization:"):
                write("auth_parsers", f"header-{case.name}", line.split(":", 1)[1].strip().encode())
        q = case / "query-signed-request.txt"
        if q.exists():
            target = q.read_text().splitlines()[0].split(" ", 1)[1].rsplit(" HTTP/", 1)[0]
            write("auth_parsers", f"query-{case.name}", target.split("?", 1)[1].encode())
    for v in picked[:10]:
        if v["expected"]["authorization"]:
            write("auth_parsers", v["name"], v["expected"]["authorization"].encode())
        if v["expected"]["signed_url"]:
            write("auth_parsers", v["name"], v["expected"]["signed_url"].split("?", 1)[1].encode())

    # Shared files: config, a 0xff byte, credentials (the AWS CLI's examples).
    config = (b"[default]\nregion = us-west-2\noutput = json\n\n"
              b"[profile user1]\nrole_arn = arn:aws:iam::123456789012:role/role-name\n"
              b"source_profile = default\nexternal_id = 123\nduration_seconds = 900\n\n"
              b"[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\n"
              b"web_identity_token_file = /var/run/token\n\n"
              b"[profile proc]\ncredential_process = /opt/bin/creds --profile x\n"
              b"s3 =\n  max_concurrent_requests = 20\n")
    creds = (b"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
             b"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
             b"# a comment\n; another\n[user1]\naws_access_key_id=AKID\naws_secret_access_key=s\n"
             b"aws_session_token=tok\n")
    write("credential_files", "both", config + b"\xff" + creds)
    write("credential_files", "config", config)
    write("credential_files", "credentials-only", b"\xff" + creds)

    # Credential documents: selector byte, then the body.
    expiry = b'"2026-01-01T00:00:00Z"'
    docs = {
        0: b'{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": ' + expiry + b'}',
        1: b'{"Code": "Success", "LastUpdated": "2026-01-01T00:00:00Z", "Type": "AWS-HMAC", "AccessKeyId": "ASIA", '
           b'"SecretAccessKey": "s", "Token": "t", "Expiration": ' + expiry + b'}',
        2: b'{"AccessKeyId": "ASIA", "SecretAccessKey": "s", "Token": "t", "Expiration": ' + expiry + b'}',
        3: b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
           b'<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey>'
           b'<SessionToken>t</SessionToken><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials>'
           b'</AssumeRoleResult></AssumeRoleResponse>',
        4: b'<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>'
           b'<AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>'
           b'<Expiration>2026-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>'
           b'</AssumeRoleWithWebIdentityResponse>',
        5: b'<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>',
        6: b'{"roleCredentials": {"accessKeyId": "ASIA", "secretAccessKey": "s", "sessionToken": "t", '
           b'"expiration": 1767225600000}}',
        7: b'{"accessToken": {"accessKeyId": "ASIA", "secretAccessKey": "s", "sessionToken": "t", '
           b'"accountId": "012345678901", "expiresAt": ' + expiry + b'}, "clientId": "c", '
           b'"refreshToken": "r", "dpopKey": "k"}',
        8: b'{"accessToken": "t", "expiresAt": ' + expiry + b', "refreshToken": "r", "clientId": "c", '
           b'"clientSecret": "s", "registrationExpiresAt": ' + expiry + b'}',
    }
    for selector, body in docs.items():
        write("credential_documents", f"doc-{selector}", bytes([selector]) + body)

    chunked_seeds()
    event_seeds()


# aws-chunked bodies, signed as fuzz/src/lib.rs signs them: the AWS
# documentation's example credentials, 20130524T000000Z, us-east-1, s3,
# chained from its seed signature.
CHUNK_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNK_SCOPE = "20130524/us-east-1/s3/aws4_request"
EMPTY = hashlib.sha256(b"").hexdigest()


def chunk_key():
    key = ("AWS4" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").encode()
    for part in ("20130524", "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def chunk_sign(kind, previous, digest_hex):
    lines = [kind, "20130524T000000Z", CHUNK_SCOPE, previous]
    if kind.endswith("PAYLOAD"):
        lines.append(EMPTY)
    lines.append(digest_hex)
    return hmac.new(chunk_key(), "\n".join(lines).encode(), hashlib.sha256).hexdigest()


# Control byte of each mode (see `signing` in fuzz/src/lib.rs), and the
# trailer it carries: (signed chunks, checksum name).
MODES = {
    0: (True, None),
    5: (True, "crc32"),
    4: (True, "sha256"),
    10: (False, "crc32"),
    8: (False, "sha1"),
}


def checksum(name, data):
    if name == "crc32":
        return base64.b64encode(struct.pack(">I", zlib.crc32(data))).decode()
    return base64.b64encode(hashlib.new(name, data).digest()).decode()


def chunked_body(mode, data, size):
    signed, trailer = MODES[mode]
    out = b""
    previous = CHUNK_SEED
    chunks = [data[i:i + size] for i in range(0, len(data), size)] + [b""]
    for chunk in chunks:
        head = f"{len(chunk):x}"
        if signed:
            previous = chunk_sign("AWS4-HMAC-SHA256-PAYLOAD", previous, hashlib.sha256(chunk).hexdigest())
            head += f";chunk-signature={previous}"
        out += head.encode() + b"\r\n" + chunk + (b"\r\n" if chunk else b"")
    if trailer:
        line = f"x-amz-checksum-{trailer}:{checksum(trailer, data)}"
        out += line.encode() + b"\r\n"
        if signed:
            digest = hashlib.sha256((line + "\n").encode()).hexdigest()
            sig = chunk_sign("AWS4-HMAC-SHA256-TRAILER", previous, digest)
            out += f"x-amz-trailer-signature:{sig}\r\n".encode()
    return out + b"\r\n"


def chunked_seeds():
    for mode in MODES:
        for length in (0, 100, 9000, 20000):
            data = bytes((i * 31) % 251 for i in range(length))
            control = bytes([mode]) + struct.pack("<I", length) + bytes([200, 3, 0])
            write("chunked_decoder", f"mode{mode}-{length}", control + chunked_body(mode, data, 8192))
            if length <= 9000:
                write("chunked_round_trip", f"mode{mode}-{length}", bytes([mode, 7, 1, 0, 0, 13, 2, 5]) + data)


if __name__ == "__main__":
    main()
