//! The native zbus reference loop of the benchmarks: typed calls (`String`, `Vec<i32>` for `ai`,
//! `serde_bytes::ByteBuf` for `ay` (the fast form zbus offers for bytes),
//! `HashMap<String, OwnedVariant>` for `a{sv}`), one `block_on` per call on a Tokio runtime, the
//! way a synchronous program uses zbus. Speaks the bench driver's line protocol
//! (`<workload> <seconds>` in, one JSON line out).
//!
//!     skypebus-bench-zbus-client <address>
//!
//! SKYPEBUS_BENCH_ZBUS_RT=multi runs the calls on a multi-threaded runtime (worker threads read
//! the socket, the caller waits) instead of the default current-thread one (the caller's
//! block_on reads its own reply, as `zbus::block_on` does with the `tokio` feature).

use std::collections::HashMap;

use serde::Serialize;
use skypebus_bench_zbus as b;
use zbus::wire::DynamicDeserialize;
use zbus::{Connection, DynamicType, OwnedVariant};

struct Client {
    rt: tokio::runtime::Runtime,
    conn: Connection,
}

impl Client {
    /// One method call with a typed body and a typed reply.
    fn call<A, R>(
        &self,
        dest: &str,
        path: &str,
        iface: &str,
        method: &str,
        body: &A,
    ) -> Result<R, String>
    where
        A: Serialize + DynamicType,
        R: for<'d> DynamicDeserialize<'d>,
    {
        self.rt.block_on(async {
            let reply = self
                .conn
                .call_method(Some(dest), path, Some(iface), method, body)
                .await
                .map_err(|e| format!("{method}: {e}"))?;
            reply
                .body()
                .deserialize::<R>()
                .map_err(|e| format!("{method} reply: {e}"))
        })
    }

    /// An echo through a service: the reply must equal the argument on the checked call.
    fn echo<T>(&self, service: &str, method: &str, value: &T, check: bool) -> Result<u64, String>
    where
        T: Serialize + zbus::Type + PartialEq + for<'d> DynamicDeserialize<'d>,
    {
        let back: T = self.call(service, b::PATH, b::INTERFACE, method, &(value,))?;
        if check && back != *value {
            return Err(format!(
                "{method} through {service}: the reply differs from the argument"
            ));
        }
        Ok(1)
    }

    fn run(&self, workload: &str, seconds: f64) -> String {
        let (zs, ps) = (b::ZBUS_SERVICE, b::PYTHON_SERVICE);
        match workload {
            "ping" => b::measure(workload, seconds, |_| {
                self.call::<_, ()>(
                    "org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.Peer",
                    "Ping",
                    &(),
                )
                .map(|()| 1)
            }),
            "echo" => {
                let s = b::ECHO_TEXT.to_string();
                b::measure(workload, seconds, |c| self.echo(zs, "Echo", &s, c))
            }
            "echo_py" => {
                let s = b::ECHO_TEXT.to_string();
                b::measure(workload, seconds, |c| self.echo(ps, "Echo", &s, c))
            }
            "dict20" => {
                let d: HashMap<String, OwnedVariant> = b::dict(20);
                b::measure(workload, seconds, |c| self.echo(zs, "EchoDict", &d, c))
            }
            "ai100k" => {
                let a = b::ints(100_000);
                b::measure(workload, seconds, |c| self.echo(zs, "EchoAi", &a, c))
            }
            "ay1m" => {
                let a = serde_bytes::ByteBuf::from(b::bytes(1 << 20));
                b::measure(workload, seconds, |c| self.echo(zs, "EchoAy", &a, c))
            }
            "struct" => {
                let s = b::bench_struct();
                b::measure(workload, seconds, |c| self.echo(zs, "EchoStruct", &s, c))
            }
            _ => format!(
                "{{\"workload\":\"{workload}\",\"skip\":\"not a workload of this client\"}}"
            ),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .ok_or("usage: skypebus-bench-zbus-client <address>")?;
    let multi = std::env::var("SKYPEBUS_BENCH_ZBUS_RT").as_deref() == Ok("multi");
    let rt = if multi {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    let conn = rt.block_on(zbus::connection::Builder::address(address.as_str()).build())?;
    let client = Client { rt, conn };
    let flavor = if multi {
        "multi_thread"
    } else {
        "current_thread"
    };
    b::serve_driver(&format!("\"runtime\":\"tokio {flavor}\""), |w, s| {
        client.run(w, s)
    });
    Ok(())
}
