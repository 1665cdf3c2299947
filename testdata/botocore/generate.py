#!/usr/bin/env python3
"""Generate AWS SigV4 signing vectors with botocore.

Run from anywhere:  python3 testdata/botocore/generate.py

Writes vectors.json next to this file.  The output is deterministic: the
signing clock is frozen per vector, all "random" material comes from
fixed-seed generators, and nothing is taken from the environment.

Every value under "expected" is captured from botocore itself: the signer
classes below only record what botocore's own methods return; nothing in
"expected" is computed by this script.

The request inputs are chosen to stay inside the area where botocore agrees
with the SigV4 specification and the AWS signing test suite.  Each place where
botocore departs from them is listed in README.md; the comments tagged
"DEPARTURE" below mark where this script steers around one.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import random
import re
import sys
import types
from unittest import mock
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlsplit

import botocore
import botocore.auth
from botocore.auth import (
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors.json")


# ---------------------------------------------------------------------------
# Capturing signers: thin subclasses that record what botocore computes.
# ---------------------------------------------------------------------------


class _Capture:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = {"canonical_request": [], "string_to_sign": [],
                    "signature": [], "signed_headers": []}

    def canonical_request(self, request):
        value = super().canonical_request(request)
        self.cap["canonical_request"].append(value)
        return value

    def string_to_sign(self, request, canonical_request):
        value = super().string_to_sign(request, canonical_request)
        self.cap["string_to_sign"].append(value)
        return value

    def signature(self, string_to_sign, request):
        value = super().signature(string_to_sign, request)
        self.cap["signature"].append(value)
        return value

    def signed_headers(self, headers_to_sign):
        value = super().signed_headers(headers_to_sign)
        self.cap["signed_headers"].append(value)
        return value


class CapSigV4Auth(_Capture, SigV4Auth):
    pass


class CapS3SigV4Auth(_Capture, S3SigV4Auth):
    pass


class CapSigV4QueryAuth(_Capture, SigV4QueryAuth):
    pass


class CapS3SigV4QueryAuth(_Capture, S3SigV4QueryAuth):
    pass


SIGNERS = {
    ("header", False): CapSigV4Auth,
    ("header", True): CapS3SigV4Auth,
    ("query", False): CapSigV4QueryAuth,
    ("query", True): CapS3SigV4QueryAuth,
}

# Headers that botocore itself adds while signing; they must not appear in a
# vector's input headers.
ADDED_BY_BOTOCORE = {"x-amz-date", "x-amz-security-token",
                     "x-amz-content-sha256", "authorization"}


# ---------------------------------------------------------------------------
# Fixed inputs
# ---------------------------------------------------------------------------


def _token(seed, nbytes):
    """A deterministic fake session token containing '/', '+' and '='."""
    rng = random.Random(seed)
    while True:
        tok = base64.b64encode(rng.randbytes(nbytes)).decode("ascii")
        if "/" in tok and "+" in tok and tok.endswith("="):
            return tok


CREDS = {
    "example": ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None),
    "alt": ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None),
    "plain": ("AKIAZZZZTESTKEY00001", "testsecretkeyonlyletters0123456789abcdef", None),
    "token-short": ("ASIAEXAMPLESHORT0001", "shortTokenSecret/+=Key0123456789abcdefgh",
                    "FQoGZXIvYXdzEXAMPLE/+=="),
    "token-long": ("ASIAEXAMPLELONGTOKEN", "longTokenSecret/Key+With=Symbols0123456",
                   _token(7001, 358)),
    "token-huge": ("ASIAEXAMPLEHUGETOKEN", "hugeTokenSecretKey/abc+def=ghi/jkl+mno",
                   _token(7002, 1001)),
}
TOKEN_CREDS = ["token-short", "token-long", "token-huge"]
PLAIN_CREDS = ["example", "alt", "plain"]
# The 1 KiB token is used only where a family asks for it, to keep the file small.
DEFAULT_CREDS_CYCLE = ["example", "token-short", "alt", "token-long", "plain"]

TIMES = [
    "2015-08-30T12:36:00Z",
    "2013-05-24T00:00:00Z",
    "2024-02-29T23:59:59Z",
    "2024-03-01T00:00:00Z",
    "2023-12-31T23:59:59Z",
    "2020-02-29T12:00:00Z",
    "2025-06-15T08:09:10Z",
    "2019-07-04T00:00:01Z",
    "2000-01-01T00:00:00Z",
    "2038-01-19T03:14:08Z",
]
LEAP_DAY = "2024-02-29T23:59:59Z"

REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2",
           "eu-west-1", "ap-northeast-1", "sa-east-1", "ca-central-1"]

NON_S3 = ["sqs", "sts", "iam", "dynamodb", "aps", "execute-api", "logs",
          "kinesis", "lambda", "service"]

EXPIRES = [1, 60, 300, 900, 3600, 7200, 43200, 86400, 12345, 604800]


def time_tag(t):
    if t == LEAP_DAY:
        return "leap-day"
    if t.endswith("T00:00:00Z"):
        return "midnight"
    if t.endswith("T23:59:59Z"):
        return "before-midnight"
    return None


def host_for(service, region):
    if service == "iam":
        return "iam.amazonaws.com"
    if service == "sts":
        return "sts.amazonaws.com" if region == "us-east-1" else f"sts.{region}.amazonaws.com"
    if service == "service":
        return "example.amazonaws.com"
    if service == "execute-api":
        return f"a1b2c3d4e5.execute-api.{region}.amazonaws.com"
    if service == "aps":
        return f"aps-workspaces.{region}.amazonaws.com"
    if service == "s3":
        return "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
    return f"{service}.{region}.amazonaws.com"


def region_for(service, i):
    # IAM is a global service signed in us-east-1.
    if service == "iam":
        return "us-east-1"
    return REGIONS[i % len(REGIONS)]


# ---------------------------------------------------------------------------
# Encoding helpers for building wire-form URLs
# ---------------------------------------------------------------------------


def enc(s):
    """RFC 3986 percent-encoding: only unreserved characters stay bare,
    upper-case hex, '%20' for space."""
    return quote(s, safe="")


def build_query(pairs):
    """Serialize [(key, value-or-None)] into a properly encoded query.

    DEPARTURE: botocore takes a URL's query string verbatim (it splits on '&'
    and '=' and sorts, but never decodes or re-encodes), so the query must
    already be in canonical RFC 3986 form for botocore's result to match the
    spec.  A value of None gives a bare key without '='.
    """
    parts = []
    for k, v in pairs:
        parts.append(enc(k) if v is None else f"{enc(k)}={enc(v)}")
    return "&".join(parts)


def s3_key_path(key):
    """Encode an object key the way botocore's S3 serializer does (greedy
    {Key+} label: percent-encode with '/' and '~' left bare)."""
    return quote(key, safe="/~")


def kebab(*parts):
    s = "-".join(p for p in parts if p)
    s = s.lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s


# ---------------------------------------------------------------------------
# Signing one request
# ---------------------------------------------------------------------------


def sign(v):
    """v: dict with name, signing, service, region, creds, time, expires,
    method, url, headers, body, context.  Returns the JSON vector."""
    is_s3 = v["service"] == "s3"
    ak, sk, token = CREDS[v["creds"]]
    credentials = Credentials(ak, sk, token)
    cls = SIGNERS[(v["signing"], is_s3)]
    if v["signing"] == "query":
        auth = cls(credentials, v["service"], v["region"], expires=v["expires"])
    else:
        assert v["expires"] is None
        auth = cls(credentials, v["service"], v["region"])

    for name, _ in v["headers"]:
        assert name.lower() not in ADDED_BY_BOTOCORE, name
        # DEPARTURE: a Date header makes botocore drop X-Amz-Date.
        assert name.lower() != "date", name
    body = v["body"]
    assert isinstance(body, bytes)
    if v["signing"] == "query":
        # DEPARTURE: SigV4QueryAuth moves a request body into the query string (after
        # json.loads), so presigned vectors never carry a body.
        assert body == b""

    request = AWSRequest(method=v["method"], url=v["url"], data=body)
    for name, value in v["headers"]:
        request.headers[name] = value  # HTTPHeaders appends repeats in order
    request.context.update(v.get("context", {}))

    frozen = datetime.datetime.strptime(v["time"], "%Y-%m-%dT%H:%M:%SZ")
    stamp = frozen.strftime("%Y%m%dT%H%M%SZ")
    with mock.patch.object(botocore.auth, "get_current_datetime",
                           lambda remove_tzinfo=True: frozen):
        auth.add_auth(request)

    cap = auth.cap
    assert len(cap["canonical_request"]) == 1
    assert len(cap["string_to_sign"]) == 1
    assert len(cap["signature"]) == 1
    assert len(set(cap["signed_headers"])) == 1, cap["signed_headers"]
    canonical_request = cap["canonical_request"][0]
    string_to_sign = cap["string_to_sign"][0]
    signature = cap["signature"][0]
    signed_headers = cap["signed_headers"][0]
    assert request.context["timestamp"] == stamp
    assert canonical_request.split("\n")[-2] == signed_headers

    prepared = request.prepare()
    assert prepared.url == request.url

    if v["signing"] == "header":
        assert request.headers["X-Amz-Date"] == stamp, request.headers["X-Amz-Date"]
        authorization = request.headers["Authorization"]
        assert authorization.endswith("Signature=" + signature)
        assert f"SignedHeaders={signed_headers}," in authorization
        signed_url = None
        remaining = [(n, val) for n, val in request.headers.items()
                     if n.lower() not in ADDED_BY_BOTOCORE]
        assert request.url == v["url"]
    else:
        assert "Authorization" not in request.headers
        authorization = None
        signed_url = request.url
        params = dict(parse_qsl(urlsplit(signed_url).query, keep_blank_values=True))
        assert params["X-Amz-Date"] == stamp, params
        assert params["X-Amz-Expires"] == str(v["expires"])
        assert params["X-Amz-Signature"] == signature
        assert params["X-Amz-SignedHeaders"] == signed_headers
        remaining = list(request.headers.items())
    # Nothing the caller supplied was dropped, renamed or reordered.
    assert remaining == [tuple(h) for h in v["headers"]], (remaining, v["headers"])

    last = canonical_request.split("\n")[-1]
    if last == "UNSIGNED-PAYLOAD":
        payload = "unsigned"
    else:
        assert last == hashlib.sha256(body).hexdigest(), v["name"]
        payload = "hash"

    return {
        "name": v["name"],
        "signing": v["signing"],
        "service": v["service"],
        "region": v["region"],
        "credentials": {"access_key_id": ak, "secret_access_key": sk,
                        "session_token": token},
        "time": v["time"],
        "expires": v["expires"],
        "method": v["method"],
        "url": v["url"],
        "sent_url": v.get("sent_url"),
        "headers": [[n, val] for n, val in v["headers"]],
        "body_base64": base64.b64encode(body).decode("ascii"),
        "payload": payload,
        "expected": {
            "canonical_request": canonical_request,
            "string_to_sign": string_to_sign,
            "signature": signature,
            "signed_headers": signed_headers,
            "authorization": authorization,
            "signed_url": signed_url,
        },
    }


# ---------------------------------------------------------------------------
# Input pools
# ---------------------------------------------------------------------------

# Non-S3 paths in wire form (what an HTTP client sends).  botocore removes
# dot segments and empty segments, keeping a trailing slash only where the
# path as sent ends in one ("/a/b/.." is "/a", as in aws-c-auth), then
# percent-encodes the result again (so '%20' on the wire becomes '%2520' in
# the canonical URI, and a raw '+' becomes '%2B').  "%2E" segments are not
# dot segments (aws-c-auth agrees).
NON_S3_PATHS = [
    ("root", "/"),
    ("empty", ""),
    ("simple", "/path/to/resource"),
    ("trailing-slash", "/path/to/resource/"),
    ("mixed-case", "/Foo/BAR/bAz"),
    ("unreserved", "/a-b_c.d~e/0123456789"),
    ("space", "/example%20space/"),
    ("space-multi", "/a%20b%20%20c/d%20"),
    ("space-segment", "/%20/x"),
    ("unicode", "/%E1%88%B4"),
    ("unicode-euro", "/price/%E2%82%AC100"),
    ("unicode-emoji", "/caf%C3%A9/%F0%9F%98%80/%E4%B8%AD%E6%96%87"),
    ("reserved-bare", "/a+b=c@d:e,f;g"),
    ("reserved-bare-subdelims", "/!$&'()*"),
    ("reserved-bare-mixed", "/user@example.com/k=v;p=1/a,b+c"),
    ("reserved-tilde", "/~user/~/a~b"),
    ("reserved-encoded", "/a%2Bb%3Dc%40d%3Ae%2Cf%3Bg"),
    ("reserved-encoded-subdelims", "/%21%24%26%27%28%29%2A"),
    ("reserved-percent", "/100%25/a%25b"),
    ("pct-encoded-slash", "/items/a%2Fb/c"),
    ("pct-encoded-question-hash", "/q%3Fx%23y"),
    ("pct-encoded-unreserved", "/a%7Eb%2Dc"),
    ("pct-encoded-lowercase-hex", "/a%2fb%3a"),
    ("pct-encoded-double", "/a%252Fb"),
    ("dot", "/./"),
    ("dot-middle", "/a/./b"),
    ("dot-dot", "/a/../b"),
    ("dot-dot-twice", "/a/b/../../c"),
    ("dot-dot-above-root", "/../a"),
    ("dot-dot-above-root-twice", "/../../a/b"),
    ("dot-trailing-slash", "/a/./b/"),
    ("dot-dot-trailing-slash", "/a/b/../"),
    ("dot-dot-to-root", "/a/.."),
    ("dot-dot-to-root-slash", "/a/../"),
    ("dot-only", "/."),
    ("dot-dot-only", "/.."),
    ("dot-many", "/./a/./b/./c/./"),
    ("dot-dot-relative", "/example1/example2/../.."),
    ("dot-name", "/a/.hidden/..b/...c/b.."),
    ("double-slash", "//"),
    ("double-slash-leading", "//example//"),
    ("double-slash-middle", "/a//b"),
    ("double-slash-triple", "/a///b/"),
    ("double-slash-dot", "/a/.//b/..//c"),
    ("combo", "/a/../%20b//c/./d%E2%82%AC/"),
    ("dot-last", "/a/b/."),
    ("dot-dot-last", "/a/b/.."),
    ("dot-last-after-double-slash", "/./i//."),
    ("dot-dot-last-deep", "/a/b/c/../.."),
    ("dot-dot-last-to-root", "/a/b/../.."),
    ("dot-first-and-last", "/./a/."),
    ("dot-pct-encoded", "/a/%2E/b/%2e%2E/c"),
    ("dot-pct-encoded-last", "/a/%2E%2E"),
    ("pct-encoded-unreserved-lowercase", "/%7e%41%2d%5f%2e"),
    ("pct-encoded-reserved-lowercase", "/a%2bb%3d%40"),
    ("plus-raw", "/a+b/+"),
    ("plus-encoded", "/a%2Bb%2bc"),
]

# S3 paths in wire form.  S3 decodes the path (a raw '+' reading as a
# space) and encodes it again once, unreserved characters and '/' bare,
# everything else '%XX' with upper-case hex.  botocore's S3 signers take the
# path as given, so the generator hands botocore the path in that form
# (s3_rule_path) and records the wire form as "sent_url": for these vectors
# the expected canonical URI follows that rule, applied here, and everything
# else comes from botocore.
S3_WIRE_PATHS = [
    ("escaped-tilde", "/%7E"),
    ("escaped-unreserved-lowercase", "/%7e%41%2d%5f%2E"),
    ("escaped-reserved-lowercase", "/a%2bb/%3d%40"),
    ("escaped-reserved-uppercase", "/a%2Bb/%3D%40"),
    ("escaped-slash", "/dir%2Fkey"),
    ("escaped-unicode-lowercase", "/%e2%82%ac/%E1%88%b4"),
    ("escaped-percent", "/100%2525"),
    ("dot-segments", "/a/./b/../c/."),
    ("dot-dot-last", "/a/b/.."),
    ("dot-first", "/./a"),
    ("double-slash", "//a//b/"),
    ("bare-reserved", "/a=b@c:d,e;f!g$h&i'j(k)l*m"),
    ("plus-raw", "/a+b"),
    ("plus-raw-leading", "/+askhn"),
    ("plus-raw-double", "/libstdc++-docs.x86_64.rpm"),
]


def s3_rule_path(wire):
    """S3's reading of a path as sent: escapes decoded, a raw '+' read as a
    space, then encoded once with '/' and the unreserved characters bare."""
    return quote(unquote_to_bytes(wire.replace("+", "%20")), safe="/~")

# Queries as [(key, value-or-None)]; serialized with build_query.
QUERIES = [
    ("none", None),
    ("single", [("Action", "ListUsers")]),
    ("action-version", [("Action", "ListUsers"), ("Version", "2010-05-08")]),
    ("order-reversed", [("Param2", "value2"), ("Param1", "value1")]),
    ("order-shuffled", [("c", "3"), ("a", "1"), ("b", "2")]),
    ("order-case", [("b", "1"), ("B", "2"), ("_", "3"), ("~", "4"), ("-", "5"),
                    (".", "6"), ("0", "7"), ("a", "8")]),
    ("order-encoded-keys", [("a~b", "5"), ("a b", "1"), ("a_b", "4"), ("a", "2"),
                            ("a-b", "3"), ("a.b", "6")]),
    ("repeated", [("a", "1"), ("a", "2"), ("b", "3")]),
    ("repeated-unsorted", [("foo", "Zoo"), ("foo", "aha")]),
    ("repeated-values-reversed", [("k", "2"), ("k", "10"), ("k", "1")]),
    ("repeated-empty", [("a", ""), ("a", "x"), ("b", None), ("a", "")]),
    ("empty-value", [("a", ""), ("b", "x")]),
    ("empty-value-only", [("empty", "")]),
    ("no-equals", [("a", None)]),
    ("no-equals-mixed", [("versioning", None), ("x", "1"), ("acl", None)]),
    ("empty-key", [("", "v")]),
    ("empty-key-mixed", [("z", "1"), ("", "v"), ("a", "2")]),
    ("reserved", [("k", "+=@:,;!$&'()*/?#[]%")]),
    ("reserved-keys", [("a:b", "1"), ("c@d", "2"), ("e/f", "3"), ("g=h", "4")]),
    ("reserved-value-equals", [("a", "b=c"), ("d", "e&f")]),
    ("space", [("q", "a b"), ("r", " lead"), ("s", "trail ")]),
    ("plus", [("a", "b+c"), ("d", "+"), ("e", "1 + 1 = 2")]),
    ("unicode", [("ሴ", "bar"), ("q", "café 😀")]),
    ("unicode-value", [("name", "Ünïcödé €100"), ("lang", "中文")]),
    ("unreserved", [("k-_.~", "v-_.~AZaz09")]),
    ("percent-literal", [("pct", "100%"), ("enc", "%20")]),
    ("many", [(f"p{i:02d}", f"v{(7 * i) % 23}") for i in range(20)]),
]

# Queries botocore's presigner can carry.  DEPARTURE: SigV4QueryAuth parses
# the query with parse_qs into a dict and keeps only the first value of a
# repeated key, so presign vectors never repeat a key.
PRESIGN_QUERIES = [q for q in QUERIES
                   if q[1] is None or len({k for k, _ in q[1]}) == len(q[1])]

# Header sets as [(name, value)] in order.  DEPARTURE: no Date header (it
# replaces X-Amz-Date in botocore) and no non-ASCII or non-ASCII-whitespace
# values (botocore collapses with str.split(), which also splits on Unicode
# whitespace).
HEADER_SETS = [
    ("none", []),
    ("content-type", [("Content-Type", "application/json")]),
    ("content-type-charset", [("Content-Type", "text/plain; charset=utf-8")]),
    ("x-amz-meta", [("x-amz-meta-color", "blue"), ("x-amz-meta-Size", "42")]),
    ("x-amz-meta-mixed-case", [("X-AMZ-META-Foo", "Bar"), ("x-Amz-Meta-bAz", "QUX")]),
    ("x-amz-header", [("X-Amz-Target", "Service_20150101.Operation"),
                      ("x-amz-user-agent", "custom/1.0")]),
    ("mixed-case", [("My-Header1", "Value1"), ("mY-hEADER2", "vALUE2"),
                    ("ZZ-Last", "z"), ("aa-first", "a")]),
    ("whitespace-leading", [("X-Custom", "   leading")]),
    ("whitespace-trailing", [("X-Custom", "trailing    ")]),
    ("whitespace-internal", [("X-Custom", "a   b    c  d")]),
    ("whitespace-all", [("My-Header1", "    value1"), ("My-Header2", "\"a   b   c\""),
                        ("My-Header3", "  x  y  ")]),
    ("whitespace-tab", [("X-Tab", "\tvalue\t"), ("X-Tab2", "a\tb\t\tc"),
                        ("X-Tab3", " \t mixed \t ws \t ")]),
    ("empty-value", [("X-Empty", "")]),
    ("blank-value", [("X-Blank", "    ")]),
    ("multi-value", [("X-Multi", "a"), ("X-Multi", "b"), ("X-Multi", "c")]),
    ("multi-value-unsorted", [("My-Header1", "value2"), ("My-Header1", "value1"),
                              ("My-Header1", "value4"), ("My-Header1", "value3")]),
    ("multi-value-whitespace", [("X-Multi", "  a  b "), ("X-Multi", "\tc\t"),
                                ("X-Multi", "d   e")]),
    ("multi-value-mixed-case", [("X-Dup", "one"), ("x-dup", "two"), ("X-DUP", "three")]),
    ("multi-value-interleaved", [("X-A", "1"), ("X-B", "2"), ("X-A", "3"), ("X-B", "4")]),
    ("multi-value-empty", [("X-Multi", ""), ("X-Multi", "b"), ("X-Multi", "")]),
    ("value-punctuation", [("X-Punct", "a, b; c=d:e/f?g#h[i]{j}<k>\"l\\m'n")]),
    ("user-agent", [("User-Agent", "Boto3/1.0 Python/3.11 awsig-test")]),
    ("trace-id", [("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")]),
    ("expect", [("Expect", "100-continue")]),
    ("connection", [("Connection", "keep-alive")]),
    ("unsigned-all", [("User-Agent", "ua"), ("X-Amzn-Trace-Id", "Root=1-0-0"),
                      ("Expect", "100-continue"), ("Connection", "close"),
                      ("Keep-Alive", "timeout=5"), ("TE", "trailers"),
                      ("Upgrade", "h2c"), ("Proxy-Authorization", "Basic eA=="),
                      ("X-Signed", "yes")]),
    ("content-length", [("Content-Length", "0")]),
    ("content-md5", [("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")]),
    ("accept", [("Accept", "application/json, text/plain, */*"),
                ("Accept-Encoding", "gzip, deflate")]),
    ("cache-control", [("Cache-Control", "no-cache"), ("If-None-Match", "\"etag\"")]),
    ("underscore-digits", [("X_Under_Score", "1"), ("X-123", "num")]),
]

S3_HEADER_EXTRAS = [
    ("range", [("Range", "bytes=0-9")]),
    ("acl", [("x-amz-acl", "public-read"), ("x-amz-storage-class", "STANDARD_IA")]),
    ("sse", [("x-amz-server-side-encryption", "aws:kms"),
             ("x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:123456789012:key/abcd")]),
    ("copy-source", [("x-amz-copy-source", "/srcbucket/a%20b.txt")]),
    ("tagging", [("x-amz-tagging", "k1=v1&k2=v%202")]),
]

# Bodies are used for header signing only.  DEPARTURE: the presigners delete
# a "Content-Type: application/x-www-form-urlencoded; charset=utf-8" header,
# so that exact value never reaches a presign vector.
_rng_bodies = random.Random(424242)
BODIES = [
    ("empty", b"", None),
    ("text", b"Hello, world!", "text/plain"),
    ("text-unicode", "h\u00e9llo \u2603 \u4e2d\u6587 \U0001F600\n".encode("utf-8"),
     "text/plain; charset=utf-8"),
    ("json", b'{"TableName":"Music","Key":{"Artist":{"S":"No One You Know"}}}',
     "application/x-amz-json-1.0"),
    ("json-nested", json.dumps({"a": [1, 2, {"b": None}], "c": "d e"}).encode(),
     "application/json"),
    ("binary-bytes", bytes(range(256)), "application/octet-stream"),
    ("binary-random", _rng_bodies.randbytes(1500), "application/octet-stream"),
    ("binary-zeros", b"\x00" * 64, "application/octet-stream"),
    ("form", b"Action=ListUsers&Version=2010-05-08",
     "application/x-www-form-urlencoded; charset=utf-8"),
    ("form-encoded", ("Action=SendMessage&MessageBody=" + enc("hello world & more")
                      + "&QueueUrl=" + enc("https://sqs.us-east-1.amazonaws.com/123456789012/q")).encode(),
     "application/x-www-form-urlencoded"),
    ("large-text", ("0123456789abcdef" * 128).encode(), "text/plain"),
]

# Hosts with ports; (tag, scheme://authority).  botocore derives the host
# header from the URL: lower-cased, default port (80 for http, 443 for https)
# dropped, IPv6 in brackets.
PORT_HOSTS = [
    ("port-minio", "http://127.0.0.1:9000"),
    ("port-localstack", "http://localhost:4566"),
    ("port-https-8443", "https://example.amazonaws.com:8443"),
    ("default-port-https-443", "https://example.amazonaws.com:443"),
    ("default-port-http-80", "http://example.amazonaws.com:80"),
    ("port-http-443", "http://example.amazonaws.com:443"),
    ("port-https-80", "https://example.amazonaws.com:80"),
    ("port-ipv6", "http://[::1]:9000"),
    ("default-port-ipv6", "https://[2001:db8::1]:443"),
    ("no-port-ipv4", "http://127.0.0.1"),
    ("host-uppercase", "https://EXAMPLE.AmazonAWS.com"),
    ("host-uppercase-port", "http://LocalHost:8080"),
]

S3_KEYS = [
    ("simple", "test.txt"),
    ("nested", "photos/2006/February/sample.jpg"),
    ("space", "my file.txt"),
    ("space-multi", "a b  c   d"),
    ("unicode", "unicode/\u1234\u20ac\U0001F600.txt"),
    ("unicode-latin", "caf\u00e9 cr\u00e8me/br\u00fbl\u00e9e"),
    ("reserved", "reserved/+=@:,;!$&'()*~"),
    ("reserved-plus", "a+b+c"),
    ("reserved-question-hash", "what?is#this"),
    ("reserved-brackets", "[a]{b}<c>|d^e`f\\g\"h"),
    ("percent-literal", "100%.txt"),
    ("pct-encoded-already", "already%20encoded%2Fkey"),
    ("tilde", "~user/~file~"),
    ("dot-segment", "a/./b/../c"),
    ("double-slash", "a//b///c"),
    ("leading-slash", "/leading/slash"),
    ("trailing-slash", "folder/"),
    ("control-tab", "tab\there"),
    ("long", "x/" * 40 + "end"),
    ("mixed-case", "MiXeD/CaSe.TXT"),
]

S3_QUERIES = [
    ("list-v2", [("list-type", "2"), ("prefix", "photos/2006/"), ("delimiter", "/")]),
    ("no-equals-acl", [("acl", None)]),
    ("no-equals-uploads", [("uploads", None)]),
    ("upload-part", [("partNumber", "3"), ("uploadId", "VXBsb2FkIElE+/=")]),
    ("version-id", [("versionId", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo")]),
    ("response-overrides", [("response-content-disposition", "attachment; filename=\"a b.txt\""),
                            ("response-content-type", "text/plain; charset=utf-8")]),
    ("unicode", [("prefix", "caf\u00e9/\u1234"), ("marker", "\U0001F600")]),
    ("empty-value", [("prefix", ""), ("max-keys", "10")]),
    ("empty-key", [("", "v"), ("tagging", None)]),
    ("repeated", [("x-id", "b"), ("x-id", "a")]),
    ("order", [("z", "1"), ("A", "2"), ("m", "3")]),
    ("plus-space", [("prefix", "a+b c")]),
]
S3_PRESIGN_QUERIES = [q for q in S3_QUERIES
                      if len({k for k, _ in q[1]}) == len(q[1])]


# ---------------------------------------------------------------------------
# Vector families
# ---------------------------------------------------------------------------


class Builder:
    def __init__(self):
        self.specs = []
        self.names = set()
        self.i = 0

    def add(self, *, tags, signing, service, region=None, creds=None, time=None,
            expires=None, method="GET", url, headers=(), body=b"", context=None,
            sent_url=None):
        i = self.i
        self.i += 1
        if region is None:
            region = region_for(service, i)
        if creds is None:
            creds = DEFAULT_CREDS_CYCLE[(i * 3) % len(DEFAULT_CREDS_CYCLE)]
        if time is None:
            time = TIMES[(i * 3) % len(TIMES)]
        if signing == "query" and expires is None:
            expires = EXPIRES[(i * 7) % len(EXPIRES)]
        ttag = time_tag(time)
        name = kebab(signing, service, *tags,
                     "token" if CREDS[creds][2] else None,
                     ttag)
        assert name not in self.names, name
        self.names.add(name)
        self.specs.append({
            "name": name, "signing": signing, "service": service,
            "region": region, "creds": creds, "time": time,
            "expires": expires if signing == "query" else None,
            "method": method, "url": url, "headers": list(headers),
            "body": body, "context": context or {}, "sent_url": sent_url,
        })


def s3_url(key, region, virtual, query=None, bucket="examplebucket"):
    # S3 paths are signed verbatim (no normalization, no re-encoding), so the
    # key is encoded once here.  DEPARTURE: an S3 URL with an empty path
    # gives an empty canonical URI in botocore (not "/"), so the path always
    # starts with "/".
    host = host_for("s3", region)
    if virtual:
        url = f"https://{bucket}.{host}/" + s3_key_path(key)
    else:
        url = f"https://{host}/{bucket}/" + s3_key_path(key)
    if query:
        url += "?" + build_query(query)
    return url


def url_for(service, region, path, query=None, scheme="https"):
    url = f"{scheme}://{host_for(service, region)}{path}"
    if query:
        url += "?" + build_query(query)
    return url


def families(b):
    # 1. Non-S3 header signing: paths.
    for n, (tag, path) in enumerate(NON_S3_PATHS):
        service = ["service", "execute-api", "lambda", "aps", "sqs"][n % 5]
        region = region_for(service, n)
        b.add(tags=["path", tag], signing="header", service=service, region=region,
              method=["GET", "DELETE", "HEAD", "GET"][n % 4],
              url=url_for(service, region, path))

    # 2. Non-S3 header signing: queries.
    for n, (tag, q) in enumerate(QUERIES):
        service = ["sqs", "sts", "iam", "service", "aps"][n % 5]
        region = region_for(service, n)
        path = ["/", "/", "/", "/", "/workspaces/ws-1/api/v1/query"][n % 5]
        b.add(tags=["query", tag], signing="header", service=service, region=region,
              url=url_for(service, region, path, q))

    # 3. Non-S3 header signing: header sets.
    for n, (tag, hs) in enumerate(HEADER_SETS):
        service = ["service", "dynamodb", "kinesis", "logs", "execute-api", "lambda"][n % 6]
        region = region_for(service, n)
        method = "POST" if service in ("dynamodb", "kinesis", "logs") else "GET"
        b.add(tags=["hdr", tag], signing="header", service=service, region=region,
              method=method, url=url_for(service, region, "/"), headers=hs)

    # 4. Non-S3 header signing: bodies, hashed and unsigned.
    for n, (tag, body, ctype) in enumerate(BODIES):
        service = ["dynamodb", "kinesis", "logs", "lambda", "sqs", "service"][n % 6]
        region = region_for(service, n)
        path = "/2015-03-31/functions/my-fn/invocations" if service == "lambda" else "/"
        headers = [("Content-Type", ctype)] if ctype else []
        if service in ("dynamodb", "kinesis", "logs"):
            headers.append(("X-Amz-Target", {"dynamodb": "DynamoDB_20120810.GetItem",
                                             "kinesis": "Kinesis_20131202.PutRecord",
                                             "logs": "Logs_20140328.PutLogEvents"}[service]))
        b.add(tags=["body", tag], signing="header", service=service, region=region,
              method="POST", url=url_for(service, region, path), headers=headers,
              body=body)
        b.add(tags=["body", tag, "unsigned-payload"], signing="header", service=service,
              region=region, method="PUT", url=url_for(service, region, path),
              headers=headers, body=body,
              context={"payload_signing_enabled": False})
        b.add(tags=["body", tag, "http"], signing="header", service=service,
              region=region, method="POST",
              url=url_for(service, region, path, scheme="http"), headers=headers,
              body=body)

    # 5. Ports and host header derivation, all four signers.
    for n, (tag, origin) in enumerate(PORT_HOSTS):
        service = NON_S3[n % len(NON_S3)]
        b.add(tags=[tag], signing="header", service=service, url=origin + "/",
              region=region_for(service, n))
        b.add(tags=[tag, "query", "a"], signing="query", service=service,
              url=origin + "/path?a=1", region=region_for(service, n + 1))
        b.add(tags=[tag, "path-style"], signing="header", service="s3",
              region=REGIONS[n % 4], url=origin + "/bucket/key%20one.txt",
              method="PUT", body=b"data", headers=[("Content-Type", "text/plain")])
        b.add(tags=[tag, "path-style"], signing="query", service="s3",
              region=REGIONS[(n + 1) % 4], url=origin + "/bucket/key%20one.txt")
    # An explicit Host header (equal to what botocore would derive) is used
    # verbatim by botocore instead of the URL's authority.
    for n, (origin, host) in enumerate([("http://127.0.0.1:9000", "127.0.0.1:9000"),
                                        ("https://example.amazonaws.com", "example.amazonaws.com"),
                                        ("https://example.amazonaws.com:8443", "example.amazonaws.com:8443")]):
        b.add(tags=["explicit-host", str(n + 1)], signing="header", service="service",
              url=origin + "/", headers=[("Host", host), ("X-A", "b")])
        b.add(tags=["explicit-host", str(n + 1)], signing="query", service="s3",
              url=origin + "/bucket/obj")

    # 6. Times x credentials (header and query, S3 and non-S3).
    for n, t in enumerate(TIMES):
        for c in ("example", TOKEN_CREDS[n % 3]):
            tags = ["time", t[:10], t[11:13] + t[14:16] + t[17:19]]
            service = NON_S3[n % len(NON_S3)]
            region = REGIONS[n % 4]
            b.add(tags=tags, signing="header", service=service, region=region,
                  creds=c, time=t, url=url_for(service, region, "/", [("Action", "Describe")]))
            b.add(tags=tags, signing="query", service="s3", region=region, creds=c,
                  time=t, expires=EXPIRES[n], url=s3_url("time/test.txt", region, True))

    # 7. S3 header signing: keys (virtual-hosted and path-style).
    for n, (tag, key) in enumerate(S3_KEYS):
        region = REGIONS[n % len(REGIONS)]
        b.add(tags=["key", tag, "virtual"], signing="header", service="s3",
              region=region, method="GET", url=s3_url(key, region, True))
        b.add(tags=["key", tag, "path-style"], signing="header", service="s3",
              region=region, method="PUT", url=s3_url(key, region, False),
              headers=[("Content-Type", "text/plain")], body=b"object body " + str(n).encode())

    # 8. S3 header signing: queries, headers, bodies.
    for n, (tag, q) in enumerate(S3_QUERIES):
        region = REGIONS[n % len(REGIONS)]
        b.add(tags=["query", tag], signing="header", service="s3", region=region,
              url=s3_url("", region, n % 2 == 0, q))
    for n, (tag, hs) in enumerate(HEADER_SETS[1:] + S3_HEADER_EXTRAS):
        region = REGIONS[n % len(REGIONS)]
        b.add(tags=["hdr", tag], signing="header", service="s3", region=region,
              method="PUT" if n % 2 else "GET",
              url=s3_url(f"objects/item-{n}.bin", region, n % 3 != 0), headers=hs)
    for n, (tag, body, ctype) in enumerate(BODIES):
        region = REGIONS[n % len(REGIONS)]
        hs = [("Content-Type", ctype)] if ctype else []
        url = s3_url(f"uploads/{tag}.dat", region, n % 2 == 0)
        b.add(tags=["body", tag], signing="header", service="s3", region=region,
              method="PUT", url=url, headers=hs, body=body)
        # Explicitly disabled payload signing (client config s3.payload_signing_enabled).
        b.add(tags=["body", tag, "unsigned-payload", "config"], signing="header",
              service="s3", region=region, method="PUT", url=url, headers=hs, body=body,
              context={"client_config": types.SimpleNamespace(
                  s3={"payload_signing_enabled": False})})
        # Streaming upload over https with Content-MD5: botocore skips hashing.
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        b.add(tags=["body", tag, "unsigned-payload", "streaming-md5"], signing="header",
              service="s3", region=region, method="PUT", url=url,
              headers=hs + [("Content-MD5", md5)], body=body,
              context={"has_streaming_input": True})

    # 9. S3 presign: keys, queries, headers, expires.
    for n, (tag, key) in enumerate(S3_KEYS):
        region = REGIONS[(n + 3) % len(REGIONS)]
        b.add(tags=["key", tag], signing="query", service="s3", region=region,
              method=["GET", "PUT"][n % 2], url=s3_url(key, region, n % 3 != 1))
    for n, (tag, q) in enumerate(S3_PRESIGN_QUERIES):
        region = REGIONS[n % len(REGIONS)]
        b.add(tags=["query", tag], signing="query", service="s3", region=region,
              url=s3_url(f"dir/file-{n}.txt", region, n % 2 == 1, q))
    for n, (tag, hs) in enumerate(HEADER_SETS[1:] + S3_HEADER_EXTRAS):
        region = REGIONS[n % len(REGIONS)]
        b.add(tags=["hdr", tag], signing="query", service="s3", region=region,
              method="PUT" if n % 2 else "GET",
              url=s3_url(f"presigned/{n}.bin", region, True), headers=hs)
    for n, e in enumerate(EXPIRES):
        for c in ("alt", TOKEN_CREDS[n % 3]):
            region = REGIONS[n % len(REGIONS)]
            b.add(tags=["expires", str(e)], signing="query", service="s3", region=region,
                  creds=c, expires=e, url=s3_url("expiring/object.txt", region, True))

    # 10. Non-S3 presign: paths, queries, headers, expires, unsigned payload.
    for n, (tag, path) in enumerate(NON_S3_PATHS):
        service = ["execute-api", "service", "sts", "aps", "lambda"][n % 5]
        region = region_for(service, n)
        b.add(tags=["path", tag], signing="query", service=service, region=region,
              url=url_for(service, region, path))
    for n, (tag, q) in enumerate(PRESIGN_QUERIES):
        service = ["sts", "sqs", "iam", "service", "execute-api"][n % 5]
        region = region_for(service, n)
        b.add(tags=["query", tag], signing="query", service=service, region=region,
              url=url_for(service, region, "/", q))
    for n, (tag, hs) in enumerate(HEADER_SETS):
        service = ["service", "sts", "execute-api", "aps"][n % 4]
        region = region_for(service, n)
        b.add(tags=["hdr", tag], signing="query", service=service, region=region,
              url=url_for(service, region, "/", [("Action", "GetCallerIdentity")]),
              headers=hs)
    for n, e in enumerate(EXPIRES):
        service = NON_S3[n]
        region = region_for(service, n)
        b.add(tags=["expires", str(e)], signing="query", service=service, region=region,
              creds=TOKEN_CREDS[n % 3], expires=e,
              url=url_for(service, region, "/", [("Action", "Test"), ("Version", "1")]))
    for n, service in enumerate(["sts", "execute-api", "service", "lambda"]):
        region = region_for(service, n)
        b.add(tags=["unsigned-payload", str(n + 1)], signing="query", service=service,
              region=region, url=url_for(service, region, "/x", [("a", "b")]),
              context={"payload_signing_enabled": False})

    # 11. S3 paths as clients send them: botocore signs S3's reading of each.
    for n, (tag, wire) in enumerate(S3_WIRE_PATHS):
        region = REGIONS[n % len(REGIONS)]
        origin = f"https://examplebucket.{host_for('s3', region)}"
        for signing in ("header", "query"):
            b.add(tags=["wire-path", tag], signing=signing, service="s3", region=region,
                  method=["GET", "PUT"][n % 2], url=origin + s3_rule_path(wire),
                  sent_url=origin + wire)

    # 12. Random mixes: combine pools with a fixed seed.
    rng = random.Random(20150830)
    for n in range(90):
        signing = rng.choice(["header", "header", "query"])
        s3 = rng.random() < 0.35
        service = "s3" if s3 else rng.choice(NON_S3)
        region = region_for(service, rng.randrange(len(REGIONS)))
        if s3:
            ktag, key = rng.choice(S3_KEYS)
            qtag, q = rng.choice(S3_PRESIGN_QUERIES if signing == "query" else S3_QUERIES)
            url = s3_url(key, region, rng.random() < 0.5, q)
            ptag = "key-" + ktag
        else:
            ptag, path = rng.choice(NON_S3_PATHS)
            ptag = "path-" + ptag
            qtag, q = rng.choice(PRESIGN_QUERIES if signing == "query" else QUERIES)
            url = url_for(service, region, path, q)
        htag, hs = rng.choice(HEADER_SETS)
        if signing == "header":
            btag, body, ctype = rng.choice(BODIES)
            if ctype and not any(h[0].lower() == "content-type" for h in hs):
                hs = hs + [("Content-Type", ctype)]
            method = rng.choice(["POST", "PUT", "PATCH"]) if body else rng.choice(["GET", "DELETE", "OPTIONS"])
        else:
            btag, body = None, b""
            method = rng.choice(["GET", "PUT", "DELETE", "HEAD"])
        creds = rng.choice(PLAIN_CREDS + TOKEN_CREDS)
        time = rng.choice(TIMES)
        expires = rng.choice(EXPIRES) if signing == "query" else None
        b.add(tags=["mix", f"{n:03d}", ptag, "query-" + qtag, "hdr-" + htag,
                    "body-" + btag if btag else None],
              signing=signing, service=service, region=region, creds=creds, time=time,
              expires=expires, method=method, url=url, headers=hs, body=body)


# ---------------------------------------------------------------------------
# Self-check and coverage summary
# ---------------------------------------------------------------------------

COVERAGE = {
    # label: predicate over a vector
    "signing=header": lambda v: v["signing"] == "header",
    "signing=query": lambda v: v["signing"] == "query",
    "s3 header": lambda v: v["service"] == "s3" and v["signing"] == "header",
    "s3 query": lambda v: v["service"] == "s3" and v["signing"] == "query",
    "non-s3 header": lambda v: v["service"] != "s3" and v["signing"] == "header",
    "non-s3 query": lambda v: v["service"] != "s3" and v["signing"] == "query",
    **{f"service={s}": (lambda s: lambda v: v["service"] == s)(s) for s in ["s3"] + NON_S3},
    **{f"region={r}": (lambda r: lambda v: v["region"] == r)(r)
       for r in ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"]},
    "expires=1": lambda v: v["expires"] == 1,
    "expires=604800": lambda v: v["expires"] == 604800,
    "path space": lambda v: "path-space" in v["name"] or "key-space" in v["name"],
    "path unicode": lambda v: "path-unicode" in v["name"] or "key-unicode" in v["name"],
    "path reserved": lambda v: "path-reserved" in v["name"] or "key-reserved" in v["name"],
    "path pct-encoded": lambda v: "path-pct-encoded" in v["name"] or "key-pct-encoded" in v["name"],
    "path dot segments": lambda v: "path-dot" in v["name"],
    "path double slash": lambda v: "path-double-slash" in v["name"],
    "path dot last": lambda v: "path-dot-last" in v["name"] or "path-dot-dot-last" in v["name"],
    "path plus": lambda v: "path-plus" in v["name"],
    "s3 wire path escapes": lambda v: "wire-path-escaped" in v["name"],
    "s3 wire path dots": lambda v: "wire-path-dot" in v["name"],
    "s3 wire path plus": lambda v: "wire-path-plus" in v["name"],
    "query repeated": lambda v: "query-repeated" in v["name"],
    "query empty value": lambda v: "query-empty-value" in v["name"],
    "query no equals": lambda v: "query-no-equals" in v["name"],
    "query empty key": lambda v: "query-empty-key" in v["name"],
    "query reserved": lambda v: "query-reserved" in v["name"],
    "query unicode": lambda v: "query-unicode" in v["name"],
    "query plus": lambda v: "query-plus" in v["name"],
    "query order": lambda v: "query-order" in v["name"],
    "hdr multi-value": lambda v: "hdr-multi-value" in v["name"],
    "hdr whitespace": lambda v: "hdr-whitespace" in v["name"],
    "hdr tab": lambda v: "whitespace-tab" in v["name"],
    "hdr mixed case": lambda v: "mixed-case" in v["name"] and "hdr" in v["name"],
    "hdr content-type": lambda v: any(h[0].lower() == "content-type" for h in v["headers"]),
    "hdr x-amz-meta-*": lambda v: any(h[0].lower().startswith("x-amz-meta-") for h in v["headers"]),
    "hdr x-amz-*": lambda v: any(h[0].lower().startswith("x-amz-") for h in v["headers"]),
    "hdr user-agent": lambda v: any(h[0].lower() == "user-agent" for h in v["headers"]),
    "hdr x-amzn-trace-id": lambda v: any(h[0].lower() == "x-amzn-trace-id" for h in v["headers"]),
    "hdr expect": lambda v: any(h[0].lower() == "expect" for h in v["headers"]),
    "session token": lambda v: v["credentials"]["session_token"] is not None,
    "no session token": lambda v: v["credentials"]["session_token"] is None,
    "body empty": lambda v: v["body_base64"] == "",
    "body text": lambda v: "body-text" in v["name"],
    "body json": lambda v: "body-json" in v["name"],
    "body binary": lambda v: "body-binary" in v["name"],
    "body form": lambda v: "body-form" in v["name"],
    "payload=hash": lambda v: v["payload"] == "hash",
    "payload=unsigned": lambda v: v["payload"] == "unsigned",
    "non-default port": lambda v: urlsplit(v["url"]).port not in (None, 80, 443)
    or (urlsplit(v["url"]).port == 443 and v["url"].startswith("http:"))
    or (urlsplit(v["url"]).port == 80 and v["url"].startswith("https:")),
    "explicit default port": lambda v: "default-port" in v["name"],
    "time midnight": lambda v: "midnight" in v["name"],
    "time leap day": lambda v: v["time"] == LEAP_DAY,
}


def check(doc):
    vectors = doc["vectors"]
    assert len(vectors) >= 320, len(vectors)
    names = [v["name"] for v in vectors]
    assert len(names) == len(set(names)), "duplicate names"
    for v in vectors:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", v["name"]), v["name"]
        e = v["expected"]
        assert re.fullmatch(r"[0-9a-f]{64}", e["signature"]), v["name"]
        if v["signing"] == "header":
            assert e["signed_url"] is None and v["expires"] is None
            assert e["authorization"].endswith("Signature=" + e["signature"])
        else:
            assert e["authorization"] is None and isinstance(v["expires"], int)
            assert 1 <= v["expires"] <= 604800
            assert "X-Amz-Signature=" + e["signature"] in e["signed_url"]
        # Consistency of the captured values (not a source of expected data).
        assert e["string_to_sign"].split("\n")[-1] == hashlib.sha256(
            e["canonical_request"].encode("utf-8")).hexdigest()
        assert e["canonical_request"].split("\n")[-2] == e["signed_headers"]
        scope = e["string_to_sign"].split("\n")[2].split("/")
        assert scope[1:] == [v["region"], v["service"], "aws4_request"]
        key = ("AWS4" + v["credentials"]["secret_access_key"]).encode()
        for part in scope:
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        assert hmac.new(key, e["string_to_sign"].encode(), hashlib.sha256
                        ).hexdigest() == e["signature"], v["name"]
    print(f"{len(vectors)} vectors, botocore {doc['botocore_version']}")
    missing = []
    for label, pred in COVERAGE.items():
        count = sum(1 for v in vectors if pred(v))
        print(f"  {label:28s} {count:4d}")
        if count < 3:
            missing.append(label)
    assert not missing, f"coverage below 3 vectors: {missing}"


def main():
    b = Builder()
    families(b)
    vectors = [sign(spec) for spec in b.specs]
    doc = {"botocore_version": botocore.__version__, "vectors": vectors}
    check(doc)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
