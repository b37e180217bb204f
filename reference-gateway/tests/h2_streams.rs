//! The gateway's h2c side against more streams at once than hyper's default limit (200).

use reference_gateway::Setup;
use std::time::Duration;

/// 300 requests at once on one h2c connection reach the gateway's bounded queue, which sheds
/// what it has no room for (100 in flight + 150 queued): with hyper's 200 streams a
/// connection, the rest waited in the client, the queue never filled and nothing was shed
/// (a full-stack bounded run over h2c read "stable" with 0 shed where HTTP/1.1 shed ~520).
#[tokio::test]
async fn h2c_requests_past_200_at_once_meet_the_bounded_queue() {
    let text = "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\n[gateway]\nstrategy = \"bounded\"\nconcurrency = 100\nqueue_capacity = 150\n\n[[backend.services]]\nname = \"svc\"\napis = [\"op\"]\nworkers = 100\nservice_time = \"1s\"\n";
    let s = model::scenario::parse("test.toml", text).expect("valid scenario");
    let ml = mock_legacy::start(&s, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .expect("mock-legacy starts");
    let setup = Setup::from_scenario(&s, Some(&ml.url())).expect("gateway setup");
    let gw = reference_gateway::start(setup, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("gateway starts");

    let h2 = mock_legacy::testing::h2c_client();
    // The connection first, so the burst shares it.
    let first = mock_legacy::testing::get(&h2, &format!("{}/metrics", gw.url())).await;
    assert_eq!(first.map(|r| r.status), Ok(200), "h2c /metrics");
    let url = format!("{}/svc/op", gw.url());
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..300 {
        let (h2, url) = (h2.clone(), url.clone());
        set.spawn(async move {
            let req = http::Request::get(url)
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .map_err(|e| e.to_string())?;
            let resp = tokio::time::timeout(Duration::from_secs(20), h2.request(req))
                .await
                .map_err(|_| "no answer within 20 s".to_string())?
                .map_err(|e| e.to_string())?;
            let outcome = resp
                .headers()
                .get("x-spillway-outcome")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            Ok::<_, String>((resp.status().as_u16(), outcome))
        });
    }
    let mut replies = Vec::new();
    while let Some(r) = set.join_next().await {
        replies.push(r.expect("request task").expect("h2c request"));
    }
    let served = replies.iter().filter(|r| *r == &(200, "served".to_string())).count();
    let shed = replies.iter().filter(|r| *r == &(503, "shed".to_string())).count();
    assert_eq!(served + shed, 300, "only served and shed: {replies:?}");
    assert!(
        shed > 0,
        "nothing shed: at most 200 requests reached the gateway at once"
    );
    gw.shutdown().await;
    ml.shutdown().await;
}
