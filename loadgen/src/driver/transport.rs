//! How requests travel (the lean HTTP/1.1 client or hyper), what they request per service
//! and API, and what every attempt to a service sends.

use super::options::LiveOptions;
use super::target::TargetError;
use crate::h1::H1Client;
use crate::http::HttpClient;
use bytes::Bytes;
use model::scenario::Scenario;

/// How requests travel.
pub(super) enum Transport {
    /// Plain http over HTTP/1.1: the lean client (`crate::h1`); targets are origin-form paths.
    Lean(H1Client),
    /// https or HTTP/2: hyper; targets are absolute URLs.
    Hyper(Box<HttpClient>),
}

/// What every attempt to one service sends besides loadgen's own headers: the scenario's
/// `[clients.request]` with the service's `request` over it ([`Scenario::request`]), checked
/// and converted once, before the run.
pub(super) struct Prepared {
    pub(super) method: http::Method,
    pub(super) headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// Shared by every attempt (a retry sends the same bytes).
    pub(super) body: Bytes,
}

impl Prepared {
    fn new(r: model::scenario::RequestSpec) -> Result<Prepared, String> {
        let method = http::Method::from_bytes(r.method.as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", r.method))?;
        let headers = r
            .headers
            .iter()
            .map(|(n, v)| {
                let name =
                    http::HeaderName::from_bytes(n.as_bytes()).map_err(|_| format!("`{n}` is not a header name"))?;
                let value = http::HeaderValue::from_bytes(v.as_bytes())
                    .map_err(|_| format!("header `{n}`: not a valid value"))?;
                Ok((name, value))
            })
            .collect::<Result<_, String>>()?;
        Ok(Prepared {
            method,
            headers,
            body: Bytes::from(r.body.to_vec()),
        })
    }

    /// The request for each service, indexed like [`Shared::targets`]: one for every service
    /// (a one-liner's one included).
    ///
    /// [`Shared::targets`]: super::shared::Shared::targets
    pub(super) fn for_scenario(scenario: &Scenario) -> Result<Vec<Prepared>, model::UsageError> {
        (0..scenario.services.len().max(1))
            .map(|i| {
                let spec = if scenario.services.is_empty() {
                    Ok(model::scenario::RequestSpec::default())
                } else {
                    scenario.request(i)
                };
                spec.and_then(Prepared::new).map_err(|e| {
                    let at = scenario
                        .services
                        .get(i)
                        .map_or(String::new(), |s| format!(" (service `{}`)", s.name));
                    model::UsageError(format!("{}: the request{at}: {e}", scenario.source))
                })
            })
            .collect()
    }
}

/// The transport for `base`, and what to request per service and API: the lean HTTP/1.1 client
/// for plain http, hyper for https and HTTP/2.
pub(super) async fn transport(
    base: &str,
    scenario: &Scenario,
    opts: &LiveOptions,
) -> anyhow::Result<(Transport, Vec<Vec<String>>)> {
    let uri: http::Uri = base
        .parse()
        .map_err(|e| TargetError(format!("target `{base}` is not a URL: {e}")))?;
    let lean = uri.scheme_str() == Some("http") && !opts.http2;
    // The services' paths go after the target's path and before its query (`/base?key=abc`
    // requests `/base/billing/api-1?key=abc`).
    let path = uri.path().trim_end_matches('/');
    let prefix = match (lean, uri.scheme_str(), uri.authority()) {
        (true, _, _) => path.to_string(),
        (false, Some(scheme), Some(authority)) => format!("{scheme}://{authority}{path}"),
        (false, _, _) => base.to_string(),
    };
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let mut targets: Vec<Vec<String>> = if opts.catch_all {
        let whole = if lean {
            uri.path_and_query().map_or("/", |p| p.as_str()).to_string()
        } else {
            base.to_string()
        };
        vec![vec![whole]]
    } else {
        scenario
            .services
            .iter()
            .map(|s| {
                s.apis
                    .iter()
                    .map(|a| format!("{prefix}/{}/{a}{query}", s.name))
                    .collect()
            })
            .collect()
    };
    if targets.iter().all(Vec::is_empty) {
        targets = vec![vec![if lean { "/".into() } else { base.to_string() }]];
    }
    for t in targets.iter().flatten() {
        let valid = if lean {
            t.parse::<http::uri::PathAndQuery>().is_ok()
        } else {
            t.parse::<http::Uri>().is_ok()
        };
        if !valid {
            return Err(model::UsageError(format!(
                "`{t}` is not a valid request target (check the service and API names)"
            ))
            .into());
        }
    }
    if !lean {
        let client =
            crate::http::client(opts.http2, opts.max_connections, opts.ca_pem.as_deref()).map_err(model::UsageError)?;
        return Ok((Transport::Hyper(Box::new(client)), targets));
    }
    let (name, port) = crate::h1::host_port(&uri).ok_or_else(|| TargetError(format!("target `{base}` has no host")))?;
    let host = match uri.port() {
        Some(p) => format!("{}:{p}", uri.host().unwrap_or(name)),
        None => uri.host().unwrap_or(name).to_string(),
    };
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| TargetError(format!("cannot resolve the target {base}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(TargetError(format!("the target {base} resolves to no address")).into());
    }
    Ok((
        Transport::Lean(H1Client::new(addrs, host, opts.max_connections)),
        targets,
    ))
}

#[cfg(test)]
mod tests {
    /// A target URL's query follows the services' paths, over plain http (the lean client's
    /// request targets) and https (hyper's absolute URLs); it was dropped, or had the paths
    /// glued after it.
    #[tokio::test]
    async fn a_target_query_follows_the_service_paths() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
             [[backend.services]]\nname = \"billing\"\nworkers = 1\nservice_time = \"30ms\"\napis = [\"pay\"]\n",
        )
        .expect("valid");
        let opts = crate::LiveOptions::default();
        for (base, want) in [
            ("http://127.0.0.1:9/base?key=abc", "/base/billing/pay?key=abc"),
            ("http://127.0.0.1:9/base/", "/base/billing/pay"),
            ("http://127.0.0.1:9", "/billing/pay"),
            (
                "https://localhost:9/base?key=abc",
                "https://localhost:9/base/billing/pay?key=abc",
            ),
            ("https://localhost:9?a=1&b=2", "https://localhost:9/billing/pay?a=1&b=2"),
        ] {
            let (_, targets) = super::transport(base, &s, &opts).await.expect(base);
            assert_eq!(targets, vec![vec![want.to_string()]], "{base}");
        }
    }
}
