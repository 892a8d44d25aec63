//! A connect that cannot succeed is an error that names the address, at once: a missing or dead
//! unix socket (the library's own socket), a refused tcp port (zbus' socket), a peer that is not
//! there, and addresses that do not parse. Nothing falls back to another socket, and nothing
//! hangs: each attempt runs on its own thread and must end within a bound.

use std::sync::mpsc;
use std::time::Duration;

use skypebus::connection::Target;
use skypebus::error::{Error, Kind};

/// Far below the library's 25 s connect timeout: every case here fails at once.
const BOUND: Duration = Duration::from_secs(10);

/// Opens `target` on a thread and returns its error, failing the test if it connects or if it
/// takes longer than [`BOUND`].
fn open_error(target: Target) -> Error {
    let (tx, rx) = mpsc::channel();
    let what = format!("{target:?}");
    std::thread::spawn(move || {
        let _ = tx.send(
            skypebus::runtime::block_on(skypebus::hub::open(target)).and_then(|r| r.map(|_| ())),
        );
    });
    match rx.recv_timeout(BOUND) {
        Ok(Ok(())) => panic!("{what} connected"),
        Ok(Err(e)) => e,
        Err(_) => panic!("opening {what} did not end within {BOUND:?}"),
    }
}

/// Asserts that opening a bus at `address` fails with `kind` and a message naming the address.
fn bus_error(address: &str, kind: Kind) -> Error {
    let e = open_error(Target::Bus(address.to_owned()));
    assert_eq!(e.kind, kind, "{address}: {e}");
    assert!(
        e.message.contains(&format!("the bus at {address}")),
        "the error names the address: {e}"
    );
    e
}

#[test]
fn a_missing_unix_socket_is_an_error_naming_the_path() {
    let dir = std::env::temp_dir().join(format!("skypebus-no-bus-{}", std::process::id()));
    let address = format!("unix:path={}/bus", dir.display());
    let e = bus_error(&address, Kind::ConnectFailed);
    assert!(e.message.contains("No such file"), "{e}");
}

#[test]
fn a_socket_file_nobody_listens_on_is_refused() {
    let dir = std::env::temp_dir().join(format!("skypebus-dead-bus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bus");
    // A socket that was bound and closed: the file stays, nothing accepts.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let address = format!("unix:path={}", path.display());
    let e = bus_error(&address, Kind::ConnectFailed);
    assert!(e.message.contains("refused"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_abstract_socket_is_refused() {
    let address = format!("unix:abstract=skypebus-no-bus-{}", std::process::id());
    let e = bus_error(&address, Kind::ConnectFailed);
    assert!(e.message.contains("refused"), "{e}");
}

#[test]
fn a_refused_tcp_port_is_an_error_naming_the_address() {
    // A port that was just free: bound, then closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("tcp:host=127.0.0.1,port={port}");
    let e = bus_error(&address, Kind::ConnectFailed);
    assert!(e.message.contains("refused"), "{e}");
}

#[test]
fn a_missing_peer_is_an_error_naming_the_address() {
    let address = format!(
        "unix:path={}/skypebus-no-peer-{}",
        std::env::temp_dir().display(),
        std::process::id()
    );
    let e = open_error(Target::Peer(address.clone()));
    assert_eq!(e.kind, Kind::ConnectFailed, "{e}");
    assert!(e.message.contains(&format!("the peer at {address}")), "{e}");
}

#[test]
fn malformed_addresses_are_refused_naming_them() {
    for address in [
        "",
        "bogus",
        "unix:",
        "unix:path=/a,abstract=b",
        "tcp:host=127.0.0.1,port=notaport",
        "nosuchtransport:x=1",
    ] {
        bus_error(address, Kind::InvalidName);
        let e = open_error(Target::Peer(address.to_owned()));
        assert_eq!(e.kind, Kind::InvalidName, "{address}: {e}");
        assert!(
            e.message.contains(&format!("the peer at {address}")),
            "{address}: {e}"
        );
    }
}

#[test]
fn a_bus_address_that_only_listens_is_refused() {
    // `unix:tmpdir=` and `unix:dir=` are for servers to listen on; a client cannot connect there.
    let e = open_error(Target::Bus("unix:tmpdir=/tmp".to_owned()));
    assert!(
        matches!(e.kind, Kind::ConnectFailed | Kind::InvalidName),
        "{e}"
    );
    assert!(e.message.contains("unix:tmpdir=/tmp"), "{e}");
}
