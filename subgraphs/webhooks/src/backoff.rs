//! When a failed delivery is tried again: the configured schedule's delay for this retry with
//! ±20 % jitter, so endpoints that failed together are not all retried in the same instant.

use std::time::Duration;

use rand::Rng;

/// The delay before retry number `retry` (1 = the first retry), or `None` once the schedule
/// is used up.
pub fn delay(schedule: &[Duration], retry: usize) -> Option<Duration> {
    let base = *schedule.get(retry.checked_sub(1)?)?;
    let factor = rand::thread_rng().gen_range(0.8..=1.2);
    Some(base.mul_f64(factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_schedule_with_jitter_and_ends() {
        let s = [Duration::from_secs(5), Duration::from_secs(300)];
        for _ in 0..100 {
            let d = delay(&s, 1).unwrap();
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(6),
                "{d:?}"
            );
            let d = delay(&s, 2).unwrap();
            assert!(d >= Duration::from_secs(240) && d <= Duration::from_secs(360));
        }
        assert_eq!(delay(&s, 3), None);
        assert_eq!(delay(&s, 0), None);
    }
}
