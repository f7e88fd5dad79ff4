//! Scan targets: CIDR ranges (`10.1.2.0/24`), single addresses and host names, given as a
//! list. Network and broadcast addresses of IPv4 ranges wider than /31 are skipped, duplicates
//! are dropped, and the total is capped so a typo (`/8`) cannot start a week-long sweep.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::AutodeployError;

/// The largest number of addresses one scan may cover (a /16).
pub const MAX_SCAN_ADDRESSES: usize = 65_536;

/// Expands `entries` (CIDR ranges or single IP addresses) into the addresses to probe, in
/// order, without duplicates. An error names the entry that is wrong.
pub fn expand_targets(entries: &[String]) -> Result<Vec<IpAddr>, AutodeployError> {
    let mut seen = BTreeSet::new();
    let mut addresses = Vec::new();
    for raw_entry in entries {
        let entry = raw_entry.trim();
        if entry.is_empty() {
            continue;
        }
        for address in expand_entry(entry)? {
            if seen.insert(address) {
                addresses.push(address);
            }
            if addresses.len() > MAX_SCAN_ADDRESSES {
                return Err(AutodeployError::InvalidScanTarget {
                    entry: entry.to_string(),
                    reason: format!(
                        "the scan would cover more than {MAX_SCAN_ADDRESSES} addresses"
                    ),
                });
            }
        }
    }
    if addresses.is_empty() {
        return Err(AutodeployError::InvalidScanTarget {
            entry: entries.join(","),
            reason: "no addresses to scan".to_string(),
        });
    }
    Ok(addresses)
}

fn expand_entry(entry: &str) -> Result<Vec<IpAddr>, AutodeployError> {
    if !entry.contains('/') {
        let address: IpAddr = entry
            .parse()
            .map_err(|_| invalid(entry, "not an IP address or CIDR range"))?;
        return Ok(vec![address]);
    }
    let network: IpNet = entry.parse().map_err(|_| {
        invalid(
            entry,
            "not a CIDR range (expected ADDRESS/PREFIX, e.g. 10.0.0.0/24)",
        )
    })?;
    if network.trunc() != network {
        return Err(invalid(
            entry,
            &format!("host bits are set; the network is {}", network.trunc()),
        ));
    }
    let host_bits = u32::from(network.max_prefix_len() - network.prefix_len());
    if host_bits > MAX_SCAN_ADDRESSES.trailing_zeros() {
        return Err(invalid(
            entry,
            &format!("the range is wider than {MAX_SCAN_ADDRESSES} addresses"),
        ));
    }
    Ok(network.hosts().collect())
}

fn invalid(entry: &str, reason: &str) -> AutodeployError {
    AutodeployError::InvalidScanTarget {
        entry: entry.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|entry| entry.to_string()).collect()
    }

    #[test]
    fn a_slash_24_gives_254_hosts_and_single_addresses_are_kept_once() {
        let addresses =
            expand_targets(&strings(&["192.0.2.0/24", "192.0.2.7", "198.51.100.1"])).unwrap();
        assert_eq!(addresses.len(), 255);
        assert_eq!(addresses[0].to_string(), "192.0.2.1");
        assert_eq!(addresses[253].to_string(), "192.0.2.254");
        assert_eq!(addresses[254].to_string(), "198.51.100.1");
    }

    #[test]
    fn bad_entries_are_named() {
        let error = expand_targets(&strings(&["10.0.0.0/24", "10.0.0.300"])).unwrap_err();
        assert!(error.to_string().contains("`10.0.0.300`"), "{error}");
        let error = expand_targets(&strings(&["10.0.0.5/24"])).unwrap_err();
        assert!(error.to_string().contains("host bits are set"), "{error}");
        let error = expand_targets(&strings(&["10.0.0.0/8"])).unwrap_err();
        assert!(error.to_string().contains("wider than"), "{error}");
        let error = expand_targets(&strings(&["10.0.0.0/33"])).unwrap_err();
        assert!(error.to_string().contains("not a CIDR range"), "{error}");
        assert!(expand_targets(&strings(&[" "])).is_err());
    }
}
