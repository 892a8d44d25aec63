//! The JSON <-> D-Bus value mapping (filled in by the codec work).
