//! `CheckoutInput` and its validation: every bad field is a `BAD_USER_INPUT` naming it. A
//! guest must give an email; a customer may (else their account's email is used). The
//! shipping address is given inline (`shippingAddress`) or as one of the customer's saved
//! addresses (`addressId`), exactly one of the two.

use async_graphql::{InputObject, ID};
use kit::auth::Caller;
use kit::ids::parse_id;
use kit::money::{Money, MoneyInput};
use kit::AppError;

use crate::view::AddressView;
use kit::validate::{optional, text};

const MAX_KEY: usize = 200;
const MAX_EMAIL: usize = 254;
const MAX_CODE: usize = 64;

#[derive(Debug, Clone, InputObject)]
pub struct CheckoutInput {
    /// The cart to buy (a guest sends its `X-Cart-Token` header too).
    pub cart_id: ID,
    /// Where order updates go: required for guests; a customer's account email otherwise.
    pub email: Option<String>,
    /// Ship here; or give `addressId`.
    pub shipping_address: Option<AddressInput>,
    /// One of the signed-in customer's saved addresses; or give `shippingAddress`.
    pub address_id: Option<ID>,
    /// A method from `Cart.shippingOptions`.
    pub shipping_method_id: ID,
    /// The coupon to use; when omitted, the coupon applied to the cart (if any).
    pub coupon_code: Option<String>,
    /// The total the shopper was shown; a different current total is a `CONFLICT` with
    /// `extensions.reason` PRICE_CHANGED and the new `total`, and nothing is placed.
    pub expected_total: MoneyInput,
    /// Repeating a key returns the first checkout's order and never charges twice.
    pub idempotency_key: String,
}

/// A postal address (the same shape as accounts' `AddressInput`).
#[derive(Debug, Clone, InputObject)]
pub struct AddressInput {
    pub full_name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub phone: Option<String>,
}

/// Where the address comes from.
#[derive(Debug, Clone)]
pub enum AddressSource {
    Given(AddressView),
    Saved(String),
}

/// A validated checkout request.
#[derive(Debug, Clone)]
pub struct Request {
    pub cart_id: String,
    pub email: Option<String>,
    pub address: AddressSource,
    pub shipping_method_id: String,
    pub coupon_code: Option<String>,
    pub expected_total: Money,
    pub idempotency_key: String,
}

/// A plausible email address, lower-cased.
pub fn email(field: &str, raw: &str) -> Result<String, AppError> {
    let v = text(field, raw, MAX_EMAIL)?.to_lowercase();
    let plausible = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    };
    if !plausible {
        return Err(AppError::bad_input(field, "is not an email address"));
    }
    Ok(v)
}

impl AddressInput {
    /// Validates the address; `at` is its path (`input.shippingAddress`).
    pub fn parse(&self, at: &str) -> Result<AddressView, AppError> {
        let f = |name: &str| format!("{at}.{name}");
        let country = self.country_code.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::bad_input(
                f("countryCode"),
                "must be an ISO 3166-1 alpha-2 code such as DE",
            ));
        }
        let phone = optional(&f("phone"), self.phone.as_deref(), 32)?;
        if phone.as_deref().is_some_and(|p| {
            !p.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        }) {
            return Err(AppError::bad_input(
                f("phone"),
                "may contain only digits, spaces and + - ( ) .",
            ));
        }
        Ok(AddressView {
            name: text(&f("fullName"), &self.full_name, 100)?,
            line1: text(&f("line1"), &self.line1, 200)?,
            line2: optional(&f("line2"), self.line2.as_deref(), 200)?,
            city: text(&f("city"), &self.city, 100)?,
            region: optional(&f("region"), self.region.as_deref(), 100)?,
            postal_code: text(&f("postalCode"), &self.postal_code, 20)?,
            country_code: country,
            phone,
        })
    }
}

impl CheckoutInput {
    pub fn parse(&self, caller: Option<&Caller>) -> Result<Request, AppError> {
        let idempotency_key = text("input.idempotencyKey", &self.idempotency_key, MAX_KEY)?;
        let cart_id = parse_id("input.cartId", &self.cart_id)?;
        let email = match (&self.email, caller) {
            (Some(raw), _) => Some(email("input.email", raw)?),
            (None, Some(_)) => None,
            (None, None) => {
                return Err(AppError::bad_input(
                    "input.email",
                    "is required for a guest checkout",
                ))
            }
        };
        let address = match (&self.shipping_address, &self.address_id) {
            (Some(a), None) => AddressSource::Given(a.parse("input.shippingAddress")?),
            (None, Some(id)) => {
                if caller.is_none() {
                    return Err(AppError::bad_input(
                        "input.addressId",
                        "saved addresses need a signed-in customer; give shippingAddress",
                    ));
                }
                AddressSource::Saved(parse_id("input.addressId", id)?)
            }
            _ => {
                return Err(AppError::bad_input(
                    "input.shippingAddress",
                    "give exactly one of shippingAddress and addressId",
                ))
            }
        };
        let shipping_method_id = text("input.shippingMethodId", &self.shipping_method_id, MAX_KEY)?;
        let coupon_code = optional("input.couponCode", self.coupon_code.as_deref(), MAX_CODE)?
            .map(|c| c.to_ascii_uppercase());
        let expected_total = self.expected_total.parse("input.expectedTotal")?;
        Ok(Request {
            cart_id,
            email,
            address,
            shipping_method_id,
            coupon_code,
            expected_total,
            idempotency_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> AddressInput {
        AddressInput {
            full_name: "Ada Lovelace".into(),
            line1: "1 Analytical St".into(),
            line2: None,
            city: "London".into(),
            region: None,
            postal_code: "N1 1AA".into(),
            country_code: "gb".into(),
            phone: Some("+44 20 1234".into()),
        }
    }

    fn input() -> CheckoutInput {
        CheckoutInput {
            cart_id: ID(kit::ids::new_id()),
            email: Some("Ada@Example.com".into()),
            shipping_address: Some(address()),
            address_id: None,
            shipping_method_id: ID("standard".into()),
            coupon_code: Some(" save10 ".into()),
            expected_total: MoneyInput {
                amount: "12.50".into(),
                currency_code: "GBP".into(),
            },
            idempotency_key: "k-1".into(),
        }
    }

    fn field(err: AppError) -> String {
        err.field()
            .unwrap_or_else(|| panic!("expected bad input, got {err:?}"))
            .to_string()
    }

    #[test]
    fn a_good_input_is_normalised() {
        let r = input().parse(None).unwrap();
        assert_eq!(r.email.as_deref(), Some("ada@example.com"));
        assert_eq!(r.coupon_code.as_deref(), Some("SAVE10"));
        assert_eq!(r.expected_total.minor, 1250);
        match r.address {
            AddressSource::Given(a) => assert_eq!(a.country_code, "GB"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        let guest = |f: fn(&mut CheckoutInput)| {
            let mut i = input();
            f(&mut i);
            field(i.parse(None).unwrap_err())
        };
        assert_eq!(guest(|i| i.email = None), "input.email");
        assert_eq!(guest(|i| i.email = Some("nope".into())), "input.email");
        assert_eq!(guest(|i| i.cart_id = ID("x".into())), "input.cartId");
        assert_eq!(
            guest(|i| i.idempotency_key = " ".into()),
            "input.idempotencyKey"
        );
        assert_eq!(
            guest(|i| i.shipping_address = None),
            "input.shippingAddress"
        );
        assert_eq!(
            guest(|i| i.address_id = Some(ID(kit::ids::new_id()))),
            "input.shippingAddress"
        );
        assert_eq!(
            guest(|i| i.shipping_address.as_mut().unwrap().country_code = "GBR".into()),
            "input.shippingAddress.countryCode"
        );
        assert_eq!(
            guest(|i| i.shipping_address.as_mut().unwrap().city = "".into()),
            "input.shippingAddress.city"
        );
        assert_eq!(
            guest(|i| i.expected_total.amount = "1e3".into()),
            "input.expectedTotal.amount"
        );
        assert_eq!(
            guest(|i| {
                i.shipping_address = None;
                i.address_id = Some(ID(kit::ids::new_id()));
            }),
            "input.addressId"
        );
    }

    #[test]
    fn customers_may_omit_the_email_and_use_saved_addresses() {
        let me = Caller {
            user_id: kit::ids::new_id(),
            roles: vec![kit::auth::Role::Customer],
            scopes: vec![],
        };
        let mut i = input();
        i.email = None;
        i.shipping_address = None;
        i.address_id = Some(ID(kit::ids::new_id()));
        let r = i.parse(Some(&me)).unwrap();
        assert!(r.email.is_none());
        assert!(matches!(r.address, AddressSource::Saved(_)));
    }
}
