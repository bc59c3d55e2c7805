//! The service's errors, and the one place they become a [`tonic::Status`].

use akhbar_core::store::StoreError;
use tonic::Status;

/// Why an RPC failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// A document over the size limit.
    #[error("document is {size} bytes, over the limit of {limit} (max_document_bytes)")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A required field is missing or wrong.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// No such article or dead letter.
    #[error("{0}")]
    NotFound(String),
    /// A bug or an unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<tokio::task::JoinError> for ServiceError {
    fn from(e: tokio::task::JoinError) -> Self {
        ServiceError::Internal(format!("worker task failed: {e}"))
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        match e {
            ServiceError::Store(StoreError::OutOfRange { .. }) => Status::out_of_range(message),
            ServiceError::Store(StoreError::NoSuchDeadLetter(_)) | ServiceError::NotFound(_) => {
                Status::not_found(message)
            }
            ServiceError::Store(_) | ServiceError::Internal(_) => Status::internal(message),
            ServiceError::ShuttingDown => Status::unavailable(message),
            ServiceError::TooLarge { .. } => Status::resource_exhausted(message),
            ServiceError::Invalid(_) => Status::invalid_argument(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_is_out_of_range() {
        let status: Status = ServiceError::Store(StoreError::OutOfRange {
            requested: 1,
            first: 5,
            next: 9,
        })
        .into();
        assert_eq!(status.code(), tonic::Code::OutOfRange);
        assert!(status.message().contains("5..9"));
    }
}
