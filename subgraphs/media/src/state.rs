//! What media's resolvers and HTTP handlers share besides the kit's service: settings, the
//! object store and the upload-token signer.

use std::sync::Arc;

use kit::Service;

use crate::settings::Settings;
use crate::store::MediaStore;
use crate::token::Signer;

#[derive(Clone)]
pub struct MediaState {
    pub svc: Service,
    pub settings: Arc<Settings>,
    pub store: MediaStore,
    pub signer: Signer,
}

impl MediaState {
    /// Media's state from a resolver's context.
    pub fn of<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a MediaState {
        ctx.data_unchecked::<MediaState>()
    }
}
