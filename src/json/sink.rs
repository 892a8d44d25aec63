//! Where the decoder writes: a `serde_json::Value` tree or JSON text. Both produce the same JSON
//! (the text is byte for byte what `serde_json::to_string` prints for the tree).

use base64::Engine as _;
use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::{Map, Number, Value};

/// Receives the decoded JSON, in document order.
pub(crate) trait Sink {
    fn int(&mut self, v: i64);
    fn uint(&mut self, v: u64);
    /// A double; NaN and the infinities become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    fn double(&mut self, v: f64);
    fn boolean(&mut self, v: bool);
    /// An `h`: the number of a descriptor the receiver owns (JSON: the integer).
    fn fd(&mut self, n: i64) {
        self.int(n);
    }
    fn string(&mut self, v: &str);
    /// `ay` as a base64 string.
    fn base64(&mut self, bytes: &[u8]);
    /// `ay` as an array of integers.
    fn byte_array(&mut self, bytes: &[u8]);
    fn begin_array(&mut self, len_hint: usize);
    /// About `n` more bytes of output are coming (an array of `n / 12` numbers, say).
    fn reserve(&mut self, _n: usize) {}
    fn end_array(&mut self);
    fn begin_object(&mut self);
    fn key(&mut self, k: &str);
    /// The key of a dict whose key type is `b` (JSON: `"true"` / `"false"`).
    fn bool_key(&mut self, b: bool) {
        self.key(if b { "true" } else { "false" });
    }
    fn end_object(&mut self);
    /// A value of `width` bytes (2, 4 or 8: an integer, a double, a boolean, a length, a fd
    /// index) lies at offset `at` of the body; called before it is read. Only for a sink that
    /// rewrites the body's byte order ([`SwapSink`]).
    #[inline]
    fn wire_scalar(&mut self, _at: usize, _width: usize) {}
    /// The `len` bytes at offset `at` are the elements of an array of a fixed-size type of
    /// `width` bytes each (1 to 8), as [`Sink::wire_scalar`].
    #[inline]
    fn wire_array(&mut self, _at: usize, _len: usize, _width: usize) {}
}

fn special_double(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("Infinity")
    } else if v == f64::NEG_INFINITY {
        Some("-Infinity")
    } else {
        None
    }
}

enum Frame {
    Array(Vec<Value>),
    Object(Map<String, Value>, String),
}

/// Builds a `serde_json::Value`. The root is the argument array.
pub(crate) struct ValueSink {
    stack: Vec<Frame>,
}

impl ValueSink {
    pub(crate) fn new() -> Self {
        ValueSink { stack: Vec::new() }
    }

    fn push(&mut self, v: Value) {
        match self.stack.last_mut() {
            Some(Frame::Array(a)) => a.push(v),
            Some(Frame::Object(m, k)) => {
                m.insert(std::mem::take(k), v);
            }
            None => self.stack.push(Frame::Array(vec![v])),
        }
    }

    fn pop(&mut self) {
        // The outermost frame stays: it is the result.
        if self.stack.len() > 1 {
            let v = match self.stack.pop() {
                Some(Frame::Array(a)) => Value::Array(a),
                Some(Frame::Object(m, _)) => Value::Object(m),
                None => return,
            };
            self.push(v);
        }
    }

    /// The root value (an empty array if nothing was written).
    pub(crate) fn finish(mut self) -> Value {
        while self.stack.len() > 1 {
            self.pop();
        }
        match self.stack.pop() {
            Some(Frame::Array(a)) => Value::Array(a),
            Some(Frame::Object(m, _)) => Value::Object(m),
            None => Value::Array(Vec::new()),
        }
    }
}

impl Sink for ValueSink {
    fn int(&mut self, v: i64) {
        self.push(Value::Number(v.into()));
    }
    fn uint(&mut self, v: u64) {
        self.push(Value::Number(v.into()));
    }
    fn double(&mut self, v: f64) {
        match Number::from_f64(v) {
            Some(n) => self.push(Value::Number(n)),
            None => self.push(Value::String(special_double(v).unwrap_or("NaN").to_owned())),
        }
    }
    fn boolean(&mut self, v: bool) {
        self.push(Value::Bool(v));
    }
    fn string(&mut self, v: &str) {
        self.push(Value::String(v.to_owned()));
    }
    fn base64(&mut self, bytes: &[u8]) {
        self.push(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ));
    }
    fn byte_array(&mut self, bytes: &[u8]) {
        self.push(Value::Array(
            bytes.iter().map(|&b| Value::Number(b.into())).collect(),
        ));
    }
    fn begin_array(&mut self, len_hint: usize) {
        self.stack
            .push(Frame::Array(Vec::with_capacity(len_hint.min(1 << 16))));
    }
    fn end_array(&mut self) {
        self.pop();
    }
    fn begin_object(&mut self) {
        self.stack.push(Frame::Object(Map::new(), String::new()));
    }
    fn key(&mut self, k: &str) {
        if let Some(Frame::Object(_, key)) = self.stack.last_mut() {
            k.clone_into(key);
        }
    }
    fn end_object(&mut self) {
        self.pop();
    }
}

/// `,N` for every byte value N, with its length.
static BYTE_TEXT: [([u8; 4], u8); 256] = {
    let mut t = [([0u8; 4], 0u8); 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut text = [b',', 0, 0, 0];
        let len = if b >= 100 {
            text[1] = b'0' + b / 100;
            text[2] = b'0' + (b / 10) % 10;
            text[3] = b'0' + b % 10;
            4
        } else if b >= 10 {
            text[1] = b'0' + b / 10;
            text[2] = b'0' + b % 10;
            3
        } else {
            text[1] = b'0' + b;
            2
        };
        t[i] = (text, len);
        i += 1;
    }
    t
};

/// Writes JSON text into a byte buffer (valid UTF-8 by construction).
pub(crate) struct TextSink {
    out: Vec<u8>,
    comma: bool,
}

impl TextSink {
    pub(crate) fn new(mut out: Vec<u8>, body_len: usize) -> Self {
        // A rough guess: JSON text is usually a few times the wire size.
        out.reserve(body_len.saturating_mul(3).min(1 << 26) + 2);
        TextSink { out, comma: false }
    }

    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    #[inline]
    fn sep(&mut self) {
        if self.comma {
            self.out.push(b',');
        }
        self.comma = true;
    }

    fn quoted(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let b = s.as_bytes();
        self.out.push(b'"');
        let mut run = 0;
        for (i, &c) in b.iter().enumerate() {
            let esc: &[u8] = match c {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.out
                .extend_from_slice(b.get(run..i).unwrap_or_default());
            run = i + 1;
            if esc.is_empty() {
                self.out.extend_from_slice(b"\\u00");
                self.out.push(HEX[usize::from(c >> 4)]);
                self.out.push(HEX[usize::from(c & 0xf)]);
            } else {
                self.out.extend_from_slice(esc);
            }
        }
        self.out.extend_from_slice(b.get(run..).unwrap_or_default());
        self.out.push(b'"');
    }
}

impl Sink for TextSink {
    fn int(&mut self, v: i64) {
        self.sep();
        let _ = CompactFormatter.write_i64(&mut self.out, v);
    }
    fn uint(&mut self, v: u64) {
        self.sep();
        let _ = CompactFormatter.write_u64(&mut self.out, v);
    }
    fn double(&mut self, v: f64) {
        self.sep();
        match special_double(v) {
            Some(s) => {
                self.out.push(b'"');
                self.out.extend_from_slice(s.as_bytes());
                self.out.push(b'"');
            }
            None => {
                let _ = CompactFormatter.write_f64(&mut self.out, v);
            }
        }
    }
    fn boolean(&mut self, v: bool) {
        self.sep();
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
    }
    fn string(&mut self, v: &str) {
        self.sep();
        self.quoted(v);
    }
    fn base64(&mut self, bytes: &[u8]) {
        self.sep();
        self.out.push(b'"');
        let start = self.out.len();
        let engine = base64::engine::general_purpose::STANDARD;
        let n = base64::encoded_len(bytes.len(), true).unwrap_or(0);
        self.out.resize(start + n, 0);
        let written = self
            .out
            .get_mut(start..)
            .and_then(|dst| engine.encode_slice(bytes, dst).ok())
            .unwrap_or(0);
        self.out.truncate(start + written);
        self.out.push(b'"');
    }
    fn byte_array(&mut self, bytes: &[u8]) {
        self.sep();
        self.out.reserve(bytes.len() * 4 + 2);
        self.out.push(b'[');
        if let Some((&first, rest)) = bytes.split_first() {
            let (text, len) = BYTE_TEXT[usize::from(first)];
            self.out.extend_from_slice(&text[1..usize::from(len)]);
            for &b in rest {
                let (text, len) = BYTE_TEXT[usize::from(b)];
                self.out.extend_from_slice(&text[..usize::from(len)]);
            }
        }
        self.out.push(b']');
    }
    fn reserve(&mut self, n: usize) {
        self.out.reserve(n);
    }
    fn begin_array(&mut self, _len_hint: usize) {
        self.sep();
        self.out.push(b'[');
        self.comma = false;
    }
    fn end_array(&mut self) {
        self.out.push(b']');
        self.comma = true;
    }
    fn begin_object(&mut self) {
        self.sep();
        self.out.push(b'{');
        self.comma = false;
    }
    fn key(&mut self, k: &str) {
        self.sep();
        self.quoted(k);
        self.out.push(b':');
        self.comma = false;
    }
    fn end_object(&mut self) {
        self.out.push(b'}');
        self.comma = true;
    }
}

/// The methods of a sink that writes none of the values.
macro_rules! ignore_values {
    () => {
        fn int(&mut self, _: i64) {}
        fn uint(&mut self, _: u64) {}
        fn double(&mut self, _: f64) {}
        fn boolean(&mut self, _: bool) {}
        fn string(&mut self, _: &str) {}
        fn base64(&mut self, _: &[u8]) {}
        fn byte_array(&mut self, _: &[u8]) {}
        fn begin_array(&mut self, _: usize) {}
        fn end_array(&mut self) {}
        fn begin_object(&mut self) {}
        fn key(&mut self, _: &str) {}
        fn end_object(&mut self) {}
    };
}

/// Writes nothing: for checking a body with the decoder's rules alone ([`super::check_body`]).
pub(crate) struct NullSink;

impl Sink for NullSink {
    ignore_values!();
}

/// Writes nothing of the values, but rewrites a copy of a big-endian body as little endian: every
/// value of 2, 4 or 8 bytes the decoder reads is reversed in place (the layout, offsets and
/// padding of a body are the same in both byte orders). Complete only when the decoder
/// succeeded.
pub(crate) struct SwapSink {
    body: Vec<u8>,
}

impl SwapSink {
    pub(crate) fn new(body: &[u8]) -> Self {
        SwapSink {
            body: body.to_vec(),
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.body
    }
}

impl Sink for SwapSink {
    ignore_values!();
    fn wire_scalar(&mut self, at: usize, width: usize) {
        // The decoder reports a value before checking it lies inside the body, and fails if not.
        if let Some(v) = at
            .checked_add(width)
            .and_then(|end| self.body.get_mut(at..end))
        {
            v.reverse();
        }
    }
    fn wire_array(&mut self, at: usize, len: usize, width: usize) {
        if width < 2 {
            return;
        }
        if let Some(data) = at
            .checked_add(len)
            .and_then(|end| self.body.get_mut(at..end))
        {
            for v in data.chunks_exact_mut(width) {
                v.reverse();
            }
        }
    }
}
