//! Gives the shared library its SONAME, `libskypebus.so.<ABI>`, so programs link against the ABI
//! version rather than an unversioned file.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libskypebus.so.0");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
