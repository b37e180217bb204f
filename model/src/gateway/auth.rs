//! API-key / bearer-token checks with a constant-time comparison.

/// The accepted keys.
#[derive(Clone, Debug)]
pub struct Auth {
    keys: Vec<Vec<u8>>,
}

/// Compares without an early exit, so the time taken does not reveal how much of a key matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= x ^ y;
    }
    diff == 0
}

impl Auth {
    pub fn new(keys: &[String]) -> Auth {
        Auth {
            keys: keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
        }
    }

    /// Checks an `authorization: Bearer <key>` or `x-api-key` value; every key is compared.
    pub fn check(&self, authorization: Option<&str>, api_key: Option<&str>) -> bool {
        let Some(presented) = presented(authorization, api_key) else {
            return false;
        };
        self.keys
            .iter()
            .fold(false, |ok, k| ok | constant_time_eq(k, presented.as_bytes()))
    }
}

/// The key a request presents: a bearer token (the scheme in any case, spaces around the token
/// ignored) or else `x-api-key`, trimmed. One client's key reads the same however it is written,
/// so a per-client rate limit cannot be dodged by respelling the header.
pub fn presented<'a>(authorization: Option<&'a str>, api_key: Option<&'a str>) -> Option<&'a str> {
    let bearer = authorization.and_then(|a| {
        let a = a.trim_start();
        let (scheme, token) = a.split_at_checked(6)?;
        (scheme.eq_ignore_ascii_case("bearer") && token.starts_with([' ', '\t'])).then(|| token.trim())
    });
    bearer.or_else(|| api_key.map(str::trim)).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_either_header() {
        let a = Auth::new(&["s3cret".into(), "other".into()]);
        assert!(a.check(Some("Bearer s3cret"), None));
        assert!(a.check(None, Some("other")));
        assert!(!a.check(Some("Bearer s3cre"), None));
        assert!(!a.check(Some("Basic s3cret"), None));
        assert!(!a.check(None, None));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(constant_time_eq(b"abc", b"abc"));
    }

    /// Every spelling of one key is that key (a per-client rate limit keys on it).
    #[test]
    fn a_key_reads_the_same_however_it_is_written() {
        for auth in [
            "Bearer k",
            "bearer k",
            "BEARER k",
            "Bearer  k",
            "Bearer\tk ",
            " Bearer k",
        ] {
            assert_eq!(presented(Some(auth), None), Some("k"), "{auth:?}");
        }
        assert_eq!(presented(None, Some(" k ")), Some("k"));
        assert_eq!(presented(Some("Bearerk"), None), None);
        assert_eq!(presented(Some("Basic k"), Some("j")), Some("j"));
        assert_eq!(presented(Some("Bearer  "), None), None);
        let a = Auth::new(&["k".into()]);
        assert!(a.check(Some("BEARER  k"), None));
    }
}
