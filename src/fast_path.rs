//! The fast paths: the same signatures as the stages, with less work.
//!
//! - [`template`]: a canonical request rendered once with marks where the
//!   time, the payload hash and the token go; the per-thread memo of the
//!   last shape signed twice in a row.
//! - [`prepared`]: [`PreparedRequest`](crate::PreparedRequest), a template
//!   held explicitly.
//! - [`auth_buf`]: [`AuthorizationBuf`](crate::AuthorizationBuf), reused
//!   buffers for signing without allocation.
//!
//! Nothing here decides what is signed: every path renders through the
//! stages' own writers, and the tests compare each with the staged path.

pub(crate) mod auth_buf;
pub(crate) mod prepared;
pub(crate) mod template;
