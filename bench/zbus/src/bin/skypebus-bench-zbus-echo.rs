//! The native zbus echo service of the benchmarks: owns `net.skypebus.Bench.Zbus` on the bus at
//! the address given, serves `net.skypebus.Bench` at `/net/skypebus/Bench`, prints READY and runs
//! until killed. Every method returns its argument, decoded into and encoded from Rust types
//! (`ay` as `serde_bytes::ByteBuf`).
//!
//!     skypebus-bench-zbus-echo <address>

use std::collections::HashMap;

use serde_bytes::ByteBuf;
use skypebus_bench_zbus::{BenchStruct, INTERFACE, PATH, ZBUS_SERVICE};
use zbus::{OwnedVariant, interface};

struct Echo;

#[interface(name = "net.skypebus.Bench")]
impl Echo {
    fn echo(&self, s: String) -> String {
        s
    }

    fn echo_ai(&self, a: Vec<i32>) -> Vec<i32> {
        a
    }

    // serde_bytes: `ay` as one block of bytes, not a million serde calls of one byte each.
    fn echo_ay(&self, a: ByteBuf) -> ByteBuf {
        a
    }

    fn echo_dict(&self, d: HashMap<String, OwnedVariant>) -> HashMap<String, OwnedVariant> {
        d
    }

    // A one-element tuple: the reply is the struct `(sa{sv}as)`, not three arguments.
    fn echo_struct(&self, s: BenchStruct) -> (BenchStruct,) {
        (s,)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .ok_or("usage: skypebus-bench-zbus-echo <address>")?;
    assert_eq!(INTERFACE, "net.skypebus.Bench");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let _conn = zbus::connection::Builder::address(address.as_str())
            .name(ZBUS_SERVICE)
            .serve_at(PATH, Echo)
            .build()
            .await?;
        println!("READY");
        std::future::pending::<()>().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
