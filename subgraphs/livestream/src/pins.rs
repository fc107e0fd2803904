//! Pinned products and their live deals: the host (staff) pins and unpins products on an open
//! stream, a pin optionally carrying a deal (variant, special price, quantity cap, end time).
//! Carts claim units of a deal with their service identity (`claimLiveDeal`, idempotent per
//! key) and give them back when the line goes (`releaseLiveDeal`). The cap is exact under
//! concurrency: units are taken by one conditional UPDATE (`remaining >= quantity`).

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::ids::{from_millis, new_id, now_millis, parse_id};
use kit::money::{Money, MoneyInput, MoneyObject};
use kit::schema::service;
use kit::{AppError, Db, Tx};
use serde_json::{json, Value};

use crate::events;
use crate::products::Product;
use crate::status::LivestreamStatus;
use crate::stream;

const COLUMNS: &str = "id, stream_id, product_id, variant_id, price_minor, currency, \
                       quantity_cap, remaining, ends_at, pinned_at, unpinned_at";
type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    Option<i64>,
);
const MAX_CAP: i64 = 1_000_000;
const MAX_CLAIM: i64 = 100;

/// A product pinned on a stream.
#[derive(Debug, Clone)]
pub struct Pin {
    pub id: String,
    pub stream_id: String,
    pub product_id: String,
    pub deal: Option<Deal>,
    pub pinned_at: i64,
    pub unpinned_at: Option<i64>,
}

/// A live deal on a pin.
#[derive(Debug, Clone)]
pub struct Deal {
    pub variant_id: String,
    pub price: Money,
    pub quantity_cap: i64,
    pub remaining: i64,
    pub ends_at: i64,
}

impl Pin {
    fn from_row(r: Row) -> Result<Pin, AppError> {
        let deal = match (r.3, r.4, r.5, r.6, r.7, r.8) {
            (
                Some(variant_id),
                Some(minor),
                Some(currency),
                Some(cap),
                Some(remaining),
                Some(ends),
            ) => Some(Deal {
                variant_id,
                price: Money::from_stored(minor, &currency)?,
                quantity_cap: cap,
                remaining,
                ends_at: ends,
            }),
            _ => None,
        };
        Ok(Pin {
            id: r.0,
            stream_id: r.1,
            product_id: r.2,
            deal,
            pinned_at: r.9,
            unpinned_at: r.10,
        })
    }

    /// As carried in `livestream.product_pinned` (and read back by the subscription feed).
    pub fn to_event(&self) -> Value {
        json!({
            "id": self.id,
            "productId": self.product_id,
            "pinnedAt": self.pinned_at,
            "deal": self.deal.as_ref().map(|d| json!({
                "variantId": d.variant_id,
                "priceMinor": d.price.minor,
                "currency": d.price.currency.code(),
                "quantityCap": d.quantity_cap,
                "remaining": d.remaining,
                "endsAt": d.ends_at,
            })),
        })
    }

    pub fn from_event(stream_id: &str, data: &Value) -> Option<Pin> {
        let deal = match &data["deal"] {
            Value::Null => None,
            d => Some(Deal {
                variant_id: d["variantId"].as_str()?.to_string(),
                price: Money::from_stored(d["priceMinor"].as_i64()?, d["currency"].as_str()?)
                    .ok()?,
                quantity_cap: d["quantityCap"].as_i64()?,
                remaining: d["remaining"].as_i64()?,
                ends_at: d["endsAt"].as_i64()?,
            }),
        };
        Some(Pin {
            id: data["id"].as_str()?.to_string(),
            stream_id: stream_id.to_string(),
            product_id: data["productId"].as_str()?.to_string(),
            deal,
            pinned_at: data["pinnedAt"].as_i64()?,
            unpinned_at: None,
        })
    }
}

#[Object]
impl Pin {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn livestream_id(&self) -> ID {
        ID(self.stream_id.clone())
    }

    async fn product(&self) -> Product {
        Product {
            id: ID(self.product_id.clone()),
        }
    }

    async fn deal(&self) -> Option<LiveDeal> {
        self.deal.as_ref().map(|d| LiveDeal {
            variant_id: ID(d.variant_id.clone()),
            price: d.price.into(),
            quantity_cap: d.quantity_cap,
            remaining: d.remaining,
            ends_at: from_millis(d.ends_at),
        })
    }

    async fn pinned_at(&self) -> DateTime<Utc> {
        from_millis(self.pinned_at)
    }

    async fn unpinned_at(&self) -> Option<DateTime<Utc>> {
        self.unpinned_at.map(from_millis)
    }
}

/// A special price on one variant, for a limited quantity, until `endsAt`.
#[derive(SimpleObject)]
pub struct LiveDeal {
    pub variant_id: ID,
    pub price: MoneyObject,
    pub quantity_cap: i64,
    /// Units still available (the cap minus live claims) when this was read.
    pub remaining: i64,
    pub ends_at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct LiveDealInput {
    pub variant_id: ID,
    pub price: MoneyInput,
    pub quantity_cap: i32,
    pub ends_at: DateTime<Utc>,
}

/// Units of a deal a cart took.
#[derive(SimpleObject)]
pub struct LiveDealClaim {
    pub id: ID,
    pub pin_id: ID,
    pub livestream_id: ID,
    pub variant_id: ID,
    pub cart_id: String,
    pub quantity: i64,
    /// The deal price per unit.
    pub price: MoneyObject,
    /// When the deal ends: the cart charges the deal price until then.
    pub ends_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
}

/// The stream's currently pinned products, oldest pin first.
pub async fn current(db: &Db, stream_id: &str) -> Result<Vec<Pin>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM livestream_pins WHERE stream_id = $1 AND unpinned_at IS NULL ORDER BY id"
    ))
    .bind(stream_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(Pin::from_row).collect()
}

async fn pin_by_id(tx: &mut Tx, id: &str) -> Result<Pin, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM livestream_pins WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    Pin::from_row(row.ok_or_else(|| AppError::not_found(format!("no pin {id}")))?)
}

#[derive(Default)]
pub struct PinMutation;

#[Object]
impl PinMutation {
    /// Pins a product on an open stream, optionally with a live deal. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn pin_product(
        &self,
        ctx: &Context<'_>,
        stream_id: ID,
        product_id: ID,
        deal: Option<LiveDealInput>,
    ) -> Result<Pin> {
        require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let stream_id = parse_id("streamId", &stream_id)?;
        let product_id = parse_id("productId", &product_id)?;
        let now = now_millis();
        let deal = match deal {
            None => None,
            Some(d) => {
                let variant_id = parse_id("deal.variantId", &d.variant_id)?;
                let price = d.price.parse("deal.price")?;
                let cap = i64::from(d.quantity_cap);
                if !(1..=MAX_CAP).contains(&cap) {
                    return Err(AppError::bad_input(
                        "deal.quantityCap",
                        format!("must be between 1 and {MAX_CAP}"),
                    )
                    .into());
                }
                let ends_at = d.ends_at.timestamp_millis();
                if ends_at <= now {
                    return Err(AppError::bad_input("deal.endsAt", "must be in the future").into());
                }
                Some(Deal {
                    variant_id,
                    price,
                    quantity_cap: cap,
                    remaining: cap,
                    ends_at,
                })
            }
        };
        let mut tx = svc.db.begin().await?;
        let current = stream::lock_existing(&mut tx, &stream_id).await?;
        if !current.status.is_open() {
            return Err(AppError::conflict(format!(
                "a {} livestream cannot pin products",
                current.status.as_str()
            ))
            .into());
        }
        let pinned: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM livestream_pins WHERE stream_id = $1 AND product_id = $2 AND unpinned_at IS NULL",
        )
        .bind(&stream_id)
        .bind(&product_id)
        .fetch_optional(tx.conn())
        .await
        .map_err(AppError::from)?;
        if pinned.is_some() {
            return Err(AppError::conflict("this product is already pinned on the stream").into());
        }
        let pin = Pin {
            id: new_id(),
            stream_id: stream_id.clone(),
            product_id,
            deal,
            pinned_at: now,
            unpinned_at: None,
        };
        let d = pin.deal.as_ref();
        sqlx::query(
            "INSERT INTO livestream_pins (id, stream_id, product_id, variant_id, price_minor, \
             currency, quantity_cap, remaining, ends_at, pinned_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
        )
        .bind(&pin.id)
        .bind(&pin.stream_id)
        .bind(&pin.product_id)
        .bind(d.map(|d| d.variant_id.clone()))
        .bind(d.map(|d| d.price.minor))
        .bind(d.map(|d| d.price.currency.code().to_string()))
        .bind(d.map(|d| d.quantity_cap))
        .bind(d.map(|d| d.ends_at))
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?;
        events::emit(
            svc,
            &mut tx,
            "livestream.product_pinned",
            &current,
            json!({ "pin": pin.to_event() }),
        )
        .await?;
        tx.commit().await?;
        Ok(pin)
    }

    /// Takes a pin down (its deal ends with it; idempotent). Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn unpin_product(&self, ctx: &Context<'_>, pin_id: ID) -> Result<Pin> {
        require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let pin_id = parse_id("pinId", &pin_id)?;
        let mut tx = svc.db.begin().await?;
        let mut pin = pin_by_id(&mut tx, &pin_id).await?;
        if pin.unpinned_at.is_some() {
            return Ok(pin);
        }
        let current = stream::lock_existing(&mut tx, &pin.stream_id).await?;
        let now = now_millis();
        sqlx::query("UPDATE livestream_pins SET unpinned_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&pin_id)
            .execute(tx.conn())
            .await
            .map_err(AppError::from)?;
        pin.unpinned_at = Some(now);
        crate::deal_end::end(svc, &mut tx, &current, Some(&pin_id), now).await?;
        if let Some(deal) = pin.deal.as_mut() {
            deal.ends_at = deal.ends_at.min(now);
        }
        events::emit(
            svc,
            &mut tx,
            "livestream.product_unpinned",
            &current,
            json!({ "pinId": pin.id, "productId": pin.product_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(pin)
    }

    /// Takes `quantity` units of a pin's live deal for a cart; repeating an idempotency key
    /// returns the first claim. `CONFLICT` when the deal is over, gone or has too few units
    /// left. Service accounts (staff) only: the cart subgraph calls it.
    #[graphql(requires_scopes = "staff")]
    async fn claim_live_deal(
        &self,
        ctx: &Context<'_>,
        pin_id: ID,
        quantity: i32,
        cart_id: String,
        idempotency_key: String,
    ) -> Result<LiveDealClaim> {
        require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let pin_id = parse_id("pinId", &pin_id)?;
        let quantity = i64::from(quantity);
        if !(1..=MAX_CLAIM).contains(&quantity) {
            return Err(AppError::bad_input(
                "quantity",
                format!("must be between 1 and {MAX_CLAIM}"),
            )
            .into());
        }
        let cart_id = kit::validate::text("cartId", &cart_id, 100)?;
        let key = kit::validate::text("idempotencyKey", &idempotency_key, 200)?;

        let mut tx = svc.db.begin().await?;
        let pin = pin_by_id(&mut tx, &pin_id).await?;
        // The stream's lock orders claims (and their events) and makes a repeated key wait
        // for the first one's commit.
        let current = stream::lock_existing(&mut tx, &pin.stream_id).await?;
        if let Some(claim) = claim_by_key(&mut tx, &pin, &key).await? {
            return Ok(claim);
        }
        let Some(deal) = &pin.deal else {
            return Err(AppError::conflict("this pin has no live deal").into());
        };
        let now = now_millis();
        if pin.unpinned_at.is_some()
            || deal.ends_at <= now
            || current.status != LivestreamStatus::Live
        {
            return Err(AppError::conflict("the live deal is over").into());
        }
        let taken = sqlx::query(
            "UPDATE livestream_pins SET remaining = remaining - $1 \
             WHERE id = $2 AND remaining >= $1 AND unpinned_at IS NULL AND ends_at > $3",
        )
        .bind(quantity)
        .bind(&pin_id)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?
        .rows_affected();
        if taken == 0 {
            let (left,): (i64,) =
                sqlx::query_as("SELECT remaining FROM livestream_pins WHERE id = $1")
                    .bind(&pin_id)
                    .fetch_one(tx.conn())
                    .await
                    .map_err(AppError::from)?;
            return Err(AppError::conflict(format!(
                "quantity: the live deal has {left} units left, {quantity} asked"
            ))
            .into());
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO live_deal_claims (id, pin_id, stream_id, cart_id, quantity, \
             idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&pin_id)
        .bind(&pin.stream_id)
        .bind(&cart_id)
        .bind(quantity)
        .bind(&key)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?;
        emit_remaining(svc, &mut tx, &current, &pin_id).await?;
        tx.commit().await?;
        Ok(LiveDealClaim {
            id: ID(id),
            pin_id: ID(pin_id),
            livestream_id: ID(pin.stream_id.clone()),
            variant_id: ID(deal.variant_id.clone()),
            cart_id,
            quantity,
            price: deal.price.into(),
            ends_at: from_millis(deal.ends_at),
            released_at: None,
        })
    }

    /// Gives a claim's units back to its deal (the cart line went away); idempotent. Service
    /// accounts (staff) only.
    #[graphql(requires_scopes = "staff")]
    async fn release_live_deal(&self, ctx: &Context<'_>, claim_id: ID) -> Result<LiveDealClaim> {
        require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let claim_id = parse_id("claimId", &claim_id)?;
        let mut tx = svc.db.begin().await?;
        let pin = release(svc, &mut tx, &claim_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("claimId: no claim {claim_id}")))?;
        let claim = claim_by_id(&mut tx, &pin, &claim_id).await?;
        tx.commit().await?;
        Ok(claim)
    }
}

/// Gives claim `claim_id`'s units back to its deal unless that was done before (so a claim is
/// released once however often it is asked); the claim's pin, or None for an unknown claim.
pub async fn release(
    svc: &kit::Service,
    tx: &mut Tx,
    claim_id: &str,
) -> Result<Option<Pin>, AppError> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT pin_id, quantity FROM live_deal_claims WHERE id = $1")
            .bind(claim_id)
            .fetch_optional(tx.conn())
            .await?;
    let Some((pin_id, quantity)) = row else {
        return Ok(None);
    };
    let pin = pin_by_id(tx, &pin_id).await?;
    let current = stream::lock_existing(tx, &pin.stream_id).await?;
    let released = sqlx::query(
        "UPDATE live_deal_claims SET released_at = $1 WHERE id = $2 AND released_at IS NULL",
    )
    .bind(now_millis())
    .bind(claim_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if released == 1 {
        sqlx::query("UPDATE livestream_pins SET remaining = remaining + $1 WHERE id = $2")
            .bind(quantity)
            .bind(&pin_id)
            .execute(tx.conn())
            .await?;
        emit_remaining(svc, tx, &current, &pin_id).await?;
    }
    Ok(Some(pin))
}

async fn claim_by_key(
    tx: &mut Tx,
    pin: &Pin,
    key: &str,
) -> Result<Option<LiveDealClaim>, AppError> {
    let id: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM live_deal_claims WHERE pin_id = $1 AND idempotency_key = $2",
    )
    .bind(&pin.id)
    .bind(key)
    .fetch_optional(tx.conn())
    .await?;
    match id {
        Some((id,)) => Ok(Some(claim_by_id(tx, pin, &id).await?)),
        None => Ok(None),
    }
}

async fn claim_by_id(tx: &mut Tx, pin: &Pin, id: &str) -> Result<LiveDealClaim, AppError> {
    let (cart_id, quantity, released_at): (String, i64, Option<i64>) =
        sqlx::query_as("SELECT cart_id, quantity, released_at FROM live_deal_claims WHERE id = $1")
            .bind(id)
            .fetch_one(tx.conn())
            .await?;
    let deal = pin
        .deal
        .as_ref()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("claim {id} on a pin without a deal")))?;
    Ok(LiveDealClaim {
        id: ID(id.to_string()),
        pin_id: ID(pin.id.clone()),
        livestream_id: ID(pin.stream_id.clone()),
        variant_id: ID(deal.variant_id.clone()),
        cart_id,
        quantity,
        price: deal.price.into(),
        ends_at: from_millis(deal.ends_at),
        released_at: released_at.map(from_millis),
    })
}

/// `livestream.deal_changed` with the deal's units left after this transaction's change.
async fn emit_remaining(
    svc: &kit::Service,
    tx: &mut Tx,
    current: &stream::Livestream,
    pin_id: &str,
) -> Result<(), AppError> {
    let (remaining,): (i64,) =
        sqlx::query_as("SELECT remaining FROM livestream_pins WHERE id = $1")
            .bind(pin_id)
            .fetch_one(tx.conn())
            .await?;
    events::emit(
        svc,
        tx,
        "livestream.deal_changed",
        current,
        json!({ "pinId": pin_id, "remaining": remaining }),
    )
    .await
}
