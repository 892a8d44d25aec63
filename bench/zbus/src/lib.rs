//! What the native zbus echo service and the native client loop share: names, payloads, the
//! line protocol of the bench driver and the measuring loop. The payloads are the ones every
//! client of the bench sends (bench/README.md, "Workloads").

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

use zbus::{OwnedVariant, Variant};

/// Well-known name of the native zbus echo service.
pub const ZBUS_SERVICE: &str = "net.skypebus.Bench.Zbus";
/// Well-known name of the dbus-python echo service.
pub const PYTHON_SERVICE: &str = "net.skypebus.Bench.Python";
/// Object path and interface of both echo services.
pub const PATH: &str = "/net/skypebus/Bench";
pub const INTERFACE: &str = "net.skypebus.Bench";

/// The small string of the `echo` workloads.
pub const ECHO_TEXT: &str = "Hello from the skypebus bench";

/// `a{sv}` with `n` entries: `keyNN` => "value NN" (s) for even NN, NN (i) for odd NN.
pub fn dict(n: usize) -> HashMap<String, OwnedVariant> {
    (0..n)
        .map(|i| {
            let v: Variant<'static> = if i % 2 == 0 {
                Variant::from(format!("value {i:02}"))
            } else {
                Variant::from(i as i32)
            };
            (
                format!("key{i:02}"),
                OwnedVariant::try_from(v).expect("plain value"),
            )
        })
        .collect()
}

/// The `ai` payload: 0 .. n-1.
pub fn ints(n: usize) -> Vec<i32> {
    (0..n as i32).collect()
}

/// The `ay` payload: byte i is i % 256.
pub fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 256) as u8).collect()
}

/// The `(sa{sv}as)` payload.
pub type BenchStruct = (String, HashMap<String, OwnedVariant>, Vec<String>);

pub fn bench_struct() -> BenchStruct {
    (
        "bench-struct".to_string(),
        dict(5),
        (0..10).map(|i| format!("item{i}")).collect(),
    )
}

/// Client CPU time (user + system, all threads) of this process, in seconds.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct we pass.
    let ru = unsafe {
        let mut ru = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// One measurement: a short warm-up (its first result checked by `op` itself when `check` is
/// true), then `op` repeated until `seconds` have passed (at least 3 times). `op` returns the
/// number of D-Bus calls it made. Prints the driver's JSON result line.
pub fn measure(
    workload: &str,
    seconds: f64,
    mut op: impl FnMut(bool) -> Result<u64, String>,
) -> String {
    let mut run = || -> Result<String, String> {
        let start = Instant::now();
        op(true)?;
        while start.elapsed().as_secs_f64() < seconds.min(1.0) / 10.0 {
            op(false)?;
        }
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let (mut calls, mut ops) = (0u64, 0u64);
        while ops < 3 || t0.elapsed().as_secs_f64() < seconds {
            calls += op(false)?;
            ops += 1;
        }
        let (dt, dc) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        Ok(format!(
            "{{\"workload\":\"{workload}\",\"calls\":{calls},\"seconds\":{dt:.6},\"cpu_seconds\":{dc:.6}}}"
        ))
    };
    run().unwrap_or_else(|e| {
        format!(
            "{{\"workload\":\"{workload}\",\"error\":{}}}",
            json_string(&e)
        )
    })
}

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The driver's line protocol: a `{"ready": ...}` line, then for each `<workload> <seconds>`
/// line on stdin one JSON result line; ends at EOF.
pub fn serve_driver(info: &str, mut run: impl FnMut(&str, f64) -> String) {
    let stdout = std::io::stdout();
    writeln!(stdout.lock(), "{{\"ready\":true,{info}}}").unwrap();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let mut words = line.split_whitespace();
        let (Some(workload), Some(seconds)) = (words.next(), words.next()) else {
            continue;
        };
        let seconds: f64 = seconds.parse().expect("seconds");
        let result = run(workload, seconds);
        let mut out = stdout.lock();
        writeln!(out, "{result}").unwrap();
        out.flush().unwrap();
    }
}
