//! Pricing a parcel with a method, as `docs/checkout.md` defines it: the public
//! `shippingQuote(input)` the checkout calls for the chosen method, and the options a cart is
//! offered (every active method whose zones contain the address and that has a rate in the
//! cart's currency, cheapest first). A parcel weighs the sum of its lines' quantity times the
//! variant's weight (`DEFAULT_WEIGHT_GRAMS` where unknown).

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use kit::ids::parse_id;
use kit::money::{Currency, Money, MoneyInput, MoneyObject};
use kit::schema::service;
use kit::{AppError, Db};

use crate::address::{Destination, ShippingAddressInput};
use crate::method::{self, Offer};
use crate::rate::Refusal;
use crate::settings::Settings;
use crate::weights::{self, MAX_WEIGHT_GRAMS};
use crate::zone::Zones;

/// Most lines one quote may weigh.
const MAX_LINES: usize = 500;
/// Most units of one line.
const MAX_QUANTITY: i32 = 100_000;

/// A variant and how many units of it ship.
#[derive(Debug, Clone, InputObject)]
pub struct ShippingLineInput {
    pub variant_id: ID,
    pub quantity: i32,
}

#[derive(Debug, Clone, InputObject)]
pub struct ShippingQuoteInput {
    pub method_id: ID,
    pub address: ShippingAddressInput,
    /// ISO 4217 code the price is wanted in (the order's currency).
    pub currency_code: String,
    /// The order's subtotal (FREE_ABOVE rates compare it with their threshold).
    pub subtotal: MoneyInput,
    pub lines: Vec<ShippingLineInput>,
}

/// What shipping with one method costs.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct ShippingQuote {
    pub method_id: ID,
    pub name: String,
    pub price: MoneyObject,
    pub estimated_days_min: Option<i32>,
    pub estimated_days_max: Option<i32>,
    /// `price` in minor units, for ordering options.
    #[graphql(skip)]
    pub price_minor: i64,
}

/// What is shipped, parsed: the currency, subtotal and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parcel {
    pub currency: Currency,
    pub subtotal: i64,
    pub weight_grams: i64,
}

/// Where to find a parcel's parts in the input, for error messages.
pub struct Fields<'a> {
    pub currency_code: &'a str,
    pub subtotal: &'a str,
    pub lines: &'a str,
}

impl Parcel {
    /// Parses and weighs a parcel, naming the offending field.
    pub async fn parse(
        db: &Db,
        settings: &Settings,
        fields: Fields<'_>,
        currency_code: &str,
        subtotal: &MoneyInput,
        lines: &[ShippingLineInput],
    ) -> Result<Parcel, AppError> {
        let currency = Currency::parse(fields.currency_code, currency_code)?;
        let subtotal_money = subtotal.parse(fields.subtotal)?;
        if subtotal_money.currency != currency {
            return Err(AppError::bad_input(
                format!("{}.currencyCode", fields.subtotal),
                format!("must be {}, the currency asked for", currency.code()),
            ));
        }
        if lines.len() > MAX_LINES {
            return Err(AppError::bad_input(
                fields.lines,
                format!("must have at most {MAX_LINES} lines"),
            ));
        }
        for (i, line) in lines.iter().enumerate() {
            if line.variant_id.trim().is_empty() {
                return Err(AppError::bad_input(
                    format!("{}[{i}].variantId", fields.lines),
                    "must not be empty",
                ));
            }
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                return Err(AppError::bad_input(
                    format!("{}[{i}].quantity", fields.lines),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
        }
        let variants: Vec<&str> = lines.iter().map(|l| l.variant_id.as_str()).collect();
        let known = weights::known(db, &variants).await?;
        // At most 500 lines x 100,000 units x 1,000,000 g: no overflow in i64.
        let weight_grams = lines
            .iter()
            .map(|l| {
                let unit = known
                    .get(l.variant_id.as_str())
                    .copied()
                    .unwrap_or(settings.default_weight_grams)
                    .min(MAX_WEIGHT_GRAMS);
                unit * i64::from(l.quantity)
            })
            .sum();
        Ok(Parcel {
            currency,
            subtotal: subtotal_money.minor,
            weight_grams,
        })
    }
}

/// Why a method cannot ship a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    Inactive,
    OutsideZones,
    NoRate,
    Refused(Refusal),
}

/// The price of shipping `parcel` to `to` with `offer`.
pub fn quote(
    offer: &Offer,
    zones: &Zones,
    to: &Destination,
    parcel: &Parcel,
) -> Result<ShippingQuote, Unavailable> {
    if !offer.method.active {
        return Err(Unavailable::Inactive);
    }
    if !offer.zone_ids.iter().any(|z| zones.contains(z, to)) {
        return Err(Unavailable::OutsideZones);
    }
    let rate = offer.rate_in(parcel.currency).ok_or(Unavailable::NoRate)?;
    let price = rate
        .price(parcel.subtotal, parcel.weight_grams)
        .map_err(Unavailable::Refused)?;
    let days = |d: Option<i64>| d.map(|d| d as i32);
    Ok(ShippingQuote {
        method_id: ID(offer.method.id.clone()),
        name: offer.method.name.clone(),
        price: Money::new(price, parcel.currency).into(),
        estimated_days_min: days(offer.method.days_min),
        estimated_days_max: days(offer.method.days_max),
        price_minor: price,
    })
}

/// Every active method that can ship `parcel` to `to`, cheapest first (then by name).
pub async fn options(
    db: &Db,
    to: &Destination,
    parcel: &Parcel,
) -> Result<Vec<ShippingQuote>, AppError> {
    let offers = method::offers(db, None).await?;
    if offers.is_empty() {
        return Ok(Vec::new());
    }
    let zones = Zones::load(db).await?;
    let mut quotes: Vec<ShippingQuote> = offers
        .iter()
        .filter_map(|o| quote(o, &zones, to, parcel).ok())
        .collect();
    quotes.sort_by(|a, b| {
        (a.price_minor, &a.name, a.method_id.as_str()).cmp(&(
            b.price_minor,
            &b.name,
            b.method_id.as_str(),
        ))
    });
    Ok(quotes)
}

#[derive(Default)]
pub struct QuoteQuery;

#[Object]
impl QuoteQuery {
    /// The price of shipping an order's lines to an address with one method. Public (the
    /// checkout calls it). Errors: unknown or inactive method → `input.methodId`; an address in
    /// none of the method's zones → `input.address.countryCode` with reason `OUTSIDE_ZONES`; no
    /// rate in the currency → `input.currencyCode`; a parcel above the method's weight limit →
    /// `input.lines` with reason `OVER_MAX_WEIGHT`.
    async fn shipping_quote(
        &self,
        ctx: &Context<'_>,
        input: ShippingQuoteInput,
    ) -> Result<ShippingQuote> {
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let method_id = parse_id("input.methodId", &input.method_id)?;
        let to = input.address.parse("input.address")?;
        let parcel = Parcel::parse(
            &svc.db,
            settings,
            Fields {
                currency_code: "input.currencyCode",
                subtotal: "input.subtotal",
                lines: "input.lines",
            },
            &input.currency_code,
            &input.subtotal,
            &input.lines,
        )
        .await?;
        let Some(offer) = method::offers(&svc.db, Some(&method_id)).await?.pop() else {
            return Err(AppError::bad_input("input.methodId", "no such shipping method").into());
        };
        let zones = Zones::load(&svc.db).await?;
        let quoted = quote(&offer, &zones, &to, &parcel).map_err(|why| match why {
            Unavailable::Inactive => {
                AppError::bad_input("input.methodId", "this shipping method is not offered")
            }
            Unavailable::OutsideZones => AppError::bad_input_because(
                "input.address.countryCode",
                "OUTSIDE_ZONES",
                format!("{} does not ship to this address", offer.method.name),
            ),
            Unavailable::NoRate => AppError::bad_input(
                "input.currencyCode",
                format!(
                    "{} has no rate in {}",
                    offer.method.name,
                    parcel.currency.code()
                ),
            ),
            Unavailable::Refused(Refusal::TooHeavy { max_grams }) => AppError::bad_input_because(
                "input.lines",
                "OVER_MAX_WEIGHT",
                format!(
                    "the parcel weighs {} g; {} takes at most {max_grams} g",
                    parcel.weight_grams, offer.method.name
                ),
            ),
            Unavailable::Refused(Refusal::TooLarge) => {
                AppError::bad_input("input.lines", "the shipping price would be too large")
            }
        })?;
        Ok(quoted)
    }
}
