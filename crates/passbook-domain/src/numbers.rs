//! Conversions between the integer types of the database, the wire and durations, where `as`
//! would wrap or truncate without a word. Each saturates: the values are counts, sizes, amounts
//! and times far from the bounds, and a saturated value shows where a wrapped one would not.
use std::time::Duration;

/// A count kept in a signed column (SQL integers are signed); a negative one, never written,
/// reads as 0.
pub fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A small count (attempts, months, hours) kept in a signed column.
pub fn small_count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// An unsigned number (a count, a size, a position) for a signed column or sum.
pub fn signed(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// An unsigned number (a length, a count) as a `u32`.
pub fn narrow(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// A duration in whole milliseconds, as timestamps count them.
pub fn millis(d: Duration) -> i64 {
    signed(d.as_millis())
}

/// A duration in whole milliseconds, unsigned (latencies, monotonic clocks).
pub fn millis_u64(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// An amount computed in floating point (an average, a growth), rounded to whole minor units.
#[allow(clippy::cast_possible_truncation, reason = "`as` from a float saturates, and NaN becomes 0")]
pub fn round(amount: f64) -> i64 {
    amount.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_saturate_instead_of_wrapping() {
        assert_eq!(count(-1), 0);
        assert_eq!(count(7), 7);
        assert_eq!(small_count(i64::MAX), u32::MAX);
        assert_eq!(small_count(-3), 0);
        assert_eq!(signed(u64::MAX), i64::MAX);
        assert_eq!(signed(12usize), 12);
        assert_eq!(narrow(usize::MAX), u32::MAX);
        assert_eq!(millis(Duration::MAX), i64::MAX);
        assert_eq!(millis(Duration::from_micros(2_500)), 2);
        assert_eq!(round(2.5), 3);
        assert_eq!(round(f64::NAN), 0);
        assert_eq!(round(1e300), i64::MAX);
    }
}
