//! The copy's size and time for the plan: the WAL each method brings along, the estimate at
//! a rate, and pg_basebackup's rate syntax. Arithmetic only: it queries and changes nothing.

use super::Method;
use std::time::Duration;

/// What the estimate assumes without `--max-rate`: a local network and disks.
pub(super) const ASSUMED_RATE: u64 = 100 * 1024 * 1024;

/// The WAL on the primary, as `pg_ls_waldir()` lists it: segment file names and sizes, and
/// the segment size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct SourceWal {
    pub(super) files: Vec<(String, u64)>,
    pub(super) segment_size: u64,
}

/// Bytes of WAL the copy brings along. pg_basebackup `-X stream` streams the WAL from the
/// checkpoint it starts with (`-c fast`): at least one whole segment, plus what the primary
/// writes meanwhile (unknown, not counted). pg_rewind copies every file but relation data
/// whole, so the primary's whole pg_wal, older segments and all (as of PostgreSQL 18; a
/// patch to skip the segments before the fork was still under review in 2025): measured in
/// the lab, 84 MiB copied for 22 MiB of data and four segments.
pub(super) fn wal_to_copy(method: Method, wal: &SourceWal) -> u64 {
    match method {
        Method::Rewind => wal.files.iter().map(|(_, size)| size).sum(),
        _ => wal.segment_size,
    }
}

/// The copy time at `rate` bytes per second for data plus WAL (None when neither is known).
pub(super) fn estimate(data: Option<u64>, wal: Option<u64>, rate: u64) -> Option<Duration> {
    if data.is_none() && wal.is_none() {
        return None;
    }
    let bytes = data.unwrap_or(0) + wal.unwrap_or(0);
    Some(Duration::from_secs_f64(bytes as f64 / rate.max(1) as f64))
}

/// pg_basebackup's rate syntax: kB/s, or with `k`/`M` suffix.
pub(super) fn parse_rate(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1024),
        'M' | 'm' => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1024),
    };
    let n: u64 = num.trim().parse().ok()?;
    (n > 0).then_some(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("32"), Some(32 * 1024));
        assert_eq!(parse_rate("50M"), Some(50 * 1024 * 1024));
        assert_eq!(parse_rate("100k"), Some(100 * 1024));
        assert_eq!(parse_rate("x"), None);
    }

    #[test]
    fn copy_estimate_counts_the_wal() {
        const MIB: u64 = 1024 * 1024;
        let seg = 16 * MIB;
        let wal = SourceWal {
            files: vec![
                ("000000020000000000000003".into(), seg),
                ("00000003.history".into(), 42),
                ("000000030000000000000003".into(), seg),
                ("000000030000000000000004".into(), seg),
                ("000000030000000000000002.partial".into(), seg),
                ("000000040000000000000005".into(), seg),
            ],
            segment_size: seg,
        };
        // pg_rewind: the whole pg_wal, history files and .partial segments included
        assert_eq!(wal_to_copy(Method::Rewind, &wal), 5 * seg + 42);
        // pg_basebackup -X stream: the segment it starts in
        assert_eq!(wal_to_copy(Method::Basebackup, &wal), seg);
        assert_eq!(wal_to_copy(Method::Auto, &SourceWal::default()), 0);
        // 100 MiB of data + 28 MiB of WAL at 64 MiB/s: 2 s
        assert_eq!(
            estimate(Some(100 * MIB), Some(28 * MIB), 64 * MIB),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            estimate(Some(64 * MIB), None, 64 * MIB),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            estimate(None, Some(32 * MIB), 64 * MIB),
            Some(Duration::from_millis(500))
        );
        assert_eq!(estimate(None, None, 64 * MIB), None);
    }
}
