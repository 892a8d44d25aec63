//! Serving: owning names, exporting objects, answering the calls they receive, and the
//! properties of exported objects.

use std::ffi::c_char;

use super::{
    Handle, boundary, non_null, opt_str_from_c, run, skypebus_connection, skypebus_error,
    str_from_c, write_out, write_string,
};
use crate::driver;
use crate::error::skypebus_result;
use crate::hub;
use crate::json;
use crate::serve;

/// Flags of `RequestName` (combine with `|`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, dead_code)] // constants for C only: no signature names them
pub enum skypebus_name_flag {
    /// Let another connection that asks with `SKYPEBUS_NAME_REPLACE_EXISTING` take the name.
    SKYPEBUS_NAME_ALLOW_REPLACEMENT = 1,
    /// Take the name from its owner if that owner allowed replacement.
    SKYPEBUS_NAME_REPLACE_EXISTING = 2,
    /// Do not wait in the queue when the name is owned: fail with `SKYPEBUS_NAME_EXISTS`.
    SKYPEBUS_NAME_DO_NOT_QUEUE = 4,
}

/// The bus' answers to `RequestName`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, dead_code)] // constants for C only
pub enum skypebus_request_name_reply {
    /// We are now the primary owner.
    SKYPEBUS_NAME_PRIMARY_OWNER = 1,
    /// The name is owned; we wait in its queue (a `name_acquired` event follows if we get it).
    SKYPEBUS_NAME_IN_QUEUE = 2,
    /// The name is owned and we asked not to queue.
    SKYPEBUS_NAME_EXISTS = 3,
    /// We already own the name.
    SKYPEBUS_NAME_ALREADY_OWNER = 4,
}

/// The bus' answers to `ReleaseName`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, dead_code)] // constants for C only
pub enum skypebus_release_name_reply {
    /// We owned or queued for the name and no longer do.
    SKYPEBUS_NAME_RELEASED = 1,
    /// Nobody owns the name.
    SKYPEBUS_NAME_NON_EXISTENT = 2,
    /// Someone else owns the name and we are not in its queue.
    SKYPEBUS_NAME_NOT_OWNER = 3,
}

/// Asks the bus for the well-known name `name` with `flags` (an OR of `skypebus_name_flag`
/// values, 0 for none) and writes the bus' answer, a `skypebus_request_name_reply` value, to
/// `*answer_out`: `SKYPEBUS_NAME_PRIMARY_OWNER` (1), `SKYPEBUS_NAME_IN_QUEUE` (2),
/// `SKYPEBUS_NAME_EXISTS` (3) or `SKYPEBUS_NAME_ALREADY_OWNER` (4). Only 1 and 4 mean the name
/// is ours now; getting it later, or losing it, comes as a `name_acquired`/`name_lost` event.
///
/// An invalid name gives `SKYPEBUS_INVALID_NAME`, unknown flag bits `SKYPEBUS_INVALID_REQUEST`,
/// a refusal by the bus (e.g. policy) `SKYPEBUS_DBUS_ERROR`. Not available on peer-to-peer
/// connections, nor on the shared handle of `skypebus_connection_open` (`SKYPEBUS_INVALID_REQUEST`:
/// use `skypebus_connection_open_private`). `name` is borrowed for the call; NULL `conn`, `name`
/// or `answer_out` gives `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_request_name(
    conn: *const skypebus_connection,
    name: *const c_char,
    flags: u32,
    answer_out: *mut u32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let name = str_from_c(name, "name")?;
        non_null(answer_out, "answer_out")?;
        let private = conn.private("owning a name")?;
        let answer = run(private, driver::request_name(private, name, flags))??;
        write_out(answer_out, answer);
        Ok(())
    })
}

/// Gives the well-known name `name` back to the bus (a `ReleaseName` sent to the bus driver
/// directly, whoever requested the name) and writes the bus' answer, a
/// `skypebus_release_name_reply` value, to `*answer_out`: `SKYPEBUS_NAME_RELEASED` (1),
/// `SKYPEBUS_NAME_NON_EXISTENT` (2) or `SKYPEBUS_NAME_NOT_OWNER` (3). `name` is borrowed for the
/// call; NULL `conn`, `name` or `answer_out` gives `SKYPEBUS_NULL_ARGUMENT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_release_name(
    conn: *const skypebus_connection,
    name: *const c_char,
    answer_out: *mut u32,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let name = str_from_c(name, "name")?;
        non_null(answer_out, "answer_out")?;
        let answer = run(&conn.inner, driver::release_name(&conn.inner, name))??;
        write_out(answer_out, answer);
        Ok(())
    })
}

/// Exports an object at `path` with the interfaces declared by `introspection_xml` (a
/// `<node>` document; nested nodes are ignored, and declarations of the standard `Peer`,
/// `Introspectable` and `Properties` interfaces are skipped because the library implements
/// them).
///
/// Only declared methods are callable, with exactly the declared names and in-signatures;
/// calls to them arrive as `call` events (`skypebus_next_event`). The library answers
/// `Introspect` (here and on parent paths), `Peer` methods, property reads and the standard
/// errors by itself, also while the application is busy.
///
/// `options_json` may be NULL, or an object with `variants` (`"typed"`: variants in call
/// events as `{"type","data"}`), `bytes` (`"base64"`: `ay` as base64 both in events and in
/// replies), `properties` (initial values: `{"<interface>": {"<property>": value}}`) and
/// `object_manager` (`true`: the object is an `org.freedesktop.DBus.ObjectManager` whose
/// `GetManagedObjects` the library answers with the objects exported below it; exporting and
/// unexporting an object below it emits `InterfacesAdded`/`InterfacesRemoved`).
///
/// Needs a private connection (`skypebus_connection_open_private`); on the shared handle of
/// `skypebus_connection_open` it gives `SKYPEBUS_INVALID_REQUEST`.
///
/// Exporting a path twice gives `SKYPEBUS_INVALID_REQUEST`; invalid XML
/// `SKYPEBUS_INVALID_REQUEST`; an invalid path `SKYPEBUS_INVALID_NAME`. The strings are borrowed
/// for the call (the library keeps its own copy of what it needs). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_export(
    conn: *const skypebus_connection,
    path: *const c_char,
    introspection_xml: *const c_char,
    options_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let path = str_from_c(path, "path")?;
        let xml = str_from_c(introspection_xml, "introspection_xml")?;
        let options = opt_str_from_c(options_json, "options_json")?;
        let private = conn.private("exporting an object")?;
        run(private, hub::export(private, path, xml, options))?
    })
}

/// Parses `introspection_xml` exactly as `skypebus_export` does and writes the schema it would
/// serve, as JSON, to `*schema_out`: a new string the caller frees with `skypebus_string_free`.
/// Needs no connection, so a binding can read the declared methods and properties (to bind them
/// to its handler) before exporting, without an XML parser of its own.
///
/// The JSON is `{"interfaces": [...]}`, each interface in the shape `skypebus_introspect` uses
/// (docs/introspection.md): `{"name", "methods": [{"name", "in_signature", "out_signature",
/// "in": [{"name", "type"}], "out": [...], "annotations"}], "properties": [{"name", "type",
/// "access", "emits_changed", "annotations"}], "signals": [{"name", "signature", "args",
/// "annotations"}], "annotations"}`, everything in XML order. `access` is `read`, `write` or
/// `readwrite`; `emits_changed` is the effective `EmitsChangedSignal` value (`true`,
/// `invalidates`, `const` or `false`); `annotations` is an object of name to value; an
/// argument's `name` is null where the XML gives none. The standard `Peer`, `Introspectable`
/// and `Properties` interfaces are left out and nested nodes ignored, as by `skypebus_export`.
///
/// XML that `skypebus_export` would refuse gives the same error (`SKYPEBUS_INVALID_REQUEST`);
/// NULL `introspection_xml` or `schema_out` gives `SKYPEBUS_NULL_ARGUMENT`. The string is
/// borrowed for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_export_schema(
    introspection_xml: *const c_char,
    schema_out: *mut *mut c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let xml = str_from_c(introspection_xml, "introspection_xml")?;
        non_null(schema_out, "schema_out")?;
        let out = serve::export_schema(xml)?;
        write_string(schema_out, out)?;
        Ok(())
    })
}

/// Stops exporting `path` (its stored property values go with it). Calls already received
/// keep their handles and can still be answered. A path not exported gives
/// `SKYPEBUS_INVALID_REQUEST`; NULL `conn` or `path` `SKYPEBUS_NULL_ARGUMENT`. `path` is borrowed
/// for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_unexport(
    conn: *const skypebus_connection,
    path: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let path = str_from_c(path, "path")?;
        run(&conn.inner, hub::unexport(&conn.inner, path))?
    })
}

/// Stores the value of property `name` of `interface` on the exported object `path`:
/// `value_json` is one JSON value, typed by the property's declared type (the typed form
/// `{"type","data"}` is accepted; a string is taken as base64 for `ay` when the export said
/// `"bytes": "base64"`). If the value changed, the library emits
/// `org.freedesktop.DBus.Properties.PropertiesChanged` as the property's `EmitsChangedSignal`
/// annotation says. Remote `Get`/`GetAll` are answered from these stored values.
///
/// Any declared property may be set locally, read-only ones included. An unknown path,
/// interface or property gives `SKYPEBUS_INVALID_REQUEST`; a value that does not fit,
/// `SKYPEBUS_TYPE_MISMATCH`; a NULL argument, `SKYPEBUS_NULL_ARGUMENT`. The strings are borrowed
/// for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_set_property(
    conn: *const skypebus_connection,
    path: *const c_char,
    interface: *const c_char,
    name: *const c_char,
    value_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let path = str_from_c(path, "path")?;
        let iface = str_from_c(interface, "interface")?;
        let name = str_from_c(name, "name")?;
        let value = json::parse_json_strict(str_from_c(value_json, "value_json")?)?;
        run(
            &conn.inner,
            hub::set_property(&conn.inner, path, iface, name, &value, None),
        )?
    })
}

/// Answers the call with handle `call` (from a `call` or `set_property` event) with return
/// values. `reply_json` is NULL (no values), a JSON array of the values, or
/// `{"args": [...], "bytes": "base64"}`; the values are typed by the method's declared out
/// signature. A `set_property` event is accepted with NULL (or `[]`): the value is stored and
/// `PropertiesChanged` emitted as declared. For a call sent with the no-reply flag nothing is
/// sent, but the handle is released all the same.
///
/// On success the handle is released. If the values do not fit (`SKYPEBUS_TYPE_MISMATCH`) or
/// the JSON is malformed, nothing is sent and the handle stays valid, so the application can
/// answer with `skypebus_reply_error` instead. An unknown handle (already answered, expired, or
/// released when the connection closed) gives `SKYPEBUS_INVALID_REQUEST`. The string is
/// borrowed for the call. Thread-safe; a handle may be answered from any thread, once.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_reply(
    conn: *const skypebus_connection,
    call: u64,
    reply_json: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let text = opt_str_from_c(reply_json, "reply_json")?;
        run(&conn.inner, hub::reply(&conn.inner, call, text))?
    })
}

/// Answers the call with handle `call` with the D-Bus error `error_name` (e.g.
/// `org.freedesktop.DBus.Error.InvalidArgs` or `com.example.Error.NotFound`) and the message
/// `message` (NULL: an empty message). The caller receives exactly this name and message.
///
/// On success the handle is released. An invalid error name gives `SKYPEBUS_INVALID_NAME` and
/// keeps the handle valid; an unknown handle gives `SKYPEBUS_INVALID_REQUEST`. The strings are
/// borrowed for the call. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn skypebus_reply_error(
    conn: *const skypebus_connection,
    call: u64,
    error_name: *const c_char,
    message: *const c_char,
    err: *mut *mut skypebus_error,
) -> skypebus_result {
    boundary!(err = err, {
        let conn = skypebus_connection::try_ref(conn, "conn")?;
        let name = str_from_c(error_name, "error_name")?;
        let text = opt_str_from_c(message, "message")?.unwrap_or("");
        run(&conn.inner, hub::reply_error(&conn.inner, call, name, text))?
    })
}
