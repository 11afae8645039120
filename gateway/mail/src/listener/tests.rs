use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::session::SPOOL_BUFFER;
use super::*;

/// Takes every mail, keeping what it was handed.
#[derive(Default)]
struct TakesAll {
    delivered: Mutex<Vec<ReceivedMail>>,
}

impl Mailroom for TakesAll {
    fn accepts(&self, _rcpt: &str) -> bool {
        true
    }
    fn deliver(
        &self,
        mail: ReceivedMail,
    ) -> Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + '_>> {
        self.delivered.lock().expect("lock").push(mail);
        Box::pin(async { Ok(()) })
    }
}

fn limits(spool: &std::path::Path) -> Limits {
    Limits::new("mx.test".into(), 1 << 20, spool.to_path_buf())
}

async fn listening(limits: Limits) -> SocketAddr {
    listening_into(limits, Arc::default()).await
}

async fn listening_into(limits: Limits, room: Arc<TakesAll>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(serve(listener, limits, room));
    address
}

async fn first_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut reader = BufReader::new(stream);
    tokio::time::timeout(Duration::from_secs(5), reader.read_until(b'\n', &mut line))
        .await
        .expect("an answer in time")
        .expect("read");
    String::from_utf8_lossy(&line).into_owned()
}

#[tokio::test]
async fn one_address_holds_only_a_few_sessions() {
    let spool = tempfile::tempdir().expect("spool");
    let address = listening(Limits {
        max_sessions_per_client: 2,
        ..limits(spool.path())
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        assert!(first_line(&mut stream).await.starts_with("220"));
        held.push(stream);
    }
    let mut third = TcpStream::connect(address).await.expect("connect");
    let refused = first_line(&mut third).await;
    assert!(refused.starts_with("421 4.7.0"), "{refused}");
    // One ends: the next is served.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = TcpStream::connect(address).await.expect("connect");
    assert!(first_line(&mut again).await.starts_with("220"));
}

#[tokio::test]
async fn a_client_that_goes_silent_is_let_go() {
    let spool = tempfile::tempdir().expect("spool");
    let address = listening(Limits {
        idle_timeout: Duration::from_millis(300),
        ..limits(spool.path())
    })
    .await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let (reader, _writer) = stream.split();
    let mut reader = BufReader::new(reader);
    let mut greeting = String::new();
    reader.read_line(&mut greeting).await.expect("greeting");
    assert!(greeting.starts_with("220"), "{greeting}");
    let mut goodbye = String::new();
    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut goodbye))
        .await
        .expect("told before five seconds")
        .expect("read");
    assert!(goodbye.starts_with("421 4.4.2"), "{goodbye}");
}

#[tokio::test]
async fn a_client_beyond_the_sessions_served_at_once_is_greeted_when_a_slot_frees() {
    let spool = tempfile::tempdir().expect("spool");
    let address = listening(Limits {
        max_sessions: 1,
        ..limits(spool.path())
    })
    .await;
    let mut first = TcpStream::connect(address).await.expect("connect");
    assert!(first_line(&mut first).await.starts_with("220"));
    let mut second = TcpStream::connect(address).await.expect("connect");
    let mut line = Vec::new();
    let early = tokio::time::timeout(
        Duration::from_millis(500),
        BufReader::new(&mut second).read_until(b'\n', &mut line),
    )
    .await;
    assert!(early.is_err(), "greeted while the only slot was taken");
    drop(first);
    assert!(first_line(&mut second).await.starts_with("220"));
}

#[tokio::test]
async fn a_busy_session_still_ends_at_its_deadline() {
    let spool = tempfile::tempdir().expect("spool");
    let address = listening(Limits {
        session_deadline: Duration::from_millis(500),
        ..limits(spool.path())
    })
    .await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    assert!(first_line(&mut stream).await.starts_with("220"));
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut closed = false;
    for _ in 0..40 {
        if writer.write_all(b"NOOP\r\n").await.is_err() {
            closed = true;
            break;
        }
        let mut line = Vec::new();
        match tokio::time::timeout(Duration::from_secs(2), reader.read_until(b'\n', &mut line))
            .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {}
            Err(_) => panic!("the server went silent instead of closing"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "a session kept busy outlived its deadline");
}

/// Sends `command` and reads the whole reply (its last line has a space after the code).
async fn answer(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    command: &[u8],
) -> String {
    writer.write_all(command).await.expect("send");
    let mut text = String::new();
    loop {
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
            .await
            .expect("an answer in time")
            .expect("read");
        text.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return text;
        }
    }
}

#[tokio::test]
async fn a_message_being_received_is_in_the_spool_and_gone_once_stored() {
    let spool = tempfile::tempdir().expect("spool");
    let room = Arc::<TakesAll>::default();
    let address = listening_into(limits(spool.path()), room.clone()).await;
    let stream = TcpStream::connect(address).await.expect("connect");
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    assert!(
        answer(&mut reader, &mut writer, b"")
            .await
            .starts_with("220")
    );
    assert!(
        answer(&mut reader, &mut writer, b"EHLO relay.test\r\n")
            .await
            .starts_with("250")
    );
    assert!(
        answer(&mut reader, &mut writer, b"MAIL FROM:<ana@example.com>\r\n")
            .await
            .starts_with("250")
    );
    assert!(
        answer(
            &mut reader,
            &mut writer,
            b"RCPT TO:<ventas@forward.test>\r\n"
        )
        .await
        .starts_with("250")
    );
    assert!(
        answer(&mut reader, &mut writer, b"DATA\r\n")
            .await
            .starts_with("354")
    );
    let body = "Subject: Pedido\r\n\r\n".to_string() + &"Quiero 40 cajas.\r\n".repeat(20_000);
    writer.write_all(body.as_bytes()).await.expect("body");
    writer.flush().await.expect("flush");
    let spooled = || {
        std::fs::read_dir(spool.path())
            .expect("spool folder")
            .map(|entry| entry.expect("entry").metadata().expect("size").len())
            .collect::<Vec<_>>()
    };
    // All but the last buffer's worth is on disk before the message ends.
    let most = (body.len() - SPOOL_BUFFER) as u64;
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = spooled();
        if seen.iter().sum::<u64>() >= most {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen.len(), 1, "one spool file: {seen:?}");
    assert!(seen[0] >= most, "{seen:?} of {} bytes", body.len());
    assert!(room.delivered.lock().expect("lock").is_empty());
    assert!(
        answer(&mut reader, &mut writer, b".\r\n")
            .await
            .starts_with("250 2.0.0")
    );
    assert_eq!(
        spooled(),
        Vec::<u64>::new(),
        "a stored message leaves no spool file"
    );
    let delivered = room.delivered.lock().expect("lock");
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].source, body.as_bytes());
}

#[tokio::test]
async fn a_message_over_the_limit_is_refused_and_leaves_no_spool_file() {
    let spool = tempfile::tempdir().expect("spool");
    let room = Arc::<TakesAll>::default();
    let address = listening_into(
        Limits::new("mx.test".into(), 1024, spool.path().to_path_buf()),
        room.clone(),
    )
    .await;
    let stream = TcpStream::connect(address).await.expect("connect");
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    assert!(
        answer(&mut reader, &mut writer, b"")
            .await
            .starts_with("220")
    );
    for command in [
        &b"EHLO relay.test\r\n"[..],
        b"MAIL FROM:<ana@example.com>\r\n",
        b"RCPT TO:<ventas@forward.test>\r\n",
    ] {
        assert!(
            answer(&mut reader, &mut writer, command)
                .await
                .starts_with("250")
        );
    }
    assert!(
        answer(&mut reader, &mut writer, b"DATA\r\n")
            .await
            .starts_with("354")
    );
    writer
        .write_all(b"Subject: Pedido\r\n\r\n")
        .await
        .expect("headers");
    writer
        .write_all("x".repeat(3000).as_bytes())
        .await
        .expect("body");
    let refusal = answer(&mut reader, &mut writer, b"\r\n.\r\n").await;
    assert!(refusal.starts_with("552 5.3.4"), "{refusal}");
    assert!(room.delivered.lock().expect("lock").is_empty());
    let left: Vec<_> = std::fs::read_dir(spool.path()).expect("spool").collect();
    assert!(left.is_empty(), "{left:?}");
}
