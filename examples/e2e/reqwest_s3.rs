//! The reqwest middleware end to end: `SigV4Middleware` in a
//! `reqwest_middleware` client, uploading to S3.
//!
//! - s3s-fs, with its static keys: the signer's clock 20 minutes ahead, so
//!   the first upload is refused as `RequestTimeTooSkewed` and the skew
//!   correction has to fire; a key with `+` sent as signed; a body over the
//!   buffering limit refused before it is sent.
//! - moto's S3, with role credentials from moto's STS that expire and
//!   refresh during the run.
//!
//! A tap placed after the signing middleware records each request as sent
//! and, for the tampered twins, changes it after it was signed.

use awsig::middleware::{RefreshingSigner, SigV4Middleware};
use awsig::refresh::RefreshingCredentials;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

use crate::agent::{
    Cases, Tamper, Wire, changed_token, learned_skew, moved_date, refresh_run, untouched,
};

/// Records each signed request on the wire and applies the tamper.
struct Tap {
    wire: Wire,
    credentials: RefreshingCredentials,
    tamper: Tamper,
}

#[async_trait::async_trait]
impl Middleware for Tap {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let at = self.wire.record(request.headers(), &self.credentials);
        let had_body = request.body().is_some();
        let mut body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        (self.tamper)(request.headers_mut(), &mut body);
        if had_body {
            *request.body_mut() = Some(body.into());
        }
        let response = next.run(request, extensions).await?;
        self.wire.answered(at, response.status().as_u16());
        Ok(response)
    }
}

/// A client that signs with `signer`, then goes through the tap.
fn client(signer: &RefreshingSigner, wire: &Wire, tamper: Tamper) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(signer.clone()))
        .with(Tap {
            wire: wire.clone(),
            credentials: signer.credentials().clone(),
            tamper,
        })
        .build()
}

/// Sends and reads the whole answer.
async fn send(
    client: &ClientWithMiddleware,
    method: http::Method,
    url: &str,
    body: Option<Vec<u8>>,
) -> Result<crate::Reply, String> {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.map_err(|e| format!("not sent: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the body: {e}"))?;
    Ok(crate::Reply {
        status,
        body: body.to_vec(),
        error_type: None,
    })
}

/// Deterministic bytes that do not compress into anything recognizable.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn on_the_wire(wire: &Wire, from: usize, expected: &[u16]) -> Result<(), String> {
    let seen = wire.statuses_since(from);
    if seen == expected {
        Ok(())
    } else {
        Err(format!(
            "statuses on the wire {seen:?}, expected {expected:?}"
        ))
    }
}

/// The reqwest path: moto's S3 with the role signer, then s3s-fs with
/// `[skewed, wrong secret, 1 KiB buffering limit]`.
pub(crate) async fn run(
    moto: String,
    s3s: String,
    bucket: String,
    role: Result<RefreshingSigner, String>,
    s3s_signers: Result<[RefreshingSigner; 3], String>,
) -> Cases {
    let mut cases = Cases::default();
    match role {
        Ok(signer) => moto_refresh(&mut cases, &moto, &signer).await,
        Err(e) => cases.case("reqwest middleware, S3 (moto): the signer", Err(e)),
    }
    match s3s_signers {
        Ok(signers) => s3s_skew(&mut cases, &s3s, &bucket, signers).await,
        Err(e) => cases.case("reqwest middleware, S3 (s3s-fs): the signers", Err(e)),
    }
    cases
}

async fn moto_refresh(cases: &mut Cases, moto: &str, signer: &RefreshingSigner) {
    let prefix = "reqwest middleware, S3 (moto)";
    let _refresher = signer.credentials().spawn_background();
    let wire = Wire::default();
    let plain = client(signer, &wire, untouched());
    let bucket = format!("{moto}/awsig-e2e-reqwest");
    let created = send(&plain, http::Method::PUT, &bucket, None)
        .await
        .and_then(|r| crate::expect_success(&r));
    let ok = created.is_ok();
    cases.case(
        &format!("{prefix}: CreateBucket, the role's first credentials fetched on the first call"),
        created,
    );
    if !ok {
        return;
    }

    let mut last = None;
    refresh_run(cases, prefix, "PutObject of 32 KiB", &wire, async |i| {
        let body = payload(32 * 1024, i);
        let url = format!("{bucket}/uploads/object-{i}.bin");
        send(&plain, http::Method::PUT, &url, Some(body.clone()))
            .await
            .and_then(|r| crate::expect_success(&r))?;
        last = Some((url, body));
        Ok(())
    })
    .await;
    cases.case(&format!("{prefix}: GetObject returns the last upload"), {
        match &last {
            None => Err("nothing was stored".to_owned()),
            Some((url, body)) => send(&plain, http::Method::GET, url, None)
                .await
                .and_then(|r| crate::expect_body(&r, body)),
        }
    });

    // Tampered twins. moto never hashes the body (s3s-fs does, below): a
    // body changed together with its x-amz-content-sha256 is caught.
    let rehashed: Tamper = std::sync::Arc::new(|headers, body| {
        body[0] ^= 0x20;
        let hash = crate::hex_sha256(body);
        headers.insert(
            "x-amz-content-sha256",
            http::HeaderValue::from_str(&hash).unwrap(),
        );
    });
    // S3 answers a token that is not the session's with 400 InvalidToken.
    let twins: [(&str, Tamper, u16, &str); 2] = [
        (
            "PutObject with the body and its x-amz-content-sha256 changed after signing",
            rehashed,
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "PutObject with the session token changed after signing",
            changed_token(),
            400,
            "InvalidToken",
        ),
    ];
    for (name, tamper, status, code) in twins {
        let before = wire.len();
        let twin = client(signer, &wire, tamper);
        let url = format!("{bucket}/uploads/tampered.bin");
        cases.case(&format!("{prefix}: {name} is rejected"), {
            send(&twin, http::Method::PUT, &url, Some(payload(1024, 7)))
                .await
                .and_then(|r| crate::expect_error(&r, status, code))
                .and_then(|()| on_the_wire(&wire, before, &[status]))
        });
    }
}

async fn s3s_skew(cases: &mut Cases, s3s: &str, bucket: &str, signers: [RefreshingSigner; 3]) {
    let prefix = "reqwest middleware, S3 (s3s-fs)";
    let [signer, wrong_secret, limited] = signers;
    let wire = Wire::default();
    let plain = client(&signer, &wire, untouched());
    let url = |key: &str| format!("{s3s}/{bucket}/{key}");
    let body = payload(256 * 1024, 1);

    cases.case(
        &format!(
            "{prefix}: PutObject of 256 KiB signed 20 minutes ahead is refused once as RequestTimeTooSkewed, the offset is learned from Date and the upload sent again is stored"
        ),
        send(&plain, http::Method::PUT, &url("reqwest/upload.bin"), Some(body.clone()))
            .await
            .and_then(|r| crate::expect_success(&r))
            .and_then(|()| on_the_wire(&wire, 0, &[403, 200]))
            .and_then(|()| learned_skew(&signer)),
    );
    cases.case(
        &format!("{prefix}: GetObject returns the same bytes, signed right the first time"),
        {
            let before = wire.len();
            send(&plain, http::Method::GET, &url("reqwest/upload.bin"), None)
                .await
                .and_then(|r| crate::expect_body(&r, &body))
                .and_then(|()| on_the_wire(&wire, before, &[200]))
        },
    );
    cases.case(
        &format!("{prefix}: a key with a raw '+' is stored under '+', as it was signed"),
        {
            let content = b"plus".to_vec();
            send(
                &plain,
                http::Method::PUT,
                &url("reqwest/a+b.txt"),
                Some(content),
            )
            .await
            .and_then(|r| crate::expect_success(&r))
        },
    );
    cases.case(
        &format!("{prefix}: it reads back as a%2Bb.txt, and a space in its place finds nothing"),
        {
            let plus = send(&plain, http::Method::GET, &url("reqwest/a%2Bb.txt"), None)
                .await
                .and_then(|r| crate::expect_body(&r, b"plus"));
            match plus {
                Err(e) => Err(e),
                Ok(()) => send(&plain, http::Method::GET, &url("reqwest/a%20b.txt"), None)
                    .await
                    .and_then(|r| crate::expect_error(&r, 404, "NoSuchKey")),
            }
        },
    );

    // Tampered twins, with the corrected clock.
    let flipped: Tamper = std::sync::Arc::new(|_, body| body[0] ^= 0x20);
    cases.case(
        &format!(
            "{prefix}: PutObject with a body byte changed after signing is refused and not stored"
        ),
        {
            let before = wire.len();
            let twin = client(&signer, &wire, flipped);
            let refused = send(
                &twin,
                http::Method::PUT,
                &url("reqwest/tampered.bin"),
                Some(body.clone()),
            )
            .await
            // s3s-fs finds the mismatch while it stores the body and
            // answers 500 InternalError (AWS: XAmzContentSHA256Mismatch).
            .and_then(|r| crate::expect_error(&r, 500, "InternalError"))
            .and_then(|()| on_the_wire(&wire, before, &[500]));
            match refused {
                Err(e) => Err(e),
                Ok(()) => send(
                    &plain,
                    http::Method::GET,
                    &url("reqwest/tampered.bin"),
                    None,
                )
                .await
                .and_then(|r| crate::expect_error(&r, 404, "NoSuchKey")),
            }
        },
    );
    cases.case(
        &format!("{prefix}: PutObject with x-amz-date moved after signing is rejected"),
        {
            let before = wire.len();
            let twin = client(&signer, &wire, moved_date());
            send(
                &twin,
                http::Method::PUT,
                &url("reqwest/moved.bin"),
                Some(b"x".to_vec()),
            )
            .await
            .and_then(|r| crate::expect_error(&r, 403, "SignatureDoesNotMatch"))
            .and_then(|()| on_the_wire(&wire, before, &[403]))
        },
    );
    cases.case(
        &format!("{prefix}: PutObject signed with the wrong secret is rejected"),
        {
            let before = wire.len();
            let twin = client(&wrong_secret, &wire, untouched());
            send(
                &twin,
                http::Method::PUT,
                &url("reqwest/wrong.bin"),
                Some(b"x".to_vec()),
            )
            .await
            .and_then(|r| crate::expect_error(&r, 403, "SignatureDoesNotMatch"))
            .and_then(|()| on_the_wire(&wire, before, &[403]))
        },
    );
    cases.case(
        &format!(
            "{prefix}: a body over the signer's buffering limit is refused before it is sent, saying how to send it"
        ),
        {
            let before = wire.len();
            let limited = client(&limited, &wire, untouched());
            match send(&limited, http::Method::PUT, &url("reqwest/large.bin"), Some(payload(4096, 2))).await {
                Ok(r) => Err(format!("sent: {}", r.brief())),
                Err(e) if e.contains("cannot sign a streaming body for s3")
                    && e.contains("send a buffered body")
                    && wire.len() == before =>
                {
                    Ok(())
                }
                Err(e) => Err(e),
            }
        },
    );
}
