//! Command text and object ids: splitting words and the `#<n>` command-id prefix, checking
//! handles, and the stable ids of dialogs and multichats.

/// Split off the first word: the text up to the first space, and everything after that ONE space
/// (verbatim). Without a space, the rest is empty.
pub(super) fn split_word(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// Split off the `#<digits>` command-id prefix: `("#3 ", "GET USERSTATUS")`.
pub fn split_prefix(command: &str) -> (&str, &str) {
    if let Some(rest) = command.strip_prefix('#') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let after = &rest[digits..];
            if after.is_empty() {
                return (command, "");
            }
            if let Some(body) = after.strip_prefix(' ') {
                return (&command[..digits + 2], body);
            }
        }
    }
    ("", command)
}

/// Whether `h` looks like a Skype handle (letters, digits and `. _ - : + @`; no spaces or commas).
pub fn valid_handle(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 128
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:+@".contains(&b))
}

/// FNV-1a, 64 bits: stable across runs and platforms.
pub(super) fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The id of the dialog between `me` and `partner`.
pub fn dialog_id(me: &str, partner: &str) -> String {
    format!("#{me}/${partner};{:016x}", fnv1a(&["dialog", me, partner]))
}

/// The id of the multichat of `me` with `others` (sorted, without `me`).
pub fn multichat_id(me: &str, others: &[String]) -> String {
    let mut parts: Vec<&str> = vec!["multichat", me];
    parts.extend(others.iter().map(String::as_str));
    format!("#{me}/${:016x}", fnv1a(&parts))
}
