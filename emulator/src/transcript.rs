//! The transcript: every command received (`C`), reply returned (`R`) and notification sent
//! (`N`), one line each: `<dir> <client-unique-name> <text>`, with `\`, LF and CR escaped as
//! `\\`, `\n` and `\r` so that one protocol string is always one line.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// Lines kept in memory for the `Transcript()` control method.
const MAX_LINES_IN_MEMORY: usize = 100_000;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

pub fn line(dir: char, client: &str, text: &str) -> String {
    let client = if client.is_empty() { "-" } else { client };
    format!("{dir} {client} {}", escape(text))
}

#[derive(Default)]
struct Inner {
    file: Option<File>,
    lines: Vec<String>,
}

#[derive(Default)]
pub struct Transcript {
    inner: Mutex<Inner>,
}

impl Transcript {
    pub fn open(path: Option<&Path>) -> std::io::Result<Transcript> {
        let file = match path {
            Some(p) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            ),
            None => None,
        };
        Ok(Transcript {
            inner: Mutex::new(Inner {
                file,
                lines: Vec::new(),
            }),
        })
    }

    pub fn record(&self, dir: char, client: &str, text: &str) {
        let l = line(dir, client, text);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = inner.file.as_mut() {
            // One write per line, so a reader never sees half a line; File is unbuffered.
            let _ = f.write_all(format!("{l}\n").as_bytes());
            let _ = f.flush();
        }
        if inner.lines.len() < MAX_LINES_IN_MEMORY {
            inner.lines.push(l);
        }
    }

    pub fn lines(&self) -> Vec<String> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lines
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_string() {
        assert_eq!(
            line('C', ":1.5", "CHATMESSAGE #a/$b;0 h\u{e9}llo\nw\u{f6}rld\\"),
            "C :1.5 CHATMESSAGE #a/$b;0 h\u{e9}llo\\nw\u{f6}rld\\\\"
        );
        assert_eq!(line('N', "", "x\r"), "N - x\\r");
    }

    #[test]
    fn records_to_file_and_memory() {
        let dir = std::env::temp_dir().join(format!("skype-emu-transcript-{}", std::process::id()));
        let t = Transcript::open(Some(&dir)).unwrap();
        t.record('C', ":1.1", "PING");
        t.record('R', ":1.1", "PONG");
        assert_eq!(t.lines(), vec!["C :1.1 PING", "R :1.1 PONG"]);
        let text = std::fs::read_to_string(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(text, "C :1.1 PING\nR :1.1 PONG\n");
    }
}
