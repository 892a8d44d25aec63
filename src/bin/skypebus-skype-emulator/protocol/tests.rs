use super::*;

#[test]
fn handshake_smoke() {
    let mut e = Emulator::new(Config::default());
    let a = e.invoke(":1.1", "NAME php", 0);
    assert_eq!(a[0], Action::Reply("OK".into()));
}
