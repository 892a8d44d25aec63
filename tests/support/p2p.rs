//! A peer-to-peer pair of the library's own connections (`Target::Peer`, zbus' socket).
//!
//! A peer-to-peer connection is a client that authenticates to a server and then talks D-Bus
//! with it directly, without a bus. To put two of the library's connections face to face, a
//! relay thread listens on an abstract unix socket, answers each client's side of the
//! authentication (D-Bus specification, "Authentication Protocol": `AUTH` is answered with
//! `OK <guid>`, `NEGOTIATE_UNIX_FD` with `ERROR`, since a relay passes no descriptors, and
//! `BEGIN` ends it), and then copies the bytes of one connection to the other, both ways. Each
//! end then sees the other's messages as a peer's; when one end closes, the relay closes the
//! other.

use super::Block;
use std::io::{self, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::atomic::{AtomicU32, Ordering};

use skypebus::connection::{Connection, Target};

/// Two connected peers: what `a` sends arrives at `b`, and the other way round.
pub fn pair() -> (Connection, Connection) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "skypebus-test-p2p-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract address");
    let listener = UnixListener::bind_addr(&addr).expect("listen on the relay socket");
    std::thread::spawn(move || {
        // Errors end the relay, which closes both ends: the test sees a disconnected peer.
        let _ = relay(listener);
    });
    let address = format!("unix:abstract={name}");
    let a = skypebus::hub::open(Target::Peer(address.clone()))
        .block()
        .expect("open the first peer");
    let b = skypebus::hub::open(Target::Peer(address))
        .block()
        .expect("open the second peer");
    (a, b)
}

fn relay(listener: UnixListener) -> io::Result<()> {
    let (mut a, _) = listener.accept()?;
    let a_early = authenticate(&mut a)?;
    let (mut b, _) = listener.accept()?;
    let b_early = authenticate(&mut b)?;
    drop(listener);
    let (a_in, b_out) = (a.try_clone()?, b.try_clone()?);
    std::thread::spawn(move || copy(a_in, b_out, a_early));
    copy(b, a, b_early);
    Ok(())
}

/// Copies `early` and then everything `from` sends to `to`; at the end of `from`, shuts `to`
/// down so its reader sees the end too.
fn copy(mut from: UnixStream, mut to: UnixStream, early: Vec<u8>) {
    let _ = to
        .write_all(&early)
        .and_then(|()| io::copy(&mut from, &mut to));
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}

/// The server side of the authentication; returns the bytes the client sent after `BEGIN`
/// (zbus writes its first messages in the same write).
fn authenticate(s: &mut UnixStream) -> io::Result<Vec<u8>> {
    const GUID: &str = "0123456789abcdef0123456789abcdef";
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut first = true;
    loop {
        while let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            let mut line: Vec<u8> = buf.drain(..end + 2).collect();
            line.truncate(end);
            if first {
                // The client's first byte is a NUL (where credentials may be passed).
                if line.first() != Some(&0) {
                    return Err(io::Error::other("no NUL byte before the first command"));
                }
                line.remove(0);
                first = false;
            }
            let line = String::from_utf8_lossy(&line);
            let command = line.split(' ').next().unwrap_or("");
            match command {
                "AUTH" if line.contains(' ') => s.write_all(format!("OK {GUID}\r\n").as_bytes())?,
                "AUTH" => s.write_all(b"REJECTED EXTERNAL ANONYMOUS\r\n")?,
                "BEGIN" => return Ok(buf),
                _ => s.write_all(b"ERROR\r\n")?,
            }
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::other("the client left during authentication"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
