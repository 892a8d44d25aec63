//! Where the decoder writes for PHP: the text of PHP's `serialize()` for the list of a message's
//! values, which PHP's `unserialize()` turns into PHP values in one C-level pass, with no
//! `json_decode` and no walk in PHP code afterwards. The values are those the PHP package's JSON
//! path ends with (docs/php.md, "Values"): variants unwrapped to their value, `ay` as a binary
//! string, arrays of numbers as lists, `d` as a float (NaN and the infinities included), `t`
//! above `PHP_INT_MAX` as a decimal string, dicts as arrays keyed the way PHP keys an array
//! (a decimal integer key as an int, a boolean key as 1 or 0, anything else as a string).
//!
//! The format: `i:<n>;`, `d:<n>;`, `b:<0|1>;`, `s:<byte length>:"<bytes>";` and
//! `a:<count>:{<key><value>...}`. An array's count is written as eight zero-padded digits and
//! filled in when the array ends (PHP reads leading zeros; a D-Bus array of at most 64 MiB holds
//! fewer than 10^8 elements), so no element is written twice.
//!
//! An `h` is written as an object of the PHP package's class `SkypeBus\Type\Fd` (which owns the
//! descriptor): `O:16:"SkypeBus\Type\Fd":1:{s:2:"fd";i:<n>;}`. A text with such objects is
//! marked by [`super::decode_body_php`] with a leading `F`, so PHP reads every other text with no
//! class allowed at all.

use serde_json::ser::{CompactFormatter, Formatter};

use super::sink::Sink;

/// Width of an array's element count.
const COUNT_DIGITS: usize = 8;

/// One array being written: where its count goes, and how many elements it has so far.
struct Frame {
    count_at: usize,
    count: u32,
    /// A list (keys 0..n-1 written before each value) rather than a dict (keys from `key`).
    list: bool,
}

/// Writes PHP `serialize()` text into a byte buffer.
pub(crate) struct PhpSink {
    out: Vec<u8>,
    stack: Vec<Frame>,
    /// Whether an `h` was written.
    fds: bool,
}

/// What an `h` is written as, before its number and [`FD_END`].
const FD_START: &[u8] = b"O:16:\"SkypeBus\\Type\\Fd\":1:{s:2:\"fd\";i:";
const FD_END: &[u8] = b";}";

impl PhpSink {
    pub(crate) fn new(out: Vec<u8>, body_len: usize) -> Self {
        let mut out = out;
        out.reserve(body_len.saturating_mul(2).min(1 << 26) + 16);
        PhpSink {
            out,
            stack: Vec::with_capacity(8),
            fds: false,
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// Whether the text holds `SkypeBus\Type\Fd` objects.
    pub(crate) fn has_fds(&self) -> bool {
        self.fds
    }

    /// Before each value: its key when it is an element of a list.
    #[inline]
    fn item(&mut self) {
        if let Some(frame) = self.stack.last_mut()
            && frame.list
        {
            let index = frame.count;
            frame.count += 1;
            self.out.extend_from_slice(b"i:");
            let _ = CompactFormatter.write_u32(&mut self.out, index);
            self.out.push(b';');
        }
    }

    fn string_bytes(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(b"s:");
        let _ = CompactFormatter.write_u64(&mut self.out, bytes.len() as u64);
        self.out.extend_from_slice(b":\"");
        self.out.extend_from_slice(bytes);
        self.out.extend_from_slice(b"\";");
    }

    fn begin(&mut self, list: bool) {
        self.item();
        self.out.extend_from_slice(b"a:");
        let count_at = self.out.len();
        self.out.extend_from_slice(&[b'0'; COUNT_DIGITS]);
        self.out.extend_from_slice(b":{");
        self.stack.push(Frame {
            count_at,
            count: 0,
            list,
        });
    }

    fn end(&mut self) {
        if let Some(frame) = self.stack.pop() {
            let mut n = frame.count;
            if let Some(digits) = self
                .out
                .get_mut(frame.count_at..frame.count_at + COUNT_DIGITS)
            {
                for d in digits.iter_mut().rev() {
                    *d = b'0' + (n % 10) as u8;
                    n /= 10;
                }
            }
        }
        self.out.push(b'}');
    }
}

/// The packed form of a body that is exactly one array of `y n q i u x t d` (see
/// [`super::decode_body_php`]), or None for any other body, a malformed one included (the
/// general path reports it).
pub(crate) fn packed_array(sig: &str, body: &[u8], big_endian: bool) -> Option<Vec<u8>> {
    let &[b'a', code] = sig.as_bytes() else {
        return None;
    };
    let size = match code {
        b'y' => 1,
        b'n' | b'q' => 2,
        b'i' | b'u' => 4,
        b'x' | b't' | b'd' => 8,
        _ => return None,
    };
    let len_bytes: [u8; 4] = body.get(..4)?.try_into().ok()?;
    let len = if big_endian {
        u32::from_be_bytes(len_bytes)
    } else {
        u32::from_le_bytes(len_bytes)
    } as usize;
    // The elements start at the first offset after the length aligned to their size, and the
    // padding is zeros.
    let start = if size == 8 { 8 } else { 4 };
    if body.get(4..start)?.iter().any(|&b| b != 0)
        || body.len() != start.checked_add(len)?
        || !len.is_multiple_of(size)
        || len > crate::signature::MAX_ARRAY_LEN
    {
        return None;
    }
    let data = body.get(start..)?;
    let mut out = crate::spare::take();
    out.reserve(2 + data.len());
    out.push(b'P');
    out.push(code);
    out.extend_from_slice(data);
    if big_endian && let Some(elements) = out.get_mut(2..) {
        for element in elements.chunks_exact_mut(size) {
            element.reverse();
        }
    }
    Some(out)
}

/// Whether PHP keys an array with `k` as an integer: the decimal form of an int64, without
/// leading zeros or a plus sign ("-0" is not one).
fn integer_key(k: &str) -> Option<i64> {
    let digits = k.strip_prefix('-').unwrap_or(k);
    if digits.is_empty()
        || digits.len() > 19
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.starts_with('0') && (digits.len() > 1 || k.starts_with('-')))
    {
        return None;
    }
    k.parse().ok()
}

impl Sink for PhpSink {
    fn int(&mut self, v: i64) {
        self.item();
        self.out.extend_from_slice(b"i:");
        let _ = CompactFormatter.write_i64(&mut self.out, v);
        self.out.push(b';');
    }
    fn uint(&mut self, v: u64) {
        match i64::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => {
                self.item();
                let mut text = Vec::with_capacity(20);
                let _ = CompactFormatter.write_u64(&mut text, v);
                self.string_bytes(&text);
            }
        }
    }
    fn double(&mut self, v: f64) {
        self.item();
        self.out.extend_from_slice(b"d:");
        if v.is_nan() {
            self.out.extend_from_slice(b"NAN");
        } else if v.is_infinite() {
            self.out
                .extend_from_slice(if v > 0.0 { b"INF".as_slice() } else { b"-INF" });
        } else {
            let _ = CompactFormatter.write_f64(&mut self.out, v);
        }
        self.out.push(b';');
    }
    /// An `h`: a `SkypeBus\Type\Fd` object (see the module comment).
    fn fd(&mut self, n: i64) {
        self.item();
        self.fds = true;
        self.out.extend_from_slice(FD_START);
        let _ = CompactFormatter.write_i64(&mut self.out, n);
        self.out.extend_from_slice(FD_END);
    }
    fn boolean(&mut self, v: bool) {
        self.item();
        self.out
            .extend_from_slice(if v { b"b:1;" } else { b"b:0;" });
    }
    fn string(&mut self, v: &str) {
        self.item();
        self.string_bytes(v.as_bytes());
    }
    /// `ay`: the bytes as a binary string.
    fn base64(&mut self, bytes: &[u8]) {
        self.item();
        self.string_bytes(bytes);
    }
    /// `ay`: the bytes as a binary string here too (PHP has no other form for them).
    fn byte_array(&mut self, bytes: &[u8]) {
        self.base64(bytes);
    }
    fn reserve(&mut self, n: usize) {
        self.out.reserve(n);
    }
    fn begin_array(&mut self, _len_hint: usize) {
        self.begin(true);
    }
    fn end_array(&mut self) {
        self.end();
    }
    fn begin_object(&mut self) {
        self.begin(false);
    }
    fn key(&mut self, k: &str) {
        if let Some(frame) = self.stack.last_mut() {
            frame.count += 1;
        }
        match integer_key(k) {
            Some(n) => {
                self.out.extend_from_slice(b"i:");
                let _ = CompactFormatter.write_i64(&mut self.out, n);
                self.out.push(b';');
            }
            None => self.string_bytes(k.as_bytes()),
        }
    }
    fn bool_key(&mut self, b: bool) {
        self.key(if b { "1" } else { "0" });
    }
    fn end_object(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_are_those_php_makes_ints() {
        for (k, want) in [
            ("0", Some(0)),
            ("42", Some(42)),
            ("-7", Some(-7)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-0", None),
            ("007", None),
            ("+1", None),
            ("1.5", None),
            ("", None),
            ("-", None),
            ("true", None),
        ] {
            assert_eq!(integer_key(k), want, "{k:?}");
        }
    }

    #[test]
    fn one_array_of_numbers_is_packed_little_endian() {
        // ai [1, -2], little and big endian; at [7] with its padding.
        let le = [8, 0, 0, 0, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff];
        let be = [0, 0, 0, 8, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe];
        let want = [b'P', b'i', 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff];
        assert_eq!(packed_array("ai", &le, false).unwrap(), want);
        assert_eq!(packed_array("ai", &be, true).unwrap(), want);
        let t = [8, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            packed_array("at", &t, false).unwrap(),
            [b'P', b't', 7, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(packed_array("ai", &[0, 0, 0, 0], false).unwrap(), b"Pi");
        // Bytes as they are, after "Py".
        assert_eq!(
            packed_array("ay", &[3, 0, 0, 0, 0, 0xff, 7], false).unwrap(),
            [b'P', b'y', 0, 0xff, 7]
        );
        assert_eq!(
            packed_array("ay", &[0, 0, 0, 3, 0, 0xff, 7], true).unwrap(),
            [b'P', b'y', 0, 0xff, 7]
        );
        // Anything else goes the general way: other signatures, a wrong length, non-zero
        // padding, trailing bytes.
        for (sig, body) in [
            ("ay", &le[..11]),
            ("as", &le[..]),
            ("aiai", &le[..]),
            ("ai", &le[..11]),
            ("ai", &[9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3][..]),
            ("at", &[8, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0][..]),
            ("ai", &[4, 0, 0, 0, 1, 0, 0, 0, 9][..]),
        ] {
            assert_eq!(packed_array(sig, body, false), None, "{sig} {body:?}");
        }
    }

    #[test]
    fn counts_are_filled_in_when_an_array_ends() {
        let mut s = PhpSink::new(Vec::new(), 0);
        s.begin_array(2);
        s.string("a\"b");
        s.begin_object();
        s.key("k");
        s.double(1.5);
        s.key("12");
        s.uint(u64::MAX);
        s.bool_key(true);
        s.double(f64::NEG_INFINITY);
        s.end_object();
        s.end_array();
        assert_eq!(
            String::from_utf8(s.into_bytes()).unwrap(),
            "a:00000002:{i:0;s:3:\"a\"b\";i:1;a:00000003:{s:1:\"k\";d:1.5;i:12;\
             s:20:\"18446744073709551615\";i:1;d:-INF;}}"
        );
    }

    #[test]
    fn descriptors_are_fd_objects() {
        let mut s = PhpSink::new(Vec::new(), 0);
        s.begin_array(2);
        s.fd(7);
        s.int(7);
        s.end_array();
        assert!(s.has_fds());
        assert_eq!(
            String::from_utf8(s.into_bytes()).unwrap(),
            "a:00000002:{i:0;O:16:\"SkypeBus\\Type\\Fd\":1:{s:2:\"fd\";i:7;}i:1;i:7;}"
        );
    }
}
