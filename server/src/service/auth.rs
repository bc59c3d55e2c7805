//! The bearer token on Ingest and Admin.

use tonic::{Request, Status};

/// Checks `authorization: Bearer <token>` when a token is configured.
#[derive(Debug, Clone)]
pub struct BearerAuth {
    token: Option<std::sync::Arc<str>>,
}

impl BearerAuth {
    /// `None`: every call passes.
    pub fn new(token: Option<&str>) -> Self {
        BearerAuth {
            token: token.filter(|t| !t.is_empty()).map(Into::into),
        }
    }

    /// The interceptor body.
    pub fn check(&self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(token) = &self.token else {
            return Ok(request);
        };
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        match given {
            Some(given) if constant_time_eq(given.as_bytes(), token.as_bytes()) => Ok(request),
            Some(_) => Err(Status::unauthenticated("wrong bearer token")),
            None => Err(Status::unauthenticated(
                "this server requires `authorization: Bearer <token>`",
            )),
        }
    }
}

impl tonic::service::Interceptor for BearerAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        self.check(request)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_the_token() {
        let auth = BearerAuth::new(Some("s3cret"));
        assert!(auth.check(Request::new(())).is_err());
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert("authorization", "Bearer s3cret".parse().unwrap());
        assert!(auth.check(request).is_ok());
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert("authorization", "Bearer nope".parse().unwrap());
        assert_eq!(
            auth.check(request).unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
        assert!(BearerAuth::new(None).check(Request::new(())).is_ok());
    }
}
