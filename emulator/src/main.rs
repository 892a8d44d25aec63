//! `skypebus-skype-emulator`: the Skype desktop API on D-Bus, without Skype.
//!
//! Owns `com.Skype.API`, answers `com.Skype.API.Invoke(s) -> s` on `/com/Skype` and calls
//! `com.Skype.API.Client.Notify(s)` on the clients' `/com/Skype/Client`, following
//! `docs/skype-protocol.md`. See `docs/skype-emulator.md`.
//!
//! Modules: [`protocol`] (the pure protocol state machine), [`objects`] (object tree,
//! introspection, call routing), [`transcript`], [`cli`], and [`bus`] (the D-Bus glue).

mod bus;
mod cli;
mod objects;
mod protocol;
mod transcript;

use std::process::ExitCode;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use zbus::MessageStream;
use zbus::fdo::RequestNameFlags;

const PROG: &str = "skypebus-skype-emulator";

fn main() -> ExitCode {
    let opts = match cli::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{PROG}: {e}");
            return ExitCode::from(2);
        }
    };
    if opts.help {
        print!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    if opts.version {
        println!("{PROG} {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{PROG}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{PROG}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_ready_file(path: &std::path::Path, line: &str) -> std::io::Result<()> {
    // Write beside it and rename, so a reader never sees a partial file.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, format!("{line}\n"))?;
    std::fs::rename(&tmp, path)
}

async fn run(opts: cli::Options) -> Result<(), String> {
    // Handlers first: a signal that arrives as soon as READY is out must still end us cleanly.
    let mut sigterm = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let builder = match (&opts.address, opts.system) {
        (Some(a), _) => zbus::connection::Builder::address(a.as_str()),
        (None, true) => zbus::connection::Builder::system(),
        (None, false) => zbus::connection::Builder::session(),
    };
    let conn = builder
        .max_queued(std::num::NonZeroUsize::new(4096).expect("non-zero"))
        .build()
        .await
        .map_err(|e| format!("cannot connect to the bus: {e}"))?;
    let unique = conn
        .unique_name()
        .map(|n| n.to_string())
        .unwrap_or_default();

    // The stream exists before anything can be sent to us, so no call is missed.
    let stream = MessageStream::from(&conn);
    bus::watch_name_owners(&conn)
        .await
        .map_err(|e| format!("cannot watch NameOwnerChanged: {e}"))?;

    let transcript = transcript::Transcript::open(opts.transcript.as_deref())
        .map_err(|e| format!("cannot open the transcript file: {e}"))?;
    let emu = protocol::Emulator::new(opts.config.clone());
    let shared = bus::Shared::new(conn.clone(), emu, transcript);

    match conn
        .request_name_with_flags(bus::NAME, RequestNameFlags::DO_NOT_QUEUE)
        .await
    {
        Ok(_) => {}
        Err(zbus::Error::NameTaken) => {
            let owner = bus::name_owner(&conn, bus::NAME)
                .await
                .unwrap_or_else(|| "another connection".into());
            return Err(format!(
                "{} is already owned by {owner}; is Skype or another emulator running?",
                bus::NAME
            ));
        }
        Err(e) => return Err(format!("cannot own {}: {e}", bus::NAME)),
    }

    // The file first, so whoever sees the stdout line also finds the file.
    let ready = format!("READY {unique}");
    if let Some(path) = &opts.ready_file {
        write_ready_file(path, &ready).map_err(|e| format!("cannot write the ready file: {e}"))?;
    }
    println!("{ready}");

    let idle_limit = opts.exit_when_idle_ms.map(Duration::from_millis);
    let idle_watch = {
        let shared = shared.clone();
        async move {
            let Some(limit) = idle_limit else {
                return std::future::pending::<()>().await;
            };
            loop {
                let idle = shared.idle_for();
                if idle >= limit {
                    return;
                }
                tokio::time::sleep(limit - idle).await;
            }
        }
    };

    let mut bus_closed = false;
    tokio::select! {
        quit = bus::serve(shared.clone(), stream) => bus_closed = !quit,
        _ = sigterm.recv() => {},
        _ = sigint.recv() => {},
        _ = idle_watch => {},
    }
    if bus_closed {
        return Err("the bus connection closed".into());
    }
    // Send what is queued, then give the name back.
    shared.drain(Duration::from_secs(1)).await;
    let _ = conn.release_name(bus::NAME).await;
    Ok(())
}
