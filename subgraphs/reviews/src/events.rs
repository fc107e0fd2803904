//! The `review.*` events, written to the outbox in the transaction that changed the review.
//! Each carries the product's new rating (`productRating {average, count}`), which catalog
//! keeps for sorting by rating; the subject is the product id.

use kit::{AppError, Service, Tx};
use serde_json::json;

use crate::ratings::Tally;
use crate::review::Review;

pub async fn emit(
    svc: &Service,
    tx: &mut Tx,
    event_type: &str,
    review: &Review,
    rating: &Tally,
) -> Result<(), AppError> {
    let data = json!({
        "reviewId": review.id,
        "productId": review.product_id,
        "authorId": review.author_id,
        "rating": review.rating,
        "productRating": rating.summary(),
    });
    tx.emit(&svc.event(event_type, Some(review.product_id.clone()), data))
        .await?;
    Ok(())
}
