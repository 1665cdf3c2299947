//! The tower layer end to end: `SigV4Layer` over a hyper client, as a hyper
//! or tonic agent stacks it, signing SQS calls to moto with role
//! credentials that refresh during the run, and Prometheus remote writes
//! to the aps receiver with a clock 20 minutes ahead, so the skew
//! correction has to fire. Each accepted call has tampered twins: a tap
//! between the layer and the client changes the signed request before it
//! is sent.

use awsig::middleware::{BoxError, RefreshingSigner, SigV4Layer};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt;
use tower::util::BoxCloneService;
use tower_layer::Layer;

use crate::Reply;
use crate::agent::{
    Cases, Tamper, Wire, changed_token, learned_skew, refresh_run, replace_in_body, set_header,
    skewed, untouched,
};

type Hyper = Client<HttpConnector, Full<Bytes>>;
type Inner = BoxCloneService<http::Request<Full<Bytes>>, http::Response<Full<Bytes>>, BoxError>;

/// The hyper client behind a tap that records each request on `wire`
/// (and changes it with `tamper`) after it is signed.
fn tapped(client: &Hyper, wire: &Wire, signer: &RefreshingSigner, tamper: Tamper) -> Inner {
    let (client, wire, credentials) = (client.clone(), wire.clone(), signer.credentials().clone());
    BoxCloneService::new(tower::service_fn(
        move |request: http::Request<Full<Bytes>>| {
            let (client, wire, credentials, tamper) = (
                client.clone(),
                wire.clone(),
                credentials.clone(),
                tamper.clone(),
            );
            async move {
                let (mut parts, body) = request.into_parts();
                let Ok(body) = body.collect().await;
                let mut body = body.to_bytes().to_vec();
                let at = wire.record(&parts.headers, &credentials);
                tamper(&mut parts.headers, &mut body);
                let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
                let response = client.request(request).await.map_err(boxed)?;
                wire.answered(at, response.status().as_u16());
                let (head, body) = response.into_parts();
                let body = body.collect().await.map_err(boxed)?.to_bytes();
                Ok(http::Response::from_parts(head, Full::new(body)))
            }
        },
    ))
}

fn boxed(e: impl std::error::Error + Send + Sync + 'static) -> BoxError {
    Box::new(e)
}

/// The JSON of a reply.
fn json(reply: &Reply) -> Result<serde_json::Value, String> {
    serde_json::from_slice(&reply.body).map_err(|e| format!("{e}: {}", reply.brief()))
}

/// A rejection with this status and code (in the body, or in
/// `x-amzn-ErrorType` as the aps receiver gives it).
fn rejected(reply: &Reply, status: u16, code: &str) -> Result<(), String> {
    if reply.status == status && reply.error_type.as_deref() == Some(code) {
        return Ok(());
    }
    crate::expect_error(reply, status, code)
}

/// Sends one request through `SigV4Layer` over the tapped client.
async fn call(
    signer: &RefreshingSigner,
    inner: Inner,
    request: http::Request<Full<Bytes>>,
) -> Result<Reply, String> {
    let service = SigV4Layer::new(signer.clone()).layer(inner);
    let response = service
        .oneshot(request)
        .await
        .map_err(|e| format!("not sent: {e}"))?;
    let (head, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
        .to_bytes();
    Ok(Reply {
        status: head.status.as_u16(),
        body: body.to_vec(),
        error_type: crate::error_type(&head.headers),
    })
}

/// An SQS call in the JSON protocol.
fn sqs(endpoint: &str, action: &str, json: &serde_json::Value) -> http::Request<Full<Bytes>> {
    http::Request::post(format!("{endpoint}/"))
        .header("content-type", crate::SQS_JSON)
        .header("x-amz-target", format!("AmazonSQS.{action}"))
        .body(Full::new(Bytes::from(json.to_string())))
        .unwrap()
}

/// The tower path: SQS at moto with `signer` (role credentials), the same
/// unskewed but 20 minutes behind with `behind`, and remote writes to the
/// aps receiver with `aps`, 20 minutes ahead.
pub(crate) async fn run(
    moto: String,
    receiver: Option<String>,
    signer: Result<RefreshingSigner, String>,
    behind: Result<RefreshingSigner, String>,
    aps: Result<RefreshingSigner, String>,
) -> Cases {
    let mut cases = Cases::default();
    let prefix = "tower layer, SQS (moto)";
    let signer = match signer {
        Ok(s) => s,
        Err(e) => {
            cases.case(
                &format!("{prefix}: the signer from the sigv4 block"),
                Err(e),
            );
            return cases;
        }
    };
    let _refresher = signer.credentials().spawn_background();
    let client: Hyper = Client::builder(TokioExecutor::new()).build_http();
    let wire = Wire::default();
    let plain = || tapped(&client, &wire, &signer, untouched());

    let created = call(
        &signer,
        plain(),
        sqs(
            &moto,
            "CreateQueue",
            &serde_json::json!({"QueueName": "awsig-e2e-tower"}),
        ),
    )
    .await;
    let queue = created.and_then(|r| {
        crate::expect_success(&r)?;
        json(&r)?["QueueUrl"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no QueueUrl: {}", r.brief()))
    });
    cases.case(
        &format!("{prefix}: CreateQueue, the role's first credentials fetched on the first call"),
        queue.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let Ok(queue) = queue else { return cases };

    // Messages for longer than the credentials live.
    refresh_run(&mut cases, prefix, "SendMessage", &wire, async |i| {
        let message = serde_json::json!({"QueueUrl": queue, "MessageBody": format!("message {i}")});
        call(&signer, plain(), sqs(&moto, "SendMessage", &message))
            .await
            .and_then(|r| crate::expect_success(&r))
    })
    .await;
    cases.case(&format!("{prefix}: ReceiveMessage gets the messages"), {
        let receive = serde_json::json!({"QueueUrl": queue, "MaxNumberOfMessages": 10});
        call(&signer, plain(), sqs(&moto, "ReceiveMessage", &receive))
            .await
            .and_then(|r| {
                crate::expect_success(&r)?;
                let json = json(&r)?;
                let bodies: Vec<&str> = json["Messages"]
                    .as_array()
                    .map(|m| m.iter().filter_map(|m| m["Body"].as_str()).collect())
                    .unwrap_or_default();
                if !bodies.is_empty() && bodies.iter().all(|b| b.starts_with("message ")) {
                    Ok(())
                } else {
                    Err(format!("messages: {}", r.brief()))
                }
            })
    });

    // Tampered twins: signed by the layer, changed below it.
    let message = serde_json::json!({"QueueUrl": queue, "MessageBody": "tampered"});
    let twins: [(&str, Tamper, &str); 3] = [
        (
            "SendMessage with a body byte changed after signing",
            replace_in_body("tampered", "tampereD"),
            "SignatureDoesNotMatch",
        ),
        (
            "SendMessage turned into DeleteQueue (x-amz-target changed) after signing",
            set_header("x-amz-target", "AmazonSQS.DeleteQueue".to_owned()),
            "SignatureDoesNotMatch",
        ),
        (
            "SendMessage with the session token changed after signing",
            changed_token(),
            "InvalidClientTokenId",
        ),
    ];
    for (name, tamper, code) in twins {
        let inner = tapped(&client, &wire, &signer, tamper);
        let before = wire.len();
        cases.case(&format!("{prefix}: {name} is rejected"), {
            call(&signer, inner, sqs(&moto, "SendMessage", &message))
                .await
                .and_then(|r| rejected(&r, 403, code))
                .and_then(|()| match wire.len() - before {
                    1 => Ok(()),
                    n => Err(format!("sent {n} times")),
                })
        });
    }
    cases.case(&format!("{prefix}: the queue is still there"), {
        let attributes = serde_json::json!({"QueueUrl": queue, "AttributeNames": ["All"]});
        call(
            &signer,
            plain(),
            sqs(&moto, "GetQueueAttributes", &attributes),
        )
        .await
        .and_then(|r| crate::expect_success(&r))
    });

    // moto checks no signing time: a call signed 20 minutes ago passes,
    // and the layer, seeing no rejection, learns nothing.
    cases.case(
        &format!(
            "{prefix}: moto checks no signing time: a call signed 20 minutes ago is accepted as it is"
        ),
        match behind {
            Err(e) => Err(e),
            Ok(behind) => {
                let behind = behind.with_clock(|| {
                    awsig::skew::shift(std::time::SystemTime::now(), -crate::agent::SKEW_SECS)
                });
                let inner = tapped(&client, &wire, &behind, untouched());
                let before = wire.len();
                let list = serde_json::json!({"QueueNamePrefix": "awsig"});
                call(&behind, inner, sqs(&moto, "ListQueues", &list))
                    .await
                    .and_then(|r| crate::expect_success(&r))
                    .and_then(|()| {
                        let (n, offset) = (wire.len() - before, behind.clock_offset());
                        if n == 1 && offset == 0 {
                            Ok(())
                        } else {
                            Err(format!("sent {n} times, offset {offset}"))
                        }
                    })
            }
        },
    );

    match (receiver, aps) {
        (Some(receiver), Ok(aps)) => aps_skew(&mut cases, &client, &receiver, skewed(aps)).await,
        (None, _) => cases.case(
            "tower layer, aps (receiver): the receiver",
            Err("AWSIG_E2E_RECEIVER_ENDPOINT is not set".to_owned()),
        ),
        (_, Err(e)) => cases.case("tower layer, aps (receiver): the signer", Err(e)),
    }
    cases
}

/// Remote writes through the layer to the aps receiver, with the signer's
/// clock 20 minutes ahead.
async fn aps_skew(cases: &mut Cases, client: &Hyper, receiver: &str, signer: RefreshingSigner) {
    let prefix = "tower layer, aps (receiver)";
    let wire = Wire::default();
    let write = || {
        http::Request::post(format!("{receiver}{}", crate::remote_write::PATH))
            .header("content-type", "application/x-protobuf")
            .header("content-encoding", "snappy")
            .body(Full::new(Bytes::from(crate::remote_write::write_request())))
            .unwrap()
    };
    cases.case(
        &format!(
            "{prefix}: a write signed 20 minutes ahead is refused as expired once, the offset is learned from Date and the write sent again is accepted"
        ),
        call(&signer, tapped(client, &wire, &signer, untouched()), write())
            .await
            .and_then(|r| crate::expect_success(&r))
            .and_then(|()| match wire.statuses_since(0).as_slice() {
                [403, 200] => learned_skew(&signer),
                other => Err(format!("statuses on the wire {other:?}")),
            }),
    );
    cases.case(
        &format!("{prefix}: the next write is accepted the first time"),
        call(
            &signer,
            tapped(client, &wire, &signer, untouched()),
            write(),
        )
        .await
        .and_then(|r| crate::expect_success(&r))
        .and_then(|()| match wire.statuses_since(2).as_slice() {
            [200] => Ok(()),
            other => Err(format!("statuses on the wire {other:?}")),
        }),
    );
    cases.case(
        &format!("{prefix}: a write with a body byte changed after signing is rejected, and not taken for skew"),
        {
            let tamper: Tamper = std::sync::Arc::new(|_, body: &mut Vec<u8>| {
                let last = body.len() - 1;
                body[last] ^= 1;
            });
            call(&signer, tapped(client, &wire, &signer, tamper), write())
                .await
                .and_then(|r| rejected(&r, 403, "InvalidSignatureException"))
                .and_then(|()| match wire.statuses_since(3).as_slice() {
                    [403] => Ok(()),
                    other => Err(format!("statuses on the wire {other:?}")),
                })
        },
    );
}
