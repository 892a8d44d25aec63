//! D-Bus type signatures (filled in by the codec work).
