//! The reply format `SKYPEBUS_REPLY_BODY`: the reply's body itself, in the D-Bus wire format,
//! behind a small header, for a caller that reads the values in place (C):
//!
//! ```text
//! 0..4   uint32 LE  B: body length
//! 4..8   uint32 LE  F: number of unix fds that follow the body
//! 8      uint8      S: signature length (0..255)
//! 9..    the body signature (S bytes) and a NUL
//!        zero padding to a multiple of 8
//!        the body: B bytes, little endian, laid out as from an 8-aligned offset
//!        zero padding to a multiple of 4, then F int32 LE: new descriptors the caller owns;
//!        the body's h values are indices into them
//! ```
//!
//! The body is checked with every rule of the decoder before it is handed over
//! ([`json::check_received_body`]); a big-endian one is rewritten little endian. A little-endian
//! body is copied once, from the message to where the caller wants it ([`BodyReply::pieces`]).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use zbus::Message;
use zbus::message::Type as MsgType;

use crate::error::Result;
use crate::json::{self, fds};
use crate::message;

/// Bytes of the fixed part of the header: B, F and S.
const FIXED: usize = 9;

/// Where the body is: still in the message, or rewritten little endian.
enum Bytes {
    Received(zbus::message::Body),
    Swapped(Vec<u8>),
}

/// A reply in the body format, checked, not yet written. Its descriptors are duplicates owned
/// here until [`BodyReply::release`] (or [`BodyReply::into_vec`]) hands them over; dropped
/// before, they close.
pub struct BodyReply {
    /// The header: B, F, S, the signature, its NUL and the padding.
    head: Vec<u8>,
    /// None: no body (a `no_reply` call).
    body: Option<Bytes>,
    /// The padding after the body and the descriptors' numbers.
    tail: Vec<u8>,
    fds: Vec<OwnedFd>,
}

impl BodyReply {
    /// The reply of a call (None: a `no_reply` call, B = F = S = 0) in the body format; an
    /// error reply is its error, a body that breaks a rule of the decoder an `InvalidMessage`
    /// (or `LimitExceeded`) error.
    pub fn new(reply: Option<Message>) -> Result<BodyReply> {
        let Some(msg) = reply else {
            return Ok(BodyReply::assemble("", None, 0, Vec::new()));
        };
        if msg.message_type() == MsgType::Error {
            return Err(message::error_from_reply(&msg));
        }
        let sig = message::body_signature(&msg)?;
        let received = msg.data().fds();
        let body = msg.body();
        let swapped = json::check_received_body(
            &sig,
            body.data().bytes(),
            message::is_big_endian(&msg),
            received.len(),
        )?;
        let owned = received
            .iter()
            .map(|fd| fds::dup(i64::from(fd.as_fd().as_raw_fd())))
            .collect::<Result<Vec<_>>>()?;
        let (bytes, len) = match swapped {
            Some(le) => {
                let len = le.len();
                (Bytes::Swapped(le), len)
            }
            None => {
                let len = body.data().bytes().len();
                (Bytes::Received(body), len)
            }
        };
        Ok(BodyReply::assemble(&sig, Some(bytes), len, owned))
    }

    fn assemble(sig: &str, body: Option<Bytes>, body_len: usize, fds: Vec<OwnedFd>) -> BodyReply {
        // A body signature is at most 255 bytes (the header's SIGNATURE field holds its length
        // in one byte), a body at most 128 MiB: both fit their fields.
        let mut head = Vec::with_capacity(FIXED + sig.len() + 8);
        head.extend_from_slice(&(body_len as u32).to_le_bytes());
        head.extend_from_slice(&(fds.len() as u32).to_le_bytes());
        head.push(sig.len() as u8);
        head.extend_from_slice(sig.as_bytes());
        head.push(0);
        head.resize(head.len().next_multiple_of(8), 0);
        let pad = (head.len() + body_len).next_multiple_of(4) - (head.len() + body_len);
        let mut tail = vec![0; pad];
        for fd in &fds {
            tail.extend_from_slice(&fd.as_raw_fd().to_le_bytes());
        }
        BodyReply {
            head,
            body,
            tail,
            fds,
        }
    }

    /// The reply's bytes in three pieces, to be written one after the other: header, body,
    /// padding and descriptors.
    pub fn pieces(&self) -> [&[u8]; 3] {
        let body: &[u8] = match &self.body {
            None => &[],
            Some(Bytes::Received(b)) => b.data().bytes(),
            Some(Bytes::Swapped(v)) => v,
        };
        [&self.head, body, &self.tail]
    }

    /// The length of the whole reply.
    pub fn len(&self) -> usize {
        self.pieces().iter().map(|p| p.len()).sum()
    }

    /// Whether the reply is empty (never: the header is always there).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands the descriptors over to the receiver of the written reply: from now on they are
    /// its to close.
    pub fn release(self) {
        fds::release(self.fds);
    }

    /// The whole reply in one buffer; the descriptors are handed over with it.
    pub fn into_vec(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for piece in self.pieces() {
            out.extend_from_slice(piece);
        }
        self.release();
        out
    }
}

impl std::fmt::Debug for BodyReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyReply")
            .field("len", &self.len())
            .field("fds", &self.fds.len())
            .finish()
    }
}
