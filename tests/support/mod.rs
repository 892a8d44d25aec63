//! Shared pieces of the integration tests: a private `dbus-daemon`, peers we did not write
//! (dbusmock, dbus-send, gdbus, busctl), and small helpers around the library's Rust API.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skypebus::call::{CallRequest, call};
use skypebus::connection::{Connection, Target};
use skypebus::error::Error;

/// Debian's python3 (it has dbus-python and dbusmock; a pyenv python3 on PATH may not).
pub const PYTHON: &str = "/usr/bin/python3";

/// How the library's connections of a test reach its private bus. The suites of calls, signals
/// and serving run once per transport (see [`per_transport!`]); the peers we did not write
/// always use the bus's unix socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `unix:path=...`: the library's own socket (src/socket.rs).
    Unix,
    /// `tcp:host=127.0.0.1,port=...`: zbus' socket, authenticated with ANONYMOUS.
    Tcp,
}

/// Turns each named `fn NAME(t: Transport)` into a module `NAME` of one test per transport
/// (`NAME::unix`, `NAME::tcp`).
#[macro_export]
macro_rules! per_transport {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::support::Transport;
            #[test]
            fn unix() {
                super::$name(Transport::Unix)
            }
            #[test]
            fn tcp() {
                super::$name(Transport::Tcp)
            }
        }
    )*};
}

/// A private `dbus-daemon`, killed when dropped. Never the machine's own buses.
pub struct PrivateBus {
    /// The bus's unix address (what the peers we did not write connect to).
    pub address: String,
    /// The address the library's connections use: `address`, or the bus's tcp address on
    /// [`Transport::Tcp`].
    pub client_address: String,
    pub transport: Transport,
    daemon: Child,
    children: Vec<Child>,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl PrivateBus {
    /// A bus reached over unix sockets only.
    pub fn start() -> PrivateBus {
        PrivateBus::on(Transport::Unix)
    }

    /// A bus whose library connections use `transport`.
    pub fn on(transport: Transport) -> PrivateBus {
        let conf = repo_root().join(match transport {
            Transport::Unix => "tests/support/bus.conf",
            Transport::Tcp => "tests/support/bus-tcp.conf",
        });
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--print-address=1", "--nofork"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon must be installed (apt-get install dbus-daemon)");
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("address from dbus-daemon");
        // With several listening addresses, dbus-daemon prints them all, `;`-separated.
        let pick = |prefix: &str| {
            line.trim()
                .split(';')
                .find(|a| a.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} address in {line:?}"))
                .to_owned()
        };
        let address = pick("unix:");
        let client_address = match transport {
            Transport::Unix => address.clone(),
            Transport::Tcp => pick("tcp:"),
        };
        PrivateBus {
            address,
            client_address,
            transport,
            daemon,
            children: Vec::new(),
        }
    }

    /// A new connection of ours to this bus.
    pub fn connect(&self) -> Connection {
        skypebus::hub::open(self.target())
            .block()
            .expect("connect to the private bus")
    }

    /// Where the library's connections of this bus go.
    pub fn target(&self) -> Target {
        Target::Bus(self.client_address.clone())
    }

    /// A command with this bus as its session bus.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env_remove("DBUS_SYSTEM_BUS_ADDRESS");
        c
    }

    /// Runs a command on this bus and returns its output.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    }

    /// Starts a background process on this bus that is killed with the bus.
    pub fn spawn(&mut self, program: &str, args: &[&str]) {
        let child = self
            .command(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        self.children.push(child);
    }

    /// Starts a dbusmock object (`python3 -m dbusmock NAME PATH INTERFACE`) or a template
    /// (`template` Some) and waits until `name` is owned.
    pub fn start_dbusmock(&mut self, name: &str, path: &str, interface: &str) {
        self.spawn(PYTHON, &["-m", "dbusmock", name, path, interface]);
        self.wait_for_name(name);
    }

    /// Starts a dbusmock template (e.g. `notification_daemon`) owning `name`.
    pub fn start_template(&mut self, template: &str, name: &str) {
        self.spawn(PYTHON, &["-m", "dbusmock", "--template", template]);
        self.wait_for_name(name);
    }

    /// Waits (up to 20 s) until `name` has an owner on this bus.
    pub fn wait_for_name(&self, name: &str) {
        let conn = self.connect();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = call_json(
                &conn,
                json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
                       "interface": "org.freedesktop.DBus", "method": "NameHasOwner",
                       "args": [name]}),
            )
            .expect("NameHasOwner");
            if r["data"][0] == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not appear on the bus"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl PrivateBus {
    /// Kills the bus daemon only (its clients stay), as if the bus died.
    pub fn kill_daemon(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Runs one of the library's async functions to completion on its runtime, as a synchronous
/// caller (the C ABI) does: `hub::next_event(&conn, t).block()`.
pub trait Block: std::future::Future + Sized {
    fn block(self) -> Self::Output {
        skypebus::runtime::block_on(self).expect("the library's runtime")
    }
}

impl<F: std::future::Future> Block for F {}

/// One value of every basic type, at or near its extremes (a string with line break and
/// non-ASCII letters), with its signature: the cases the mapping and packed-call suites share.
pub fn basic_type_cases() -> Vec<(&'static str, Value)> {
    vec![
        ("y", json!([255])),
        ("b", json!([true])),
        ("n", json!([-32768])),
        ("q", json!([65535])),
        ("i", json!([-2147483648i64])),
        ("u", json!([4294967295u64])),
        ("x", json!([i64::MIN])),
        ("t", json!([u64::MAX])),
        ("d", json!([-0.5])),
        ("s", json!(["héllo\nwörld"])),
        ("o", json!(["/a/b_c/D1"])),
        ("g", json!(["a{sv}(ii)"])),
    ]
}

/// Makes a call from a JSON request and parses the reply envelope.
pub fn call_json(conn: &Connection, request: Value) -> Result<Value, Error> {
    let req = CallRequest::from_value(request)?;
    let text = call(conn, &req).block()?;
    Ok(serde_json::from_str(&text).expect("the reply is valid JSON"))
}

/// A call to the bus driver.
pub fn driver(
    conn: &Connection,
    method: &str,
    signature: Option<&str>,
    args: Value,
) -> Result<Value, Error> {
    let mut req = json!({"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
                         "interface": "org.freedesktop.DBus", "method": method, "args": args});
    if let Some(s) = signature {
        req["signature"] = json!(s);
    }
    call_json(conn, req)
}

/// Python code for a dbusmock method that replies with the wire signature it received (computed
/// from the raw dbus-python values `m_args`, before dbusmock converts them) and then echoes the
/// arguments back.
pub const ECHO_CODE: &str = r#"
def _sig(v):
    if getattr(v, 'variant_level', 0) > 0:
        return 'v'
    if isinstance(v, dbus.Boolean): return 'b'
    if isinstance(v, dbus.Byte): return 'y'
    if isinstance(v, dbus.Int16): return 'n'
    if isinstance(v, dbus.UInt16): return 'q'
    if isinstance(v, dbus.Int32): return 'i'
    if isinstance(v, dbus.UInt32): return 'u'
    if isinstance(v, dbus.Int64): return 'x'
    if isinstance(v, dbus.UInt64): return 't'
    if isinstance(v, dbus.Double): return 'd'
    if isinstance(v, dbus.ObjectPath): return 'o'
    if isinstance(v, dbus.Signature): return 'g'
    if isinstance(v, dbus.String): return 's'
    if isinstance(v, dbus.Dictionary): return 'a{' + v.signature + '}'
    if isinstance(v, dbus.Array): return 'a' + v.signature
    if isinstance(v, dbus.Struct): return '(' + ''.join(_sig(x) for x in v) + ')'
    return '?' + type(v).__name__
globals()['_sig'] = _sig
ret = (''.join(_sig(a) for a in m_args),) + tuple(args)
"#;

/// Adds to the dbusmock object at `path` of `name` a method `method` taking `in_sig` that
/// replies `s` + `in_sig`: the wire signature received, then the arguments.
pub fn add_echo(
    conn: &Connection,
    name: &str,
    path: &str,
    iface: &str,
    method: &str,
    in_sig: &str,
) {
    let out_sig = format!("s{in_sig}");
    call_json(
        conn,
        json!({"destination": name, "path": path, "interface": "org.freedesktop.DBus.Mock",
               "method": "AddMethod", "signature": "sssss",
               "args": [iface, method, in_sig, out_sig, ECHO_CODE]}),
    )
    .expect("AddMethod");
}

/// A running `skypebus-skype-emulator` on a private bus, killed when dropped (or by [`stop`]).
///
/// [`stop`]: Emulator::stop
pub struct Emulator {
    child: Option<Child>,
    /// The emulator's unique name on the bus (from its `READY` line).
    pub unique_name: String,
}

impl Emulator {
    /// Starts the emulator on `bus` with extra command-line `args` and waits for `READY`.
    pub fn start(bus: &PrivateBus, args: &[&str]) -> Emulator {
        let program = std::env::var("SKYPEBUS_EMULATOR").unwrap_or_else(|_| {
            repo_root()
                .join("target/release/skypebus-skype-emulator")
                .display()
                .to_string()
        });
        let mut child = Command::new(&program)
            .args(["--address", &bus.address])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} (cargo build --release --bins): {e}")
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY line");
        let unique_name = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("the emulator said {line:?} instead of READY"))
            .to_owned();
        Emulator {
            child: Some(child),
            unique_name,
        }
    }

    /// Kills the emulator (as if Skype quit) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Calls a method of the emulator's control interface.
    pub fn control(conn: &Connection, method: &str, signature: &str, args: Value) -> Value {
        call_json(
            conn,
            json!({"destination": "com.Skype.API", "path": "/net/skypebus/SkypeEmulator",
                   "interface": "net.skypebus.SkypeEmulator", "method": method,
                   "signature": signature, "args": args}),
        )
        .unwrap_or_else(|e| panic!("emulator {method}: {e}"))
    }

    /// The emulator's transcript lines so far.
    pub fn transcript(conn: &Connection) -> Vec<String> {
        let v = Self::control(conn, "Transcript", "", json!([]));
        serde_json::from_value(v["data"][0].clone()).expect("a list of strings")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
pub mod hostile;
pub mod p2p;
