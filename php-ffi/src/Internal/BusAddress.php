<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\ConnectFailedException;

/**
 * "session" and "system" as the addresses they stand for, read from the environment on every
 * connect: so that a Bus::session() after putenv() of a new DBUS_SESSION_BUS_ADDRESS reaches
 * the new bus (the library shares connections by address), and so that a failure names the
 * variable that decided where to connect. Pure PHP.
 *
 * @internal
 */
final class BusAddress
{
    /** The variable of each well-known bus, and where the bus is without it. */
    private const BUSES = [
        'session' => ['DBUS_SESSION_BUS_ADDRESS', '$XDG_RUNTIME_DIR/bus'],
        'system' => ['DBUS_SYSTEM_BUS_ADDRESS', '/run/dbus/system_bus_socket'],
    ];

    /** @var string what to hand the library */
    public $address;

    /** @var string|null where the address came from, for the message of a failure */
    public $origin;

    private function __construct(string $address, ?string $origin)
    {
        $this->address = $address;
        $this->origin = $origin;
    }

    /**
     * @throws ConnectFailedException when the variable is set but empty
     */
    public static function resolve(string $address): self
    {
        if (!isset(self::BUSES[$address])) {
            return new self($address, null);
        }
        [$variable, $default] = self::BUSES[$address];
        $value = getenv($variable);
        if ($value === false) {
            return new self($address, sprintf(
                '%s is not set, so the %s bus was looked for at %s; set %s to the bus address '
                . '(under cron, systemd units and containers it is often missing), or use Bus::connect($address)',
                $variable,
                $address,
                $default,
                $variable
            ));
        }
        if (trim($value) === '') {
            throw Errors::connectFailed(sprintf(
                'cannot connect to the %s bus: %s is set but empty; set it to the bus address '
                . '(for example unix:path=/run/user/%d/bus) or unset it',
                $address,
                $variable,
                function_exists('posix_getuid') ? posix_getuid() : 1000
            ));
        }
        return new self($value, sprintf('the address is %s="%s"', $variable, $value));
    }
}
