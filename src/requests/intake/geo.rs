//! IP geolocation from a City database in MaxMind DB format (`FERROCRM_GEOIP_DB`: GeoLite2-City,
//! DB-IP City Lite…). The English country and city names go to the request; intake then matches
//! them to the CRM's countries (name or alternative names) and cities (§6.6).

use std::net::IpAddr;
use std::path::Path;

use maxminddb::{Reader, geoip2};

pub struct Geo {
    reader: Reader<Vec<u8>>,
}

/// Where an address is: English names, empty when the database does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub country: String,
    pub city: String,
}

impl Geo {
    pub fn open(path: &Path) -> anyhow::Result<Geo> {
        let reader = Reader::open_readfile(path)
            .map_err(|e| anyhow::anyhow!("FERROCRM_GEOIP_DB: cannot read {}: {e}", path.display()))?;
        Ok(Geo { reader })
    }

    pub fn from_bytes(bytes: Vec<u8>) -> anyhow::Result<Geo> {
        Ok(Geo { reader: Reader::from_source(bytes).map_err(|e| anyhow::anyhow!("not a MaxMind DB: {e}"))? })
    }

    /// The place of `ip`; empty for unknown or private addresses and on any database error (a bad
    /// record never stops an inquiry).
    pub fn locate(&self, ip: IpAddr) -> Place {
        let found = self.reader.lookup(ip).and_then(|r| r.decode::<geoip2::City>());
        match found {
            Ok(Some(c)) => Place {
                country: c.country.names.english.unwrap_or_default().chars().take(40).collect(),
                city: c.city.names.english.unwrap_or_default().chars().take(40).collect(),
            },
            Ok(None) => Place::default(),
            Err(e) => {
                tracing::debug!(error = %e, %ip, "geolocation failed");
                Place::default()
            }
        }
    }
}
