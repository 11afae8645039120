//! Entry points for `cargo xtask fuzz` (built only with `--cfg fuzzing`): an SMTP session fed
//! whatever bytes the fuzzer makes.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use super::{Limits, Mailroom, ReceivedMail, Refusal};

/// Takes every mail.
struct TakesAll;

impl Mailroom for TakesAll {
    fn accepts(&self, rcpt: &str) -> bool {
        !rcpt.contains("nobody")
    }
    fn deliver(
        &self,
        _mail: ReceivedMail,
    ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + '_>> {
        Box::pin(async { Ok(()) })
    }
}

static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the fuzzer")
});

/// One SMTP session whose client sends `bytes` and then closes its side: whatever it
/// sends, the session ends, and nothing panics.
pub fn session(bytes: &[u8]) {
    let spool = std::env::temp_dir().join(format!("switchboard-fuzz-spool-{}", std::process::id()));
    std::fs::create_dir_all(&spool).expect("a spool folder");
    let limits = Limits::new("mx.fuzz".into(), 64 * 1024, spool);
    let deliveries = Semaphore::new(1);
    RUNTIME.block_on(async {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let room: Arc<dyn Mailroom> = Arc::new(TakesAll);
        let serving = super::session(
            server,
            IpAddr::from([127, 0, 0, 1]),
            &limits,
            room,
            &deliveries,
        );
        let talking = async {
            let _ = client.write_all(bytes).await;
            let _ = client.shutdown().await;
            let mut answers = Vec::new();
            let _ = client.read_to_end(&mut answers).await;
        };
        let both = async { tokio::join!(serving, talking) };
        let _ = tokio::time::timeout(Duration::from_secs(5), both).await;
    });
}
