//! Test certificates, made at rig start with the openssl CLI: a test CA and leaves that are
//! valid, expiring soon, expired, self-signed, or issued for the wrong host.
//!
//! It owns files under the rig's temp dir and runs `openssl`; it decides nothing about how
//! the certificates are served (that is `nginx.rs`).
//!
//! The CA can come from a directory made before the rig starts ([`ensure_ca`], run by
//! `cargo run -p edgeprobe-testkit --example rig -- --make-ca DIR`): the scripts make it before `wrangler dev`
//! starts and hand its `ca.pem` to workerd as `NODE_EXTRA_CA_CERTS` (wrangler's local runtime
//! adds those certificates to the trust store of its outbound network, for `fetch()` and
//! `connect()` alike), so the valid certificates verify for real under `wrangler dev`. The rig
//! then signs its leaves with that CA (`EDGEPROBE_RIG_CA_DIR`, see `RigOptions::ca_dir`). openssl 3.0 has no `x509 -not_before`,
//! so leaves are signed with `openssl ca`, whose -startdate/-enddate accept past dates.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::RigError;

/// Names every "good" leaf is valid for: what the rig's URLs use to reach origins.
const GOOD_SAN: &str = "DNS:localhost,IP:127.0.0.1";
/// The only name the wrong-host leaf is valid for.
pub const WRONG_HOST: &str = "wrong-host.edgeprobe.invalid";

/// A key and certificate pair on disk.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Every certificate the rig serves.
#[derive(Debug, Clone)]
pub struct CertSet {
    pub ca: PathBuf,
    pub valid: CertFiles,
    pub expiring: CertFiles,
    pub expired: CertFiles,
    pub self_signed: CertFiles,
    pub wrong_host: CertFiles,
    /// Like `valid`, with an RSA key (so a server can offer RSA key exchange).
    pub valid_rsa: CertFiles,
    /// Valid for localhost, but only from 2099 on.
    pub not_yet_valid: CertFiles,
    /// Issued by another CA nobody trusts; `cert` holds the leaf followed by that CA (the chain
    /// ends at an untrusted root).
    pub unknown_issuer: CertFiles,
    /// Issued by an intermediate CA (itself issued by the test CA); `cert` holds the leaf only,
    /// as a server that forgot to install the intermediate sends it.
    pub missing_intermediate: CertFiles,
}

/// Subject of the CA no one trusts (the unknown-issuer leaf's issuer).
pub const OTHER_CA_CN: &str = "edgeprobe rig untrusted CA";
/// Subject of the intermediate the missing-intermediate leaf names as its issuer.
pub const INTERMEDIATE_CN: &str = "edgeprobe rig intermediate CA";

/// How long the expiring leaf has left: inside any sensible "expires soon" window.
pub const EXPIRING_DAYS: u32 = 5;

/// Makes the certificates in `dir`; the CA is `ca_dir`'s (made there first when missing), or a
/// fresh one in `dir` when `ca_dir` is `None`. `CertSet::ca` is always the copy in `dir`.
pub fn make_certs(dir: &Path, ca_dir: Option<&Path>) -> Result<CertSet, RigError> {
    init_ca_dir(dir, 1000)?;

    let ca = CertFiles {
        cert: dir.join("ca.pem"),
        key: dir.join("ca.key"),
    };
    match ca_dir {
        Some(shared) => {
            let shared = ensure_ca(shared)?;
            fs::copy(&shared.cert, &ca.cert)
                .map_err(RigError::io("copy the shared CA certificate"))?;
            fs::copy(&shared.key, &ca.key).map_err(RigError::io("copy the shared CA key"))?;
        }
        None => make_ca(&ca)?,
    }
    make_leaves(dir, ca.cert)
}

/// The test CA in `ca_dir` (`ca.pem`, `ca.key`), made there when missing. Safe when several
/// processes race: each makes a CA in its own sibling directory and renames that directory to
/// `ca_dir`, which succeeds only while `ca_dir` is missing or empty; the losers use the winner's.
pub fn ensure_ca(ca_dir: &Path) -> Result<CertFiles, RigError> {
    let files = |d: &Path| CertFiles {
        cert: d.join("ca.pem"),
        key: d.join("ca.key"),
    };
    let done = files(ca_dir);
    if done.cert.is_file() && done.key.is_file() {
        return Ok(done);
    }
    let name = ca_dir.file_name().and_then(|n| n.to_str()).unwrap_or("ca");
    let staging = ca_dir.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    fs::create_dir_all(&staging).map_err(RigError::io("create CA staging dir"))?;
    let made = make_ca(&files(&staging));
    let placed = made.and_then(|()| match fs::rename(&staging, ca_dir) {
        Ok(()) => Ok(()),
        // Someone else's CA is already there (ENOTEMPTY/EEXIST): use it.
        Err(_) if done.cert.is_file() && done.key.is_file() => Ok(()),
        Err(e) => Err(RigError::Io {
            what: "place the CA dir",
            source: e,
        }),
    });
    let _ = fs::remove_dir_all(&staging);
    placed.map(|()| done)
}

fn make_ca(ca: &CertFiles) -> Result<(), RigError> {
    make_ca_named(ca, "edgeprobe rig test CA")
}

fn concat(parts: &[&Path], to: &Path) -> Result<(), RigError> {
    let mut all = Vec::new();
    for p in parts {
        all.extend(fs::read(p).map_err(RigError::io("read a certificate"))?);
    }
    fs::write(to, all).map_err(RigError::io("write a chain"))
}

fn make_ca_named(ca: &CertFiles, cn: &str) -> Result<(), RigError> {
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path(&ca.key),
        "-out",
        path(&ca.cert),
        "-days",
        "30",
        "-subj",
        &format!("/CN={cn}"),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ])?;
    Ok(())
}

fn make_leaves(dir: &Path, ca: PathBuf) -> Result<CertSet, RigError> {
    let self_signed = CertFiles {
        cert: dir.join("self-signed.pem"),
        key: dir.join("self-signed.key"),
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path(&self_signed.key),
        "-out",
        path(&self_signed.cert),
        "-days",
        "365",
        "-subj",
        "/CN=localhost",
        "-addext",
        &format!("subjectAltName={GOOD_SAN}"),
    ])?;

    let expiring_days = EXPIRING_DAYS.to_string();
    let not_yet_valid = leaf(
        dir,
        "not-yet-valid",
        "localhost",
        GOOD_SAN,
        &[
            "-startdate",
            "20990101000000Z",
            "-enddate",
            "20991231000000Z",
        ],
    )?;
    // A second CA, and a leaf it signs: served with that CA appended (an untrusted root).
    let other = dir.join("other-ca");
    init_ca_dir(&other, 2000)?;
    let other_ca = CertFiles {
        cert: other.join("ca.pem"),
        key: other.join("ca.key"),
    };
    make_ca_named(&other_ca, OTHER_CA_CN)?;
    let unknown_leaf = leaf(
        &other,
        "unknown-issuer",
        "localhost",
        GOOD_SAN,
        &["-days", "365"],
    )?;
    let unknown_issuer = CertFiles {
        cert: dir.join("unknown-issuer-chain.pem"),
        key: unknown_leaf.key.clone(),
    };
    concat(&[&unknown_leaf.cert, &other_ca.cert], &unknown_issuer.cert)?;
    // An intermediate issued by the test CA, and a leaf it signs (served without it).
    let inter = dir.join("intermediate");
    init_ca_dir(&inter, 3000)?;
    let inter_files = CertFiles {
        cert: inter.join("ca.pem"),
        key: inter.join("ca.key"),
    };
    let inter_csr = inter.join("ca.csr");
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path(&inter_files.key),
        "-out",
        path(&inter_csr),
        "-subj",
        &format!("/CN={INTERMEDIATE_CN}"),
    ])?;
    let ext = inter.join("ext.cnf");
    fs::write(
        &ext,
        "basicConstraints = critical,CA:TRUE,pathlen:0\nkeyUsage = critical,keyCertSign,cRLSign\n",
    )
    .map_err(RigError::io("write intermediate extensions"))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        path(&inter_csr),
        "-CA",
        path(&ca),
        "-CAkey",
        path(&ca.with_file_name("ca.key")),
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        path(&ext),
        "-out",
        path(&inter_files.cert),
    ])?;
    let missing_intermediate = leaf(
        &inter,
        "missing-intermediate",
        "localhost",
        GOOD_SAN,
        &["-days", "365"],
    )?;
    let valid_rsa = leaf_with_key(
        dir,
        "valid-rsa",
        "localhost",
        GOOD_SAN,
        &["-days", "365"],
        RSA_KEY,
    )?;
    Ok(CertSet {
        valid_rsa,
        not_yet_valid,
        unknown_issuer,
        missing_intermediate,
        valid: leaf(dir, "valid", "localhost", GOOD_SAN, &["-days", "365"])?,
        expiring: leaf(
            dir,
            "expiring",
            "localhost",
            GOOD_SAN,
            &["-days", &expiring_days],
        )?,
        expired: leaf(
            dir,
            "expired",
            "localhost",
            GOOD_SAN,
            &[
                "-startdate",
                "20240101000000Z",
                "-enddate",
                "20240201000000Z",
            ],
        )?,
        wrong_host: leaf(
            dir,
            "wrong-host",
            WRONG_HOST,
            &format!("DNS:{WRONG_HOST}"),
            &["-days", "365"],
        )?,
        self_signed,
        ca,
    })
}

/// EC P-256 keys for every leaf but the RSA one.
const EC_KEY: [&str; 2] = ["ec", "ec_paramgen_curve:prime256v1"];
/// An RSA key: the only kind that allows RSA key exchange (the legacy case).
const RSA_KEY: [&str; 2] = ["rsa", "rsa_keygen_bits:2048"];

fn leaf(
    dir: &Path,
    name: &str,
    cn: &str,
    san: &str,
    validity: &[&str],
) -> Result<CertFiles, RigError> {
    leaf_with_key(dir, name, cn, san, validity, EC_KEY)
}

fn leaf_with_key(
    dir: &Path,
    name: &str,
    cn: &str,
    san: &str,
    validity: &[&str],
    key: [&str; 2],
) -> Result<CertFiles, RigError> {
    let files = CertFiles {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    let csr = dir.join(format!("{name}.csr"));
    openssl(&[
        "req",
        "-new",
        "-newkey",
        key[0],
        "-pkeyopt",
        key[1],
        "-nodes",
        "-keyout",
        path(&files.key),
        "-out",
        path(&csr),
        "-subj",
        &format!("/CN={cn}"),
        "-addext",
        &format!("subjectAltName={san}"),
    ])?;
    let config = dir.join("ca.cnf");
    let mut args = vec![
        "ca",
        "-batch",
        "-notext",
        "-config",
        path(&config),
        "-in",
        path(&csr),
        "-out",
        path(&files.cert),
    ];
    args.extend_from_slice(validity);
    openssl(&args)?;
    Ok(files)
}

/// An `openssl ca` directory: its database, certificate dir, first serial and config.
fn init_ca_dir(dir: &Path, first_serial: u32) -> Result<(), RigError> {
    fs::create_dir_all(dir.join("newcerts")).map_err(RigError::io("create CA dir"))?;
    fs::write(dir.join("index.txt"), "").map_err(RigError::io("write CA index"))?;
    fs::write(dir.join("serial"), format!("{first_serial}\n"))
        .map_err(RigError::io("write CA serial"))?;
    fs::write(dir.join("ca.cnf"), ca_config(dir)).map_err(RigError::io("write CA config"))
}

fn ca_config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[ca]\ndefault_ca = rig\n\n[rig]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/newcerts\n\
certificate = {d}/ca.pem\nprivate_key = {d}/ca.key\nserial = {d}/serial\ndefault_md = sha256\n\
policy = anything\ncopy_extensions = copy\nunique_subject = no\nx509_extensions = leaf\n\n\
[anything]\ncommonName = supplied\n\n[leaf]\nbasicConstraints = CA:FALSE\n\
keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n"
    )
}

fn path(p: &Path) -> &str {
    // The rig's temp dir is created by tempfile under the system temp dir: always UTF-8 here.
    p.to_str().unwrap_or("")
}

/// Runs openssl, turning a failure into an error carrying its stderr.
pub fn openssl(args: &[&str]) -> Result<String, RigError> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .map_err(RigError::io("run openssl"))?;
    if !out.status.success() {
        return Err(RigError::Tool {
            tool: "openssl",
            detail: format!(
                "openssl {} failed: {}",
                args.first().unwrap_or(&""),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
