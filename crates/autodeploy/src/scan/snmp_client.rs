//! A thin layer over the `snmp2` async session: opening a session for one credential set,
//! requests bounded by a timeout with a fixed number of retries (the crate has neither), and
//! answers copied into owned values so the session can be reused.
//!
//! Why `snmp2`: it is the maintained fork of the original `snmp` crate, speaks v1, v2c and
//! v3 (USM with MD5/SHA-1/SHA-2 authentication, DES/AES privacy) in pure Rust, and has a
//! tokio session; it was verified against net-snmp 5.9 v3 authPriv. `csnmp` has no v3 and
//! `async-snmp` is younger with frequent breaking releases.

use std::net::SocketAddr;
use std::time::Duration;

use snmp2::v3::{Auth, AuthProtocol, Cipher, KeyExtension, Security};
use snmp2::{AsyncSession, Oid, Value};

use crate::device::SnmpVersion;
use crate::scan::result::ProbeStatus;
use crate::scan::settings::SnmpCredential;

/// An SNMP value copied out of a response.
#[derive(Debug, Clone, PartialEq)]
pub enum SnmpValue {
    Integer(i64),
    Unsigned(u64),
    Text(Vec<u8>),
    ObjectId(Vec<u64>),
    IpAddress([u8; 4]),
    Null,
    /// noSuchObject, noSuchInstance or endOfMibView.
    Missing,
    Other,
}

impl SnmpValue {
    pub fn as_text(&self) -> String {
        match self {
            SnmpValue::Text(bytes) => String::from_utf8_lossy(bytes)
                .trim_end_matches('\0')
                .to_string(),
            SnmpValue::ObjectId(parts) => dotted(parts),
            SnmpValue::Integer(number) => number.to_string(),
            SnmpValue::Unsigned(number) => number.to_string(),
            SnmpValue::IpAddress(octets) => std::net::Ipv4Addr::from(*octets).to_string(),
            _ => String::new(),
        }
    }

    /// The type name a profile field is checked against.
    pub fn type_name(&self) -> &'static str {
        match self {
            SnmpValue::Integer(_) => "integer",
            SnmpValue::Unsigned(_) => "unsigned",
            SnmpValue::Text(_) => "string",
            SnmpValue::ObjectId(_) => "oid",
            SnmpValue::IpAddress(_) => "ip_address",
            SnmpValue::Null => "null",
            SnmpValue::Missing => "missing",
            SnmpValue::Other => "other",
        }
    }
}

/// `.1.3.6.1` from its parts.
pub fn dotted(parts: &[u64]) -> String {
    parts.iter().map(|part| format!(".{part}")).collect()
}

/// Parses `.1.3.6.1.2.1.1.1.0` or `1.3.6.1.2.1.1.1.0`.
pub fn parse_numeric_oid(text: &str) -> Option<Vec<u64>> {
    let trimmed = text.trim().trim_start_matches('.');
    if trimmed.is_empty() {
        return None;
    }
    trimmed.split('.').map(|part| part.parse().ok()).collect()
}

fn owned(value: &Value<'_>) -> SnmpValue {
    match value {
        Value::Integer(number) => SnmpValue::Integer(*number),
        Value::Counter32(number) | Value::Unsigned32(number) | Value::Timeticks(number) => {
            SnmpValue::Unsigned(u64::from(*number))
        }
        Value::Counter64(number) => SnmpValue::Unsigned(*number),
        Value::OctetString(bytes) | Value::Opaque(bytes) => SnmpValue::Text(bytes.to_vec()),
        Value::ObjectIdentifier(oid) => {
            SnmpValue::ObjectId(oid.iter().map(|parts| parts.collect()).unwrap_or_default())
        }
        Value::IpAddress(octets) => SnmpValue::IpAddress(*octets),
        Value::Null => SnmpValue::Null,
        Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => SnmpValue::Missing,
        _ => SnmpValue::Other,
    }
}

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFailure {
    pub status: ProbeStatus,
    pub detail: String,
}

impl RequestFailure {
    fn new(status: ProbeStatus, detail: impl Into<String>) -> RequestFailure {
        RequestFailure {
            status,
            detail: detail.into(),
        }
    }
}

/// One session with one credential set against one agent.
pub struct SnmpClient {
    session: Box<AsyncSession>,
    timeout: Duration,
    retries: u32,
}

impl SnmpClient {
    /// Opens the session; for v3 this also discovers the agent's engine id, boots and time,
    /// which is where unknown users and wrong passwords show.
    pub async fn open(
        agent: SocketAddr,
        credential: &SnmpCredential,
        timeout: Duration,
        retries: u32,
    ) -> Result<SnmpClient, RequestFailure> {
        let request_id = rand_request_id();
        let opened = match credential.version {
            SnmpVersion::V1 => {
                AsyncSession::new_v1(agent, credential.community.as_bytes(), request_id).await
            }
            SnmpVersion::V2c => {
                AsyncSession::new_v2c(agent, credential.community.as_bytes(), request_id).await
            }
            SnmpVersion::V3 => {
                AsyncSession::new_v3(agent, request_id, usm_security(credential)?).await
            }
        };
        let session = opened.map_err(|error| {
            RequestFailure::new(ProbeStatus::Refused, format!("socket: {error}"))
        })?;
        let mut client = SnmpClient {
            session: Box::new(session),
            timeout,
            retries,
        };
        if credential.version == SnmpVersion::V3 {
            client.init_v3().await?;
        }
        Ok(client)
    }

    async fn init_v3(&mut self) -> Result<(), RequestFailure> {
        let mut last = RequestFailure::new(ProbeStatus::NoResponse, "no answer");
        for _attempt in 0..=self.retries {
            match tokio::time::timeout(self.timeout, self.session.init()).await {
                Err(_elapsed) => last = no_response(self.timeout),
                Ok(Ok(())) => return Ok(()),
                Ok(Err(error)) => return Err(classify(error)),
            }
        }
        Err(last)
    }

    /// GET of several scalars; values in request order.
    pub async fn get(
        &mut self,
        oids: &[Vec<u64>],
    ) -> Result<Vec<(Vec<u64>, SnmpValue)>, RequestFailure> {
        let parsed: Vec<Oid<'static>> = oids
            .iter()
            .map(|oid| to_oid(oid))
            .collect::<Result<_, _>>()?;
        let references: Vec<&Oid<'_>> = parsed.iter().collect();
        let mut last = no_response(self.timeout);
        for _attempt in 0..=self.retries {
            let session = &mut self.session;
            match tokio::time::timeout(self.timeout, session.get_many(&references)).await {
                Err(_elapsed) => last = no_response(self.timeout),
                Ok(Err(snmp2::Error::RequestIdMismatch)) => {
                    last = RequestFailure::new(
                        ProbeStatus::Malformed,
                        "a late answer to an earlier request",
                    )
                }
                Ok(Err(snmp2::Error::AuthUpdated)) => {
                    last =
                        RequestFailure::new(ProbeStatus::NoResponse, "engine time resynchronised")
                }
                Ok(Err(error)) => return Err(classify(error)),
                Ok(Ok(pdu)) => {
                    if pdu.error_status != 0 {
                        return Err(RequestFailure::new(
                            ProbeStatus::Malformed,
                            format!(
                                "agent answered error-status {} at index {}",
                                pdu.error_status, pdu.error_index
                            ),
                        ));
                    }
                    return Ok(pdu
                        .varbinds
                        .map(|(oid, value)| {
                            (
                                oid.iter().map(|parts| parts.collect()).unwrap_or_default(),
                                owned(&value),
                            )
                        })
                        .collect());
                }
            }
        }
        Err(last)
    }

    /// GETNEXT from `start` while the answers stay under `column`, at most `limit` rows.
    pub async fn walk(
        &mut self,
        column: &[u64],
        limit: usize,
    ) -> Result<Vec<(Vec<u64>, SnmpValue)>, RequestFailure> {
        let mut rows = Vec::new();
        let mut cursor = column.to_vec();
        while rows.len() < limit {
            let next = self.getnext(&cursor).await?;
            let Some((oid, value)) = next else { break };
            if !oid.starts_with(column) || oid <= cursor || value == SnmpValue::Missing {
                break;
            }
            cursor.clone_from(&oid);
            rows.push((oid, value));
        }
        Ok(rows)
    }

    async fn getnext(
        &mut self,
        oid: &[u64],
    ) -> Result<Option<(Vec<u64>, SnmpValue)>, RequestFailure> {
        let parsed = to_oid(oid)?;
        let mut last = no_response(self.timeout);
        for _attempt in 0..=self.retries {
            let session = &mut self.session;
            match tokio::time::timeout(self.timeout, session.getnext(&parsed)).await {
                Err(_elapsed) => last = no_response(self.timeout),
                Ok(Err(snmp2::Error::RequestIdMismatch | snmp2::Error::AuthUpdated)) => {
                    last = RequestFailure::new(
                        ProbeStatus::Malformed,
                        "a late or resynchronising answer",
                    )
                }
                Ok(Err(error)) => return Err(classify(error)),
                Ok(Ok(pdu)) if pdu.error_status != 0 => return Ok(None),
                Ok(Ok(mut pdu)) => {
                    return Ok(pdu.varbinds.next().map(|(oid, value)| {
                        (
                            oid.iter().map(|parts| parts.collect()).unwrap_or_default(),
                            owned(&value),
                        )
                    }));
                }
            }
        }
        Err(last)
    }
}

fn to_oid(parts: &[u64]) -> Result<Oid<'static>, RequestFailure> {
    Oid::from(parts).map_err(|_| {
        RequestFailure::new(
            ProbeStatus::Malformed,
            format!("invalid OID {}", dotted(parts)),
        )
    })
}

fn no_response(timeout: Duration) -> RequestFailure {
    RequestFailure::new(
        ProbeStatus::NoResponse,
        format!("no answer within {} ms", timeout.as_millis()),
    )
}

fn classify(error: snmp2::Error) -> RequestFailure {
    match error {
        snmp2::Error::Receive | snmp2::Error::Send => RequestFailure::new(
            ProbeStatus::Refused,
            "the host refused the request (port unreachable)",
        ),
        snmp2::Error::AuthFailure(kind) => RequestFailure::new(
            ProbeStatus::AuthenticationFailed,
            format!("SNMPv3 authentication failed: {kind}"),
        ),
        snmp2::Error::CommunityMismatch => RequestFailure::new(
            ProbeStatus::AuthenticationFailed,
            "the answer carried another community",
        ),
        other => RequestFailure::new(ProbeStatus::Malformed, format!("unusable answer: {other}")),
    }
}

fn usm_security(credential: &SnmpCredential) -> Result<Security, RequestFailure> {
    let unsupported = |what: &str, value: &str| {
        RequestFailure::new(
            ProbeStatus::AuthenticationFailed,
            format!("unsupported {what} `{value}`"),
        )
    };
    let auth_protocol = match credential.auth_protocol.to_ascii_uppercase().as_str() {
        "" | "MD5" => AuthProtocol::Md5,
        "SHA" | "SHA1" => AuthProtocol::Sha1,
        "SHA224" => AuthProtocol::Sha224,
        "SHA256" => AuthProtocol::Sha256,
        "SHA384" => AuthProtocol::Sha384,
        "SHA512" => AuthProtocol::Sha512,
        other => return Err(unsupported("auth_protocol", other)),
    };
    let cipher = match credential.privacy_protocol.to_ascii_uppercase().as_str() {
        "" => None,
        "DES" => Some(Cipher::Des),
        "AES" | "AES128" => Some(Cipher::Aes128),
        "AES192" => Some(Cipher::Aes192),
        "AES256" => Some(Cipher::Aes256),
        other => return Err(unsupported("privacy_protocol", other)),
    };
    let auth = match (credential.auth_protocol.is_empty(), cipher) {
        (true, _) => Auth::NoAuthNoPriv,
        (false, None) => Auth::AuthNoPriv,
        (false, Some(cipher)) => Auth::AuthPriv {
            cipher,
            privacy_password: credential.privacy_password.as_bytes().to_vec(),
        },
    };
    let mut security = Security::new(
        credential.security_name.as_bytes(),
        credential.auth_password.as_bytes(),
    )
    .with_auth_protocol(auth_protocol)
    .with_auth(auth);
    if matches!(cipher, Some(Cipher::Aes192 | Cipher::Aes256)) {
        security = security.with_key_extension_method(KeyExtension::Reeder);
    }
    Ok(security)
}

fn rand_request_id() -> i32 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3] & 0x3f])
}
