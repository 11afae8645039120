//! The scale-out tests' servers on their own: a private PostgreSQL answers SQL in its
//! `switchboard` database and a private nats-server reports itself healthy, and both are gone
//! once dropped.

use switchboard_e2e::scale_rig::{Nats, Postgres};

#[test]
fn a_private_postgresql_and_nats_start_answer_and_stop() -> anyhow::Result<()> {
    let postgres = Postgres::start()?;
    assert_eq!(postgres.psql("switchboard", "select 40 + 2")?, "42");
    let nats = Nats::start()?;
    let health = monitor_page(nats.monitor_port, "/healthz")?;
    assert!(health.contains("\"ok\""), "{health}");
    let (pg_port, nats_url) = (postgres.port, nats.url.clone());
    drop((postgres, nats));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", pg_port)).is_err(),
        "PostgreSQL stopped"
    );
    let nats_port: u16 = nats_url.rsplit(':').next().unwrap_or_default().parse()?;
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", nats_port)).is_err(),
        "NATS stopped"
    );
    Ok(())
}

/// A page of nats-server's monitoring port, headers and all (plain HTTP/1.0).
fn monitor_page(port: u16, path: &str) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut page = String::new();
    stream.read_to_string(&mut page)?;
    Ok(page)
}
