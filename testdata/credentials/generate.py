#!/usr/bin/env python3
"""Asks botocore which credentials and region it resolves for a set of
configurations (shared files + environment), without any network access,
and writes botocore_chain.json next to this script.

Each configuration lists the files to create in an empty directory (the
text `{dir}` stands for that directory), the environment variables, and an
optional explicit profile. The instance metadata service is disabled in
every configuration; role assumption is recognised (its method is
recorded) but never performed.

Run: python3 testdata/credentials/generate.py
"""

import json
import os
import sys
import tempfile

import botocore
import botocore.exceptions
import botocore.session

KEYS = "aws_access_key_id = AKIDFILE\naws_secret_access_key = secretfile\n"
PROC_OK = (
    "#!/bin/sh\n"
    "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"secretproc\"}'\n"
)
PROC_TEMP = (
    "#!/bin/sh\n"
    "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"secretproc\", "
    "\"SessionToken\": \"tokenproc\", \"Expiration\": \"2099-01-02T03:04:05Z\"}'\n"
)
PROC_EMPTY_TOKEN = (
    "#!/bin/sh\n"
    "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"secretproc\", "
    "\"SessionToken\": \"\"}'\n"
)
PROC_FAIL = "#!/bin/sh\necho 'no credentials for you' >&2\nexit 3\n"
PROC_V2 = (
    "#!/bin/sh\n"
    "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}'\n"
)

CONFIGS = [
    {"name": "env keys and default region",
     "env": {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
             "AWS_DEFAULT_REGION": "eu-west-1"}},
    {"name": "env keys with session token",
     "env": {"AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
             "AWS_SESSION_TOKEN": "tokenenv"}},
    {"name": "env legacy security token first",
     "env": {"AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
             "AWS_SECURITY_TOKEN": "legacy", "AWS_SESSION_TOKEN": "modern"}},
    {"name": "env credential expiration",
     "env": {"AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
             "AWS_SESSION_TOKEN": "t", "AWS_CREDENTIAL_EXPIRATION": "2099-05-06T07:08:09Z"}},
    {"name": "env access key without secret",
     "env": {"AWS_ACCESS_KEY_ID": "AKIDENV"}},
    {"name": "empty env access key falls through to credentials file",
     "files": {"credentials": "[default]\n" + KEYS},
     "env": {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}},
    {"name": "env beats credentials file",
     "files": {"credentials": "[default]\n" + KEYS},
     "env": {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv"}},
    {"name": "credentials file default with config region",
     "files": {"credentials": "[default]\n" + KEYS + "aws_session_token = tokfile\n",
               "config": "[default]\nregion = us-west-2\noutput = json\n"}},
    {"name": "AWS_PROFILE selects a credentials file section",
     "files": {"credentials": "[default]\n" + KEYS + "\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = secretdev\n",
               "config": "[profile dev]\nregion = ap-northeast-1\n"},
     "env": {"AWS_PROFILE": "dev"}},
    {"name": "AWS_DEFAULT_PROFILE wins over AWS_PROFILE",
     "files": {"credentials": "[a]\naws_access_key_id = AKIDA\naws_secret_access_key = sa\n[b]\naws_access_key_id = AKIDB\naws_secret_access_key = sb\n"},
     "env": {"AWS_PROFILE": "a", "AWS_DEFAULT_PROFILE": "b"}},
    {"name": "explicit profile skips environment keys",
     "files": {"credentials": "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = secretdev\n"},
     "env": {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv"},
     "profile": "dev"},
    {"name": "AWS_PROFILE naming a missing profile",
     "files": {"credentials": "[default]\n" + KEYS},
     "env": {"AWS_PROFILE": "ghost"}},
    {"name": "config file static keys",
     "files": {"config": "[profile cfg]\nregion = sa-east-1\n" + KEYS},
     "env": {"AWS_PROFILE": "cfg"}},
    {"name": "config section without the profile prefix is not a profile",
     "files": {"config": "[cfg]\n" + KEYS},
     "env": {"AWS_PROFILE": "cfg"}},
    {"name": "credentials file without secret",
     "files": {"credentials": "[default]\naws_access_key_id = AKIDFILE\n"}},
    {"name": "credential_process long-term keys",
     "files": {"proc.sh": PROC_OK, "config": "[default]\ncredential_process = sh {dir}/proc.sh\n"}},
    {"name": "credential_process temporary keys with expiration",
     "files": {"proc.sh": PROC_TEMP, "config": "[profile p]\ncredential_process = sh \"{dir}/proc.sh\" --flag 'quoted arg'\nregion = ca-central-1\n"},
     "env": {"AWS_PROFILE": "p"}},
    {"name": "credential_process in the credentials file",
     "files": {"proc.sh": PROC_OK, "credentials": "[default]\ncredential_process = sh {dir}/proc.sh\n"}},
    {"name": "credentials file keys beat credential_process",
     "files": {"proc.sh": PROC_OK, "config": "[default]\ncredential_process = sh {dir}/proc.sh\n",
               "credentials": "[default]\n" + KEYS}},
    {"name": "credential_process beats config file keys",
     "files": {"proc.sh": PROC_OK, "config": "[default]\ncredential_process = sh {dir}/proc.sh\n" + KEYS}},
    {"name": "credential_process failing",
     "files": {"proc.sh": PROC_FAIL, "config": "[default]\ncredential_process = sh {dir}/proc.sh\n"}},
    {"name": "credential_process unsupported version",
     "files": {"proc.sh": PROC_V2, "config": "[default]\ncredential_process = sh {dir}/proc.sh\n"}},
    {"name": "assume role with source_profile",
     "files": {"credentials": "[base]\n" + KEYS,
               "config": "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nexternal_id = ext-1\nregion = us-east-2\n"},
     "profile": "admin"},
    {"name": "assume role beats static keys of the same profile",
     "files": {"config": "[default]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = default\n" + KEYS}},
    {"name": "assume role without source",
     "files": {"config": "[default]\nrole_arn = arn:aws:iam::123456789012:role/admin\n"}},
    {"name": "assume role with source_profile and credential_source",
     "files": {"config": "[default]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = x\ncredential_source = Environment\n[profile x]\n" + KEYS}},
    {"name": "assume role with a missing source_profile",
     "files": {"config": "[default]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = ghost\n"}},
    {"name": "assume role cycle",
     "files": {"config": "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n"},
     "env": {"AWS_PROFILE": "a"}},
    {"name": "assume role with credential_source Environment",
     "files": {"config": "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Environment\n"},
     "env": {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv"},
     "profile": "r"},
    {"name": "web identity from the environment",
     "files": {"token": "eyJ.token.sig"},
     "env": {"AWS_WEB_IDENTITY_TOKEN_FILE": "{dir}/token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa",
             "AWS_ROLE_SESSION_NAME": "pod", "AWS_DEFAULT_REGION": "us-west-2"}},
    {"name": "web identity from the profile",
     "files": {"token": "eyJ.token.sig",
               "config": "[default]\nweb_identity_token_file = {dir}/token\nrole_arn = arn:aws:iam::123456789012:role/web\n"}},
    {"name": "web identity beats credentials file",
     "files": {"token": "eyJ.token.sig", "credentials": "[default]\n" + KEYS},
     "env": {"AWS_WEB_IDENTITY_TOKEN_FILE": "{dir}/token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa"}},
    {"name": "web identity without a role",
     "files": {"token": "eyJ.token.sig"},
     "env": {"AWS_WEB_IDENTITY_TOKEN_FILE": "{dir}/token"}},
    {"name": "comments, case, colon delimiter and sub-sections",
     "files": {"config": "# top comment\n; another\n[default]\n  REGION : eu-central-1\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n# between\nAWS_ACCESS_KEY_ID=AKIDCASE\naws_secret_access_key   =   secretcase\n"}},
    {"name": "inline hash is part of the value",
     "files": {"config": "[default]\nregion = us-west-1 # not a comment\n", "credentials": "[default]\n" + KEYS}},
    {"name": "quoted profile name",
     "files": {"config": "[profile \"my profile\"]\nregion = eu-south-1\n" + KEYS},
     "env": {"AWS_PROFILE": "my profile"}},
    {"name": "region from the credentials file",
     "files": {"credentials": "[default]\n" + KEYS + "region = me-south-1\n"}},
    {"name": "AWS_DEFAULT_REGION beats the profile region",
     "files": {"config": "[default]\nregion = us-west-2\n", "credentials": "[default]\n" + KEYS},
     "env": {"AWS_DEFAULT_REGION": "af-south-1"}},
    {"name": "config parse error",
     "files": {"config": "[default]\nregion = us-west-2\nthis line has no delimiter\n", "credentials": "[default]\n" + KEYS}},
    {"name": "duplicate section",
     "files": {"config": "[default]\nregion = a\n[default]\nregion = b\n", "credentials": "[default]\n" + KEYS}},
    {"name": "empty session token in the credentials file",
     "files": {"credentials": "[default]\n" + KEYS + "aws_session_token =\n"}},
    {"name": "empty security token in the config file",
     "files": {"config": "[default]\n" + KEYS + "aws_security_token =\n"}},
    {"name": "empty security token shadows the session token",
     "files": {"credentials": "[default]\n" + KEYS + "aws_security_token =\naws_session_token = tokfile\n"}},
    {"name": "empty session token in the environment",
     "env": {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
             "AWS_SESSION_TOKEN": ""}},
    {"name": "empty security token in the environment falls back to the session token",
     "env": {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secretenv",
             "AWS_SECURITY_TOKEN": "", "AWS_SESSION_TOKEN": "tokenenv"}},
    {"name": "credential_process with an empty session token",
     "files": {"proc.sh": PROC_EMPTY_TOKEN, "config": "[default]\ncredential_process = sh {dir}/proc.sh\n"}},
    {"name": "nothing configured",
     "files": {}},
    {"name": "credentials file path from a missing file",
     "files": {"config": "[default]\nregion = us-east-1\n"},
     "env": {"AWS_SHARED_CREDENTIALS_FILE": "{dir}/does-not-exist"}},
]


def substitute(text, directory):
    return text.replace("{dir}", directory)


def resolve(config):
    with tempfile.TemporaryDirectory() as directory:
        for name, text in config.get("files", {}).items():
            with open(os.path.join(directory, name), "w") as f:
                f.write(substitute(text, directory))
        env = {
            "AWS_CONFIG_FILE": os.path.join(directory, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(directory, "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": os.path.join(directory, "home"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        for k, v in config.get("env", {}).items():
            env[k] = substitute(v, directory)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            session = botocore.session.Session(profile=config.get("profile"))
            out = {}
            try:
                creds = session.get_credentials()
                if creds is None:
                    out["credentials"] = None
                else:
                    entry = {"method": creds.method}
                    # Role assumption is deferred: reading its keys would
                    # call STS, so only the method is recorded.
                    if creds.method not in ("assume-role", "assume-role-with-web-identity"):
                        frozen = creds.get_frozen_credentials()
                        entry["access_key_id"] = frozen.access_key
                        entry["secret_access_key"] = frozen.secret_key
                        # An empty token is no token: botocore's signers
                        # add the token header only when it is non-empty.
                        entry["session_token"] = frozen.token or None
                        expiry = getattr(creds, "_expiry_time", None)
                        entry["expiry"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ") if expiry else None
                    out["credentials"] = entry
            except botocore.exceptions.BotoCoreError as e:
                out["credentials_error"] = type(e).__name__
            try:
                out["region"] = session.get_config_variable("region")
            except botocore.exceptions.BotoCoreError as e:
                out["region_error"] = type(e).__name__
            return out
        finally:
            os.environ.clear()
            os.environ.update(saved)


def main():
    results = []
    for config in CONFIGS:
        entry = {
            "name": config["name"],
            "files": config.get("files", {}),
            "env": config.get("env", {}),
            "profile": config.get("profile"),
        }
        entry["botocore"] = resolve(config)
        results.append(entry)
    doc = {
        "generator": "testdata/credentials/generate.py",
        "botocore_version": botocore.__version__,
        "configurations": results,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore_chain.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(results)} configurations to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
