//! Checks on what the server sends during authentication (the SASL exchange before `BEGIN`), on
//! the library's own socket (`crate::socket`).
//!
//! zbus reads the server's lines into a buffer that grows without bound until a line feed comes,
//! and looks at the byte before each line feed without checking that there is one (a line feed
//! as the server's first byte panics it). A hostile server could so exhaust the client's memory
//! or abort it. The socket therefore hands zbus the server's bytes one line at a time while the
//! exchange lasts and refuses, with an I/O error that fails the connect:
//! - a line longer than [`MAX_LINE`] bytes (libdbus bounds its authentication buffer alike);
//! - a line feed that does not follow a carriage return.
//!
//! The exchange ends, as far as the server's side goes, once the server has answered every
//! command the client sent before `BEGIN` ([`ClientLines`] counts them as they are written); the
//! bytes after that answer are messages, and pass untouched.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The longest line the server may send during authentication, line feed included.
pub use crate::limits::MAX_AUTH_LINE as MAX_LINE;

/// Not known yet: the client has not written `BEGIN`.
const UNKNOWN: usize = usize::MAX;

/// How many lines the server owes the client: shared by the two halves of a socket.
pub type Answers = Arc<AtomicUsize>;

/// A new, unknown count of answers.
pub fn answers() -> Answers {
    Arc::new(AtomicUsize::new(UNKNOWN))
}

/// Watches the client's side: counts the commands written before `BEGIN`.
#[derive(Debug)]
pub struct ClientLines {
    answers: Answers,
    line: Vec<u8>,
    commands: usize,
    done: bool,
}

impl ClientLines {
    pub fn new(answers: Answers) -> ClientLines {
        ClientLines {
            answers,
            line: Vec::new(),
            commands: 0,
            done: false,
        }
    }

    /// Notes `written`, bytes the client sent, in order.
    pub fn wrote(&mut self, written: &[u8]) {
        for &b in written {
            if self.done {
                return;
            }
            if b != b'\n' {
                if self.line.len() < MAX_LINE {
                    self.line.push(b);
                }
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let text = line.strip_suffix(b"\r").unwrap_or(&line).trim_ascii_start();
            let text = text.strip_prefix(b"\0").unwrap_or(text);
            if text == b"BEGIN" {
                self.done = true;
                self.answers.store(self.commands, Ordering::Release);
            } else {
                self.commands += 1;
            }
        }
    }

    /// Whether `BEGIN` has been written (nothing more to watch).
    pub fn done(&self) -> bool {
        self.done
    }
}

/// Cuts the server's side into lines and checks them until every answer has come.
#[derive(Debug)]
pub struct ServerLines {
    answers: Answers,
    received: usize,
    line_len: usize,
    after_cr: bool,
}

impl ServerLines {
    pub fn new(answers: Answers) -> ServerLines {
        ServerLines {
            answers,
            received: 0,
            line_len: 0,
            after_cr: false,
        }
    }

    /// How many bytes of `available` (the server's next bytes) may be handed on now: up to and
    /// including the end of the current line. An error for a line that breaks the rules.
    pub fn take(&mut self, available: &[u8]) -> io::Result<usize> {
        for (i, &b) in available.iter().enumerate() {
            self.line_len += 1;
            if self.line_len > MAX_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the server sent an authentication line longer than {MAX_LINE} bytes"),
                ));
            }
            if b == b'\n' {
                if !self.after_cr {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the server ended an authentication line without \\r\\n",
                    ));
                }
                self.line_len = 0;
                self.after_cr = false;
                self.received += 1;
                return Ok(i + 1);
            }
            self.after_cr = b == b'\r';
        }
        Ok(available.len())
    }

    /// Whether the server has answered every command sent before `BEGIN`.
    pub fn done(&self) -> bool {
        let owed = self.answers.load(Ordering::Acquire);
        owed != UNKNOWN && self.received >= owed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_commands_before_begin_and_cuts_the_answers() {
        let owed = answers();
        let mut client = ClientLines::new(owed.clone());
        let mut server = ServerLines::new(owed);
        client.wrote(b"\0AUTH EXTERNAL 30\r\nNEGOTIATE_UNIX_FD\r");
        assert!(!client.done());
        client.wrote(b"\nBEGIN\r\nl\x01\x00\x01\n\n");
        assert!(client.done());
        let bytes = b"OK 0123\r\nAGREE_UNIX_FD\r\nl\x02\n";
        let first = server.take(bytes).unwrap();
        assert_eq!(&bytes[..first], b"OK 0123\r\n");
        assert!(!server.done());
        let second = server.take(&bytes[first..]).unwrap();
        assert_eq!(&bytes[first..first + second], b"AGREE_UNIX_FD\r\n");
        assert!(server.done());
    }

    #[test]
    fn refuses_a_bare_line_feed_and_an_endless_line() {
        let mut server = ServerLines::new(answers());
        assert!(server.take(b"\n").is_err());
        let mut server = ServerLines::new(answers());
        assert_eq!(server.take(&[b'O'; 1000]).unwrap(), 1000);
        assert!(server.take(&vec![b'O'; MAX_LINE]).is_err());
        let mut server = ServerLines::new(answers());
        assert_eq!(server.take(b"OK\r").unwrap(), 3);
        assert_eq!(server.take(b"\nrest").unwrap(), 1);
    }
}
