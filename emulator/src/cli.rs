//! Command-line parsing (by hand; no argument-parsing dependency).

use std::path::PathBuf;

use crate::protocol::{AuthMode, Config, Contact, valid_handle};

pub const USAGE: &str = "\
Usage: skypebus-skype-emulator [OPTIONS]

Emulates the Skype desktop API: owns com.Skype.API on a D-Bus bus, answers
com.Skype.API.Invoke(s) -> s on /com/Skype and calls com.Skype.API.Client.Notify(s)
on the client's /com/Skype/Client.

Bus:
  --address ADDR          connect to this D-Bus address (default: the session bus,
                          from DBUS_SESSION_BUS_ADDRESS)
  --system                use the system bus instead of the session bus

Emulated Skype:
  --user HANDLE           the signed-in user's handle (default: alice)
  --contacts LIST         friends as 'handle:Full Name,...' (default:
                          'echo123:Echo / Sound Test Service,bob:Bob')
  --first-id N            first object id; chat messages, chat members and legacy
                          messages share one counter (default: 1)
  --protocol-max N        highest protocol version (default: 8)
  --auth MODE             what NAME gets: accept | refuse | offline | pending
                          (default: accept)
  --auth-delay-ms MS      how long NAME blocks in pending mode (default: 5000)
  --strict                refuse commands that do not exist at the client's
                          negotiated protocol version (default: lenient)
  --inject FROM:BODY      a message from FROM, delivered once the first client has
                          attached; BODY understands \\n, \\t and \\\\ (repeatable)

Test harness:
  --transcript FILE       append every command received, reply and notification
                          sent, one line each (flushed per line)
  --ready-file FILE       write 'READY <unique-name>' to FILE once the name is owned
                          ('READY <unique-name>' is always printed on stdout)
  --exit-when-idle-ms MS  exit after MS milliseconds without any method call
  -h, --help              show this help and exit
  -V, --version           show the version and exit

Control interface: object /net/skypebus/SkypeEmulator, interface
net.skypebus.SkypeEmulator, methods InjectMessage(ss)->s, SignIn(), SetAuthMode(s),
SetAuthDelayMs(t), Clients()->as, Transcript()->as, Quit().
";

#[derive(Debug, Default)]
pub struct Options {
    pub address: Option<String>,
    pub system: bool,
    pub config: Config,
    pub transcript: Option<PathBuf>,
    pub ready_file: Option<PathBuf>,
    pub exit_when_idle_ms: Option<u64>,
    pub help: bool,
    pub version: bool,
}

/// Parse a contact list: `handle:Full Name,handle2:Name 2`. A handle without `:` gets its
/// handle as full name.
pub fn parse_contacts(s: &str) -> Result<Vec<Contact>, String> {
    let mut out: Vec<Contact> = Vec::new();
    for item in s.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (handle, fullname) = match item.split_once(':') {
            Some((h, n)) => (h.trim(), n.trim()),
            None => (item, item),
        };
        let handle = handle.to_ascii_lowercase();
        if !valid_handle(&handle) || handle.contains(':') {
            return Err(format!("invalid contact handle {handle:?}"));
        }
        if out.iter().any(|c| c.handle == handle) {
            return Err(format!("contact {handle:?} listed twice"));
        }
        out.push(Contact {
            handle,
            fullname: fullname.to_string(),
        });
    }
    Ok(out)
}

/// Undo the `--inject` escapes: `\n`, `\t`, `\\`.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn number<T: std::str::FromStr>(opt: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{opt}: not a valid number: {v:?}"))
}

/// Parse `args` (without the program name).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (opt, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let value = |it: &mut I::IntoIter| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().ok_or_else(|| format!("{opt} needs a value")),
            }
        };
        match opt.as_str() {
            "-h" | "--help" => o.help = true,
            "-V" | "--version" => o.version = true,
            "--address" => o.address = Some(value(&mut it)?),
            "--system" => o.system = true,
            "--user" => {
                let u = value(&mut it)?.to_ascii_lowercase();
                if !valid_handle(&u) {
                    return Err(format!("--user: invalid handle {u:?}"));
                }
                o.config.user = u;
            }
            "--contacts" => o.config.contacts = parse_contacts(&value(&mut it)?)?,
            "--first-id" => {
                let n: u64 = number(&opt, &value(&mut it)?)?;
                if n == 0 {
                    return Err("--first-id must be at least 1".into());
                }
                o.config.first_id = n;
            }
            "--protocol-max" => {
                let n: u32 = number(&opt, &value(&mut it)?)?;
                if n == 0 {
                    return Err("--protocol-max must be at least 1".into());
                }
                o.config.protocol_max = n;
            }
            "--auth" => {
                let v = value(&mut it)?;
                o.config.auth = AuthMode::parse(&v).ok_or_else(|| {
                    format!("--auth: expected accept, refuse, offline or pending, got {v:?}")
                })?;
            }
            "--auth-delay-ms" => o.config.auth_delay_ms = number(&opt, &value(&mut it)?)?,
            "--strict" => o.config.strict = true,
            "--inject" => {
                let v = value(&mut it)?;
                let (from, body) = v
                    .split_once(':')
                    .ok_or_else(|| format!("--inject: expected FROM:BODY, got {v:?}"))?;
                let from = from.trim().to_ascii_lowercase();
                if !valid_handle(&from) {
                    return Err(format!("--inject: invalid handle {from:?}"));
                }
                let body = unescape(body);
                if body.is_empty() {
                    return Err("--inject: empty body".into());
                }
                o.config.inject_on_attach.push((from, body));
            }
            "--transcript" => o.transcript = Some(PathBuf::from(value(&mut it)?)),
            "--ready-file" => o.ready_file = Some(PathBuf::from(value(&mut it)?)),
            "--exit-when-idle-ms" => o.exit_when_idle_ms = Some(number(&opt, &value(&mut it)?)?),
            other => return Err(format!("unknown option {other:?} (see --help)")),
        }
    }
    if o.config
        .inject_on_attach
        .iter()
        .any(|(f, _)| *f == o.config.user)
    {
        return Err("--inject: the sender cannot be the user".into());
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults() {
        let o = p(&[]).unwrap();
        assert_eq!(o.config.user, "alice");
        assert_eq!(o.config.protocol_max, 8);
        assert_eq!(o.config.auth, AuthMode::Accept);
        assert!(!o.config.strict);
        assert_eq!(o.config.contacts.len(), 2);
        assert!(o.address.is_none());
    }

    #[test]
    fn all_options() {
        let o = p(&[
            "--address",
            "unix:path=/tmp/x",
            "--user=Carol",
            "--contacts",
            "echo123:Echo / Sound Test Service, bob:Bob,dave",
            "--first-id",
            "290",
            "--protocol-max=7",
            "--auth",
            "pending",
            "--auth-delay-ms",
            "250",
            "--strict",
            "--inject",
            "bob:h\u{e9}llo\\nw\u{f6}rld",
            "--transcript",
            "/tmp/t",
            "--ready-file",
            "/tmp/r",
            "--exit-when-idle-ms",
            "1000",
        ])
        .unwrap();
        assert_eq!(o.address.as_deref(), Some("unix:path=/tmp/x"));
        assert_eq!(o.config.user, "carol");
        assert_eq!(
            o.config.contacts,
            vec![
                Contact {
                    handle: "echo123".into(),
                    fullname: "Echo / Sound Test Service".into()
                },
                Contact {
                    handle: "bob".into(),
                    fullname: "Bob".into()
                },
                Contact {
                    handle: "dave".into(),
                    fullname: "dave".into()
                },
            ]
        );
        assert_eq!(o.config.first_id, 290);
        assert_eq!(o.config.protocol_max, 7);
        assert_eq!(o.config.auth, AuthMode::Pending);
        assert_eq!(o.config.auth_delay_ms, 250);
        assert!(o.config.strict);
        assert_eq!(
            o.config.inject_on_attach,
            vec![("bob".to_string(), "h\u{e9}llo\nw\u{f6}rld".to_string())]
        );
        assert_eq!(o.transcript, Some(PathBuf::from("/tmp/t")));
        assert_eq!(o.ready_file, Some(PathBuf::from("/tmp/r")));
        assert_eq!(o.exit_when_idle_ms, Some(1000));
    }

    #[test]
    fn errors() {
        assert!(p(&["--auth", "maybe"]).is_err());
        assert!(p(&["--first-id", "x"]).is_err());
        assert!(p(&["--first-id", "0"]).is_err());
        assert!(p(&["--protocol-max", "0"]).is_err());
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["--user"]).is_err());
        assert!(p(&["--user", "a b"]).is_err());
        assert!(p(&["--inject", "nobody"]).is_err());
        assert!(p(&["--inject", "alice:hi"]).is_err());
        assert!(p(&["--contacts", "bob:Bob,bob:Robert"]).is_err());
        assert!(p(&["--help"]).unwrap().help);
    }

    #[test]
    fn unescape_rules() {
        assert_eq!(unescape("a\\nb\\tc\\\\d\\x\\"), "a\nb\tc\\d\\x\\");
    }
}
