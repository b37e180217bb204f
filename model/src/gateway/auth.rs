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
        let presented = match (
            authorization.and_then(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer "))),
            api_key,
        ) {
            (Some(k), _) => k.trim(),
            (None, Some(k)) => k.trim(),
            (None, None) => return false,
        };
        self.keys
            .iter()
            .fold(false, |ok, k| ok | constant_time_eq(k, presented.as_bytes()))
    }
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
}
