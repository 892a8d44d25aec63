//! Gives the shared library its SONAME, `libskypebus.so.<ABI>`, so programs link against the ABI
//! version rather than an unversioned file. The ABI number is `abi` in `[package.metadata.skypebus]`
//! of Cargo.toml (the Makefile and the Debian packages read it there too).

use std::path::Path;

/// The `abi = N` line of the `[package.metadata.skypebus]` table.
fn abi_version(manifest: &str) -> Result<u32, String> {
    let mut in_table = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line == "[package.metadata.skypebus]";
        } else if in_table && let Some(value) = line.strip_prefix("abi") {
            let value = value.trim_start();
            if let Some(number) = value.strip_prefix('=') {
                let number = number.split('#').next().unwrap_or("").trim();
                return number
                    .parse()
                    .map_err(|_| format!("`abi = {number}` in Cargo.toml is not a number"));
            }
        }
    }
    Err("Cargo.toml has no `abi = N` in [package.metadata.skypebus]".to_owned())
}

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let manifest_path = Path::new(&manifest_dir).join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest_path.display()));
    let abi = abi_version(&manifest).unwrap_or_else(|e| panic!("{e}"));
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libskypebus.so.{abi}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Cargo.toml");
}
