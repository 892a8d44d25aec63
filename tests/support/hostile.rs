//! The scripted hostile peer (`tests/support/hostile_peer.py`): a server that authenticates and
//! answers `Hello` like dbus-daemon, then sends the bytes of one named case.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::{PYTHON, Transport, repo_root};

/// A running hostile peer, killed when dropped.
pub struct HostilePeer {
    child: Child,
    /// The D-Bus address it listens on.
    pub address: String,
}

impl HostilePeer {
    /// Starts the peer of `case`, listening on a unix socket (the library's own socket) or on
    /// tcp (zbus' socket).
    pub fn start(case: &str, transport: Transport) -> HostilePeer {
        let script = repo_root().join("tests/support/hostile_peer.py");
        let mut cmd = Command::new(PYTHON);
        cmd.arg(script).arg(case);
        if transport == Transport::Tcp {
            cmd.arg("--tcp");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the hostile peer");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the hostile peer's address");
        assert!(
            !line.trim().is_empty(),
            "the hostile peer printed no address"
        );
        HostilePeer {
            child,
            address: line.trim().to_owned(),
        }
    }
}

impl Drop for HostilePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
