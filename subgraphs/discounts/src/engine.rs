//! The discount computation, pure: a cart snapshot, the active promotions, at most one
//! (already validated) coupon and the scope facts in; the applied discounts with exact
//! minor-unit amounts and per-line allocations out. No I/O, so every rule is unit-tested here.
//!
//! **Stacking rule.** Promotions apply in priority order (lower first, then id), each to what
//! earlier ones left of each line; a line never goes below zero. A non-combinable promotion
//! applies only if no promotion applied before it, and when it applies no later promotion
//! does. Then at most one coupon applies to what is left. A discount "applied" when it took a
//! non-zero amount.
//!
//! **Amounts.** A percentage is taken per in-scope line and rounded half-up to the minor unit.
//! A fixed amount is capped at what is left of the in-scope lines and allocated across them in
//! proportion to what is left of each, by largest remainder (ties to the earlier line), so the
//! parts sum exactly to the amount. Buy N get M free gives, per in-scope line,
//! `floor(q / (N + M)) * M` units free at that line's price. Free shipping sets a flag and
//! takes no amount. Minimum subtotals compare against the cart's subtotal before discounts.

use kit::money::{Currency, Money};

use crate::scope::{Facts, Scope};

/// A cart line as the cart subgraph prices it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub line_id: String,
    pub product_id: String,
    pub variant_id: String,
    pub quantity: i64,
    /// Minor units of the basket's currency.
    pub unit_price: i64,
}

impl PricedLine {
    pub fn total(&self) -> i64 {
        self.unit_price.saturating_mul(self.quantity).max(0)
    }
}

/// A trustworthy snapshot of a cart's prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basket {
    pub currency: Currency,
    /// Before discounts, minor units.
    pub subtotal: i64,
    pub lines: Vec<PricedLine>,
}

/// What a discount gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benefit {
    /// 1–100 percent off each in-scope line.
    Percent(i64),
    /// A fixed amount off the in-scope lines together.
    AmountOff(Money),
    /// Per in-scope line: buy `buy`, get `get` more free.
    BuyGet {
        buy: i64,
        get: i64,
    },
    FreeShipping,
}

/// Where an applied discount comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Promotion { id: String },
    Coupon { id: String, code: String },
}

/// One discount to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub source: Source,
    pub title: String,
    pub benefit: Benefit,
    pub scope: Scope,
    /// The cart's subtotal must reach this (same currency) for the rule to apply.
    pub minimum: Option<Money>,
    /// Promotions only: lower applies first.
    pub priority: i64,
    /// Promotions only: see the stacking rule.
    pub combinable: bool,
}

/// A discount that applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub source: Source,
    pub title: String,
    pub amount: i64,
    pub free_shipping: bool,
    /// (line id, minor units), only lines with a non-zero part, summing to `amount`.
    pub allocations: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pricing {
    pub discounts: Vec<Applied>,
    /// Sum of the discounts, never more than the lines' total.
    pub total: i64,
    pub free_shipping: bool,
}

impl Pricing {
    /// The coupon's part, when one applied.
    pub fn coupon(&self) -> Option<&Applied> {
        self.discounts
            .iter()
            .find(|d| matches!(d.source, Source::Coupon { .. }))
    }
}

/// Applies `promotions` (any order: sorted here) and then `coupon` to `basket`.
pub fn price(
    basket: &Basket,
    facts: &Facts,
    promotions: &[Rule],
    coupon: Option<&Rule>,
) -> Pricing {
    let mut left: Vec<i64> = basket.lines.iter().map(PricedLine::total).collect();
    let mut order: Vec<&Rule> = promotions.iter().collect();
    order.sort_by(|a, b| {
        (a.priority, source_key(&a.source)).cmp(&(b.priority, source_key(&b.source)))
    });
    let mut pricing = Pricing::default();
    let mut any_applied = false;
    for rule in order {
        if !rule.combinable && any_applied {
            continue;
        }
        let Some(applied) = apply(basket, facts, rule, &mut left) else {
            continue;
        };
        any_applied = true;
        pricing.push(applied);
        if !rule.combinable {
            break;
        }
    }
    if let Some(applied) = coupon.and_then(|rule| apply(basket, facts, rule, &mut left)) {
        pricing.push(applied);
    }
    pricing
}

impl Pricing {
    fn push(&mut self, applied: Applied) {
        self.total += applied.amount;
        self.free_shipping |= applied.free_shipping;
        self.discounts.push(applied);
    }
}

fn source_key(source: &Source) -> &str {
    match source {
        Source::Promotion { id } | Source::Coupon { id, .. } => id,
    }
}

/// Applies one rule to what is `left` of each line; `None` when it gives nothing.
fn apply(basket: &Basket, facts: &Facts, rule: &Rule, left: &mut [i64]) -> Option<Applied> {
    if let Some(min) = rule.minimum {
        if min.currency != basket.currency || basket.subtotal < min.minor {
            return None;
        }
    }
    let in_scope: Vec<bool> = basket
        .lines
        .iter()
        .map(|l| rule.scope.matches(l, facts))
        .collect();
    if !in_scope.iter().any(|s| *s) {
        return None;
    }
    let parts: Vec<i64> = match rule.benefit {
        Benefit::FreeShipping => {
            return Some(Applied {
                source: rule.source.clone(),
                title: rule.title.clone(),
                amount: 0,
                free_shipping: true,
                allocations: Vec::new(),
            })
        }
        Benefit::Percent(percent) => left
            .iter()
            .zip(&in_scope)
            .map(|(&l, &s)| if s { percent_of(l, percent) } else { 0 })
            .collect(),
        Benefit::AmountOff(money) => {
            if money.currency != basket.currency {
                return None;
            }
            let weights: Vec<i64> = left
                .iter()
                .zip(&in_scope)
                .map(|(&l, &s)| if s { l } else { 0 })
                .collect();
            allocate(money.minor, &weights)
        }
        Benefit::BuyGet { buy, get } => basket
            .lines
            .iter()
            .zip(left.iter())
            .zip(&in_scope)
            .map(|((line, &l), &s)| {
                if !s || buy + get <= 0 {
                    return 0;
                }
                let free = line.quantity / (buy + get) * get;
                free.saturating_mul(line.unit_price).min(l)
            })
            .collect(),
    };
    let mut allocations = Vec::new();
    let mut amount = 0;
    for ((line, l), part) in basket.lines.iter().zip(left.iter_mut()).zip(parts) {
        let part = part.clamp(0, *l);
        if part > 0 {
            *l -= part;
            amount += part;
            allocations.push((line.line_id.clone(), part));
        }
    }
    (amount > 0).then(|| Applied {
        source: rule.source.clone(),
        title: rule.title.clone(),
        amount,
        free_shipping: false,
        allocations,
    })
}

/// `percent`% of `minor`, rounded half-up, never more than `minor`.
fn percent_of(minor: i64, percent: i64) -> i64 {
    let percent = percent.clamp(0, 100) as i128;
    ((minor as i128 * percent + 50) / 100).min(minor as i128) as i64
}

/// Splits `amount` (capped at the weights' sum) in proportion to `weights` by largest
/// remainder: the parts sum exactly to the capped amount and none exceeds its weight.
fn allocate(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|&w| w.max(0) as i128).sum();
    if total == 0 || amount <= 0 {
        return vec![0; weights.len()];
    }
    let amount = (amount as i128).min(total);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = amount * w.max(0) as i128;
        parts.push((exact / total) as i64);
        remainders.push((exact % total, i));
    }
    let mut short = amount - parts.iter().map(|&p| p as i128).sum::<i128>();
    // Largest remainder first; the earlier line wins a tie.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (remainder, i) in remainders {
        if short == 0 {
            break;
        }
        if remainder > 0 {
            parts[i] += 1;
            short -= 1;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::{ProductFacts, ScopeKind};

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    fn line(id: &str, product: &str, quantity: i64, unit_price: i64) -> PricedLine {
        PricedLine {
            line_id: id.into(),
            product_id: product.into(),
            variant_id: format!("v-{product}"),
            quantity,
            unit_price,
        }
    }

    fn basket(currency: Currency, lines: Vec<PricedLine>) -> Basket {
        Basket {
            currency,
            subtotal: lines.iter().map(PricedLine::total).sum(),
            lines,
        }
    }

    fn promo(id: &str, priority: i64, combinable: bool, benefit: Benefit) -> Rule {
        Rule {
            source: Source::Promotion { id: id.into() },
            title: id.into(),
            benefit,
            scope: Scope::all(),
            minimum: None,
            priority,
            combinable,
        }
    }

    fn coupon(benefit: Benefit) -> Rule {
        Rule {
            source: Source::Coupon {
                id: "c".into(),
                code: "CODE".into(),
            },
            ..promo("coupon", 0, true, benefit)
        }
    }

    fn products(ids: &[&str]) -> Scope {
        Scope {
            kind: ScopeKind::Products,
            ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn amounts(p: &Pricing) -> Vec<i64> {
        p.discounts.iter().map(|d| d.amount).collect()
    }

    #[test]
    fn percent_rounds_half_up_per_line() {
        // 15% of 333 = 49.95 -> 50; of 10 = 1.5 -> 2; of 1 = 0.15 -> 0.
        let b = basket(
            usd(),
            vec![
                line("a", "p", 1, 333),
                line("b", "p", 1, 10),
                line("c", "p", 1, 1),
            ],
        );
        let p = price(
            &b,
            &Facts::new(),
            &[promo("x", 1, true, Benefit::Percent(15))],
            None,
        );
        assert_eq!(p.total, 52);
        assert_eq!(
            p.discounts[0].allocations,
            vec![("a".to_string(), 50), ("b".to_string(), 2)]
        );
    }

    #[test]
    fn amount_allocation_is_proportional_and_sums_exactly() {
        // 10.00 over 1.00, 1.00, 1.00: 333/333/333 + one cent to the first line.
        let b = basket(
            usd(),
            vec![
                line("a", "p", 1, 100),
                line("b", "p", 1, 100),
                line("c", "p", 1, 100),
            ],
        );
        let rule = coupon(Benefit::AmountOff(Money::new(100, usd())));
        let p = price(&b, &Facts::new(), &[], Some(&rule));
        let parts: Vec<i64> = p.discounts[0].allocations.iter().map(|a| a.1).collect();
        assert_eq!(parts, vec![34, 33, 33]);
        assert_eq!(p.total, 100);
        // Uneven weights: 7.00 over 2.00 and 5.00 (and an out-of-scope line).
        let b = basket(
            usd(),
            vec![
                line("a", "p1", 2, 100),
                line("b", "p1", 1, 500),
                line("c", "p2", 1, 900),
            ],
        );
        let rule = Rule {
            scope: products(&["p1"]),
            ..coupon(Benefit::AmountOff(Money::new(301, usd())))
        };
        let p = price(&b, &Facts::new(), &[], Some(&rule));
        // 301 * 200/700 = 86.0, 301 * 500/700 = 215.0 exactly.
        assert_eq!(
            p.discounts[0].allocations,
            vec![("a".to_string(), 86), ("b".to_string(), 215)]
        );
    }

    #[test]
    fn amounts_never_exceed_what_is_left() {
        let b = basket(usd(), vec![line("a", "p", 1, 250)]);
        let rule = coupon(Benefit::AmountOff(Money::new(10_000, usd())));
        let p = price(
            &b,
            &Facts::new(),
            &[promo("x", 1, true, Benefit::Percent(100))],
            Some(&rule),
        );
        assert_eq!(p.total, 250, "100% leaves nothing for the coupon");
        assert_eq!(
            amounts(&p),
            vec![250],
            "a coupon that takes nothing is not applied"
        );
        let p = price(&b, &Facts::new(), &[], Some(&rule));
        assert_eq!(p.total, 250, "capped at the line");
    }

    #[test]
    fn jpy_has_no_minor_units() {
        let jpy = Currency::from_code("JPY").unwrap();
        // 7% of 1,234 yen = 86.38 -> 86; of 1,250 yen = 87.5 -> 88.
        let b = basket(jpy, vec![line("a", "p", 1, 1234), line("b", "p", 1, 1250)]);
        let p = price(
            &b,
            &Facts::new(),
            &[promo("x", 1, true, Benefit::Percent(7))],
            None,
        );
        assert_eq!(p.total, 86 + 88);
        let usd_off = coupon(Benefit::AmountOff(Money::new(500, usd())));
        assert_eq!(
            price(&b, &Facts::new(), &[], Some(&usd_off)).total,
            0,
            "other currency"
        );
    }

    #[test]
    fn stacking_follows_priority_on_what_is_left() {
        let b = basket(usd(), vec![line("a", "p", 1, 10_000)]);
        let promos = [
            promo(
                "second",
                20,
                true,
                Benefit::AmountOff(Money::new(1_000, usd())),
            ),
            promo("first", 10, true, Benefit::Percent(10)),
        ];
        let rule = coupon(Benefit::Percent(50));
        let p = price(&b, &Facts::new(), &promos, Some(&rule));
        // 10% of 100.00 = 10.00; then 10.00 off; then 50% of the 80.00 left = 40.00.
        assert_eq!(amounts(&p), vec![1_000, 1_000, 4_000]);
        assert_eq!(p.discounts[0].title, "first");
        assert_eq!(p.coupon().unwrap().amount, 4_000);
    }

    #[test]
    fn a_non_combinable_promotion_needs_to_be_first_and_stops_later_ones() {
        let b = basket(usd(), vec![line("a", "p", 1, 10_000)]);
        let exclusive = promo("exclusive", 10, false, Benefit::Percent(20));
        let later = promo("later", 20, true, Benefit::Percent(10));
        let earlier = promo("earlier", 5, true, Benefit::Percent(10));
        let p = price(&b, &Facts::new(), &[exclusive.clone(), later.clone()], None);
        assert_eq!(amounts(&p), vec![2_000], "stops the later promotion");
        let p = price(
            &b,
            &Facts::new(),
            &[exclusive.clone(), later, earlier.clone()],
            None,
        );
        assert_eq!(
            p.discounts
                .iter()
                .map(|d| d.title.as_str())
                .collect::<Vec<_>>(),
            vec!["earlier", "later"],
            "skipped because one applied before it"
        );
        // One that gave nothing (out of scope) does not count as applied.
        let nothing = Rule {
            scope: products(&["other"]),
            ..earlier
        };
        let rule = coupon(Benefit::Percent(10));
        let p = price(&b, &Facts::new(), &[nothing, exclusive], Some(&rule));
        assert_eq!(
            amounts(&p),
            vec![2_000, 800],
            "the coupon still applies after it"
        );
    }

    #[test]
    fn buy_x_get_y_per_line() {
        // Buy 2 get 1: 7 units -> 2 free; 2 units -> none.
        let b = basket(
            usd(),
            vec![
                line("a", "p1", 7, 300),
                line("b", "p1", 2, 300),
                line("c", "p2", 3, 999),
            ],
        );
        let rule = Rule {
            scope: products(&["p1"]),
            ..promo("b2g1", 1, true, Benefit::BuyGet { buy: 2, get: 1 })
        };
        let p = price(&b, &Facts::new(), &[rule], None);
        assert_eq!(p.discounts[0].allocations, vec![("a".to_string(), 600)]);
    }

    #[test]
    fn minimum_subtotal_and_free_shipping() {
        let b = basket(usd(), vec![line("a", "p", 2, 1_000)]);
        let spend = |min| Rule {
            minimum: Some(Money::new(min, usd())),
            ..promo("spend", 1, true, Benefit::AmountOff(Money::new(500, usd())))
        };
        assert_eq!(price(&b, &Facts::new(), &[spend(2_000)], None).total, 500);
        assert_eq!(price(&b, &Facts::new(), &[spend(2_001)], None).total, 0);
        let ship = coupon(Benefit::FreeShipping);
        let p = price(&b, &Facts::new(), &[], Some(&ship));
        assert!(p.free_shipping);
        assert_eq!(p.total, 0);
        assert_eq!(p.discounts.len(), 1);
    }

    #[test]
    fn category_scope_uses_the_facts() {
        let mut facts = Facts::new();
        facts.insert(
            "p1".into(),
            ProductFacts {
                categories: vec!["child".into(), "root".into()],
                collections: vec![],
            },
        );
        let b = basket(
            usd(),
            vec![line("a", "p1", 1, 1_000), line("b", "p2", 1, 1_000)],
        );
        let rule = Rule {
            scope: Scope {
                kind: ScopeKind::Categories,
                ids: vec!["root".into()],
            },
            ..promo("cat", 1, true, Benefit::Percent(10))
        };
        let p = price(&b, &facts, &[rule], None);
        assert_eq!(p.discounts[0].allocations, vec![("a".to_string(), 100)]);
    }

    #[test]
    fn allocation_never_goes_negative_or_over_weight() {
        for amount in [0, 1, 7, 99, 1_000, 5_000] {
            let weights = [0, 1, 13, 250, 999];
            let parts = allocate(amount, &weights);
            let sum: i64 = parts.iter().sum();
            assert_eq!(sum, amount.min(weights.iter().sum()));
            assert!(parts
                .iter()
                .zip(weights)
                .all(|(&p, w)| (0..=w).contains(&p)));
        }
    }
}
