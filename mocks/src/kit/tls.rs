//! HTTPS for the mocks: a local certificate authority, made at start or reused from a directory
//! (so a user trusts it once), and a server certificate it signs for loopback and the real host
//! names of the mocked services ([`super::hosts::certificate_names`]).
//!
//! The keys are ECDSA P-256, made with rcgen on ring, the crypto rustls uses everywhere in Ferry
//! (`sandbox::net`; no OpenSSL). The CA is valid for ten years, a server certificate for one
//! (platforms refuse server certificates valid for longer than 825 days even under a root the
//! user added). Servers speak HTTP/1.1 and say so in ALPN.
//!
//! A directory given to [`Authority::load_or_create`] holds [`CA_CERT_FILE`] and
//! [`CA_KEY_FILE`], both readable by their owner only (the directory too); a key another user
//! could read is refused rather than used.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
pub use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA certificate's file name in a CA directory.
pub const CA_CERT_FILE: &str = "ferry-ca.pem";
/// The CA key's file name in a CA directory.
pub const CA_KEY_FILE: &str = "ferry-ca-key.pem";

/// The CA's subject. Fixed, so that a CA reused from its directory signs certificates that
/// chain to the stored certificate (same subject, same key, same key identifier).
const CA_COMMON_NAME: &str = "Ferry local CA (mock servers; testing only)";
const CA_ORGANIZATION: &str = "Ferry";

/// Why HTTPS could not be set up.
#[derive(Debug)]
pub enum TlsError {
    /// Reading or writing the CA directory.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// A stored CA that cannot be used, with the reason.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Making a key or certificate failed.
    Certificate(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            TlsError::Invalid { path, reason } => write!(f, "{}: {reason}", path.display()),
            TlsError::Certificate(reason) => write!(f, "making a certificate: {reason}"),
        }
    }
}

impl std::error::Error for TlsError {}

impl From<rcgen::Error> for TlsError {
    fn from(e: rcgen::Error) -> Self {
        TlsError::Certificate(e.to_string())
    }
}

/// A local certificate authority that signs the mocks' server certificates.
pub struct Authority {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl fmt::Debug for Authority {
    /// Without the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_COMMON_NAME);
    name.push(DnType::OrganizationName, CA_ORGANIZATION);
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

impl Authority {
    /// A new CA, kept in memory only.
    pub fn generate() -> Result<Self, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = ca_params();
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(3650);
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(ca_params(), key),
        })
    }

    /// The CA stored in `dir` ([`CA_CERT_FILE`], [`CA_KEY_FILE`]), or a new one written there
    /// when the directory holds neither (the directory is made if needed). `true` when it was
    /// made now.
    pub fn load_or_create(dir: &Path) -> Result<(Self, bool), TlsError> {
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TlsError::Io { path, source }
        };
        if dir.exists() && !dir.is_dir() {
            return Err(TlsError::Invalid {
                path: dir.to_path_buf(),
                reason: "not a directory: the CA directory holds the CA's certificate and key".into(),
            });
        }
        let cert_path = dir.join(CA_CERT_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => Ok((Self::load(&cert_path, &key_path)?, false)),
            (false, false) => {
                create_private_dir(dir).map_err(io_error(dir))?;
                let authority = Self::generate()?;
                write_private(&key_path, authority.issuer.key().serialize_pem().as_bytes())
                    .map_err(io_error(&key_path))?;
                write_private(&cert_path, authority.cert_pem.as_bytes()).map_err(io_error(&cert_path))?;
                Ok((authority, true))
            }
            (true, false) => Err(TlsError::Invalid {
                path: key_path,
                reason: format!("missing beside {CA_CERT_FILE}: restore it, or empty the directory for a new CA"),
            }),
            (false, true) => Err(TlsError::Invalid {
                path: cert_path,
                reason: format!("missing beside {CA_KEY_FILE}: restore it, or empty the directory for a new CA"),
            }),
        }
    }

    fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        check_private(key_path)?;
        let invalid = |path: &Path, reason: String| TlsError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let cert_pem = std::fs::read_to_string(cert_path).map_err(|source| TlsError::Io {
            path: cert_path.to_path_buf(),
            source,
        })?;
        let key_pem = std::fs::read_to_string(key_path).map_err(|source| TlsError::Io {
            path: key_path.to_path_buf(),
            source,
        })?;
        let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| invalid(cert_path, format!("not a PEM certificate ({e})")))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| invalid(key_path, format!("not a PEM private key ({e})")))?;
        // The certificate must hold this key's public half: its SubjectPublicKeyInfo bytes.
        let public = rcgen::PublicKeyData::subject_public_key_info(&key);
        if !cert_der.windows(public.len()).any(|w| w == public.as_slice()) {
            return Err(invalid(
                cert_path,
                format!("not the certificate of the key in {CA_KEY_FILE}"),
            ));
        }
        Ok(Self {
            cert_pem,
            cert_der,
            issuer: Issuer::new(ca_params(), key),
        })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Writes the CA certificate (not the key) to `path`.
    pub fn write_cert(&self, path: &Path) -> Result<(), TlsError> {
        std::fs::write(path, &self.cert_pem).map_err(|source| TlsError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// A server configuration with a new certificate, signed by this CA, for `names`
    /// (addresses and host names, `*.` wildcards allowed; see
    /// [`super::hosts::certificate_names`]). HTTP/1.1 only.
    pub fn server_config(&self, names: &[String]) -> Result<Arc<ServerConfig>, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names.to_vec())?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "Ferry mock servers");
        params.distinguished_name = name;
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(365);
        let cert = params.signed_by(&key, &self.issuer)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Certificate(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone(), self.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Makes `dir` (and its parents) if needed; a directory made here is its owner's only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes a new file readable and writable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Refuses a CA key that others than its owner may read or write.
fn check_private(path: &Path) -> Result<(), TlsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| TlsError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(TlsError::Invalid {
                path: path.to_path_buf(),
                reason: format!(
                    "others may read this CA key (mode {:o}): `chmod 600` it, or remove the directory for a new CA",
                    mode & 0o777
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_is_written_owner_only_and_reused() {
        let dir = std::env::temp_dir().join(format!("ferry-tls-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ca_dir = dir.join("ca");
        let (first, created) = Authority::load_or_create(&ca_dir).unwrap_or_else(|e| panic!("{e}"));
        assert!(created);
        let (second, created) = Authority::load_or_create(&ca_dir).unwrap_or_else(|e| panic!("{e}"));
        assert!(!created);
        assert_eq!(first.cert_pem(), second.cert_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| {
                std::fs::metadata(p)
                    .map(|m| m.permissions().mode() & 0o777)
                    .unwrap_or(0)
            };
            assert_eq!(mode(&ca_dir), 0o700);
            assert_eq!(mode(&ca_dir.join(CA_KEY_FILE)), 0o600);
            assert_eq!(mode(&ca_dir.join(CA_CERT_FILE)), 0o600);
            std::fs::set_permissions(ca_dir.join(CA_KEY_FILE), std::fs::Permissions::from_mode(0o644))
                .unwrap_or_else(|e| panic!("{e}"));
            let refused = Authority::load_or_create(&ca_dir).err().map(|e| e.to_string());
            assert!(
                refused.as_deref().is_some_and(|e| e.contains("chmod 600")),
                "{refused:?}"
            );
            std::fs::set_permissions(ca_dir.join(CA_KEY_FILE), std::fs::Permissions::from_mode(0o600))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // another CA's certificate beside this key is refused
        let other = Authority::generate().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(ca_dir.join(CA_CERT_FILE), other.cert_pem()).unwrap_or_else(|e| panic!("{e}"));
        let refused = Authority::load_or_create(&ca_dir).err().map(|e| e.to_string());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("not the certificate")),
            "{refused:?}"
        );
        std::fs::remove_file(ca_dir.join(CA_KEY_FILE)).unwrap_or_else(|e| panic!("{e}"));
        let refused = Authority::load_or_create(&ca_dir).err().map(|e| e.to_string());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("missing beside")),
            "{refused:?}"
        );
        // a file where the directory should be
        let file = dir.join("a-file");
        std::fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
        let refused = Authority::load_or_create(&file).err().map(|e| e.to_string());
        assert_eq!(
            refused,
            Some(format!(
                "{}: not a directory: the CA directory holds the CA's certificate and key",
                file.display()
            ))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
