<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Support;

use SkypeBus\Bus;

/**
 * An echo peer built on dbusmock: methods added with org.freedesktop.DBus.Mock.AddMethod that
 * reply with the wire signature of the message they received, then the arguments themselves.
 *
 * dbusmock converts incoming arguments to the declared signature before the method code runs,
 * so echoing `args` alone cannot show which types were sent. The code reads the raw dbus-python
 * values (`m_args`, which carry their D-Bus types) and rebuilds the signature from them.
 */
final class EchoPeer
{
    public const NAME = 'net.skypebus.Test.Echo';
    public const PATH = '/net/skypebus/Test/Echo';
    public const INTERFACE = 'net.skypebus.Test.Echo';

    private const CODE = <<<'PY'
def _wire(v):
    if getattr(v, 'variant_level', 0) > 0:
        return 'v'
    for cls, code in ((dbus.Boolean, 'b'), (dbus.Byte, 'y'), (dbus.Int16, 'n'), (dbus.UInt16, 'q'),
                      (dbus.Int32, 'i'), (dbus.UInt32, 'u'), (dbus.Int64, 'x'), (dbus.UInt64, 't'),
                      (dbus.Double, 'd'), (dbus.ObjectPath, 'o'), (dbus.Signature, 'g'), (dbus.String, 's')):
        if isinstance(v, cls):
            return code
    if isinstance(v, dbus.Dictionary):
        return 'a{' + v.signature + '}'
    if isinstance(v, dbus.Array):
        return 'a' + v.signature
    if isinstance(v, dbus.Struct):
        return '(' + ''.join(_wire(x) for x in v) + ')'
    raise dbus.exceptions.DBusException('unexpected ' + type(v).__name__, name='net.skypebus.Test.Error')
globals()['_wire'] = _wire
ret = (''.join(_wire(a) for a in m_args),) + tuple(m_args)
PY;

    /** @var array<string, true> methods added, per bus address */
    private static $added = [];

    /** Starts the echo peer on the bus. */
    public static function start(PrivateBus $bus): void
    {
        $bus->startMock(self::NAME, self::PATH, self::INTERFACE);
    }

    /**
     * The name of an echo method taking $signature (added on first use). It replies with
     * "s" . $signature: the wire signature it received, then the arguments unchanged.
     */
    public static function method(Bus $bus, PrivateBus $private, string $signature): string
    {
        $method = 'Echo_' . bin2hex($signature);
        $key = $private->address() . ' ' . $method;
        if (!isset(self::$added[$key])) {
            $bus->call(
                self::NAME,
                self::PATH,
                'org.freedesktop.DBus.Mock',
                'AddMethod',
                [self::INTERFACE, $method, $signature, 's' . $signature, self::CODE],
                'sssss'
            );
            self::$added[$key] = true;
        }
        return $method;
    }
}
