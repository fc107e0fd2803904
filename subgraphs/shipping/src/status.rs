//! A shipment's statuses and the one table of moves between them, shared by staff mutations
//! (an illegal move is a `CONFLICT`) and the carrier webhook (an illegal move is ignored), so
//! out-of-order carrier updates never move a shipment backwards.
//!
//! | from \ to        | PACKED | SHIPPED | IN_TRANSIT | OUT_FOR_DELIVERY | DELIVERED | EXCEPTION |
//! |------------------|--------|---------|------------|------------------|-----------|-----------|
//! | PENDING          | staff  | staff   |            |                  |           |           |
//! | PACKED           |        | staff   |            |                  |           |           |
//! | SHIPPED          |        |         | carrier    | carrier          | carrier   | carrier   |
//! | IN_TRANSIT       |        |         | scan       | carrier          | carrier   | carrier   |
//! | OUT_FOR_DELIVERY |        |         |            | scan             | carrier   | carrier   |
//! | EXCEPTION        |        |         | carrier    | carrier          | carrier   | scan      |
//! | DELIVERED        |        |         |            |                  |           |           |
//!
//! "scan" is a carrier update that keeps the status (a new location): it is recorded in the
//! tracking history but is no status change. DELIVERED is final; EXCEPTION (a failed delivery
//! attempt, damage, customs) may be followed by IN_TRANSIT again.

use async_graphql::Enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum ShipmentStatus {
    /// Created from the paid order; not yet handled.
    Pending,
    /// Packed in the warehouse.
    Packed,
    /// Handed to the carrier (carrier and tracking number known).
    Shipped,
    InTransit,
    OutForDelivery,
    /// Final.
    Delivered,
    /// Something went wrong on the way; the carrier may resume.
    Exception,
}

/// Who moved a shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum TrackingSource {
    /// Shipping itself (the shipment's creation).
    System,
    Staff,
    Carrier,
}

/// What a requested status means for a shipment in status `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// A status change.
    Change,
    /// Same status, new information (carrier scans only).
    Scan,
    /// Not allowed from here.
    Illegal,
}

impl ShipmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Pending => "PENDING",
            ShipmentStatus::Packed => "PACKED",
            ShipmentStatus::Shipped => "SHIPPED",
            ShipmentStatus::InTransit => "IN_TRANSIT",
            ShipmentStatus::OutForDelivery => "OUT_FOR_DELIVERY",
            ShipmentStatus::Delivered => "DELIVERED",
            ShipmentStatus::Exception => "EXCEPTION",
        }
    }

    pub fn parse(raw: &str) -> Option<ShipmentStatus> {
        use ShipmentStatus::*;
        [
            Pending,
            Packed,
            Shipped,
            InTransit,
            OutForDelivery,
            Delivered,
            Exception,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// The move from `self` to `to` requested by `by` (the table above).
    pub fn to(self, to: ShipmentStatus, by: TrackingSource) -> Move {
        use ShipmentStatus::*;
        let carrier = by == TrackingSource::Carrier;
        let staff = by == TrackingSource::Staff;
        match (self, to) {
            (Pending, Packed) | (Pending, Shipped) | (Packed, Shipped) if staff => Move::Change,
            (InTransit, InTransit) | (OutForDelivery, OutForDelivery) | (Exception, Exception)
                if carrier =>
            {
                Move::Scan
            }
            (Shipped | InTransit | OutForDelivery | Exception, Delivered | Exception)
            | (Shipped | InTransit | Exception, InTransit | OutForDelivery)
                if carrier && self != to =>
            {
                Move::Change
            }
            _ => Move::Illegal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ShipmentStatus::*;
    use super::*;

    const ALL: [ShipmentStatus; 7] = [
        Pending,
        Packed,
        Shipped,
        InTransit,
        OutForDelivery,
        Delivered,
        Exception,
    ];

    /// Rank along the happy path (EXCEPTION sits beside it, not on it).
    fn rank(s: ShipmentStatus) -> u8 {
        match s {
            Pending => 0,
            Packed => 1,
            Shipped => 2,
            InTransit | Exception => 3,
            OutForDelivery => 4,
            Delivered => 5,
        }
    }

    #[test]
    fn nothing_leaves_delivered_and_nothing_goes_back_but_out_of_an_exception() {
        for by in [TrackingSource::Staff, TrackingSource::Carrier] {
            for to in ALL {
                assert_eq!(Delivered.to(to, by), Move::Illegal, "DELIVERED -> {to:?}");
                for from in ALL {
                    if from.to(to, by) != Move::Change {
                        continue;
                    }
                    if from == Exception {
                        assert!(matches!(to, InTransit | OutForDelivery | Delivered));
                    } else if to != Exception {
                        assert!(rank(to) > rank(from), "{from:?} -> {to:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn staff_pack_and_ship_carriers_track() {
        assert_eq!(Pending.to(Packed, TrackingSource::Staff), Move::Change);
        assert_eq!(Packed.to(Packed, TrackingSource::Staff), Move::Illegal);
        assert_eq!(Packed.to(Shipped, TrackingSource::Staff), Move::Change);
        assert_eq!(Shipped.to(Shipped, TrackingSource::Staff), Move::Illegal);
        assert_eq!(
            Pending.to(InTransit, TrackingSource::Carrier),
            Move::Illegal
        );
        assert_eq!(Shipped.to(InTransit, TrackingSource::Carrier), Move::Change);
        assert_eq!(InTransit.to(InTransit, TrackingSource::Carrier), Move::Scan);
        assert_eq!(
            OutForDelivery.to(InTransit, TrackingSource::Carrier),
            Move::Illegal
        );
        assert_eq!(
            Exception.to(InTransit, TrackingSource::Carrier),
            Move::Change
        );
        assert_eq!(
            InTransit.to(Shipped, TrackingSource::Carrier),
            Move::Illegal
        );
        for s in ALL {
            assert_eq!(ShipmentStatus::parse(s.as_str()), Some(s));
        }
    }
}
