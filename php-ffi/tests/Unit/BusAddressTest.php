<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\ConnectFailedException;
use SkypeBus\Internal\BusAddress;

/**
 * "session" and "system" read from the environment at each connect, and failures that name the
 * variable. The connects themselves: BusAddressConnectTest (child processes, no bus at all).
 */
final class BusAddressTest extends TestCase
{
    /** @var array<string, string|false> */
    private $saved = [];

    protected function setUp(): void
    {
        foreach (['DBUS_SESSION_BUS_ADDRESS', 'DBUS_SYSTEM_BUS_ADDRESS'] as $variable) {
            $this->saved[$variable] = getenv($variable);
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->saved as $variable => $value) {
            putenv($value === false ? $variable : "$variable=$value");
        }
    }

    public function testTheVariableIsReadAtEachConnect(): void
    {
        putenv('DBUS_SESSION_BUS_ADDRESS=unix:path=/tmp/first');
        self::assertSame('unix:path=/tmp/first', BusAddress::resolve('session')->address);
        putenv('DBUS_SESSION_BUS_ADDRESS=unix:path=/tmp/second');
        $second = BusAddress::resolve('session');
        self::assertSame('unix:path=/tmp/second', $second->address);
        self::assertSame('the address is DBUS_SESSION_BUS_ADDRESS="unix:path=/tmp/second"', $second->origin);
        putenv('DBUS_SYSTEM_BUS_ADDRESS=unix:path=/tmp/system');
        self::assertSame('unix:path=/tmp/system', BusAddress::resolve('system')->address);
    }

    public function testAnUnsetVariableIsNamed(): void
    {
        putenv('DBUS_SESSION_BUS_ADDRESS');
        $session = BusAddress::resolve('session');
        self::assertSame('session', $session->address);
        self::assertStringContainsString('DBUS_SESSION_BUS_ADDRESS is not set', (string) $session->origin);
        putenv('DBUS_SYSTEM_BUS_ADDRESS');
        $system = BusAddress::resolve('system');
        self::assertSame('system', $system->address);
        self::assertStringContainsString('DBUS_SYSTEM_BUS_ADDRESS is not set, so the system bus was looked for at /run/dbus/system_bus_socket', (string) $system->origin);
    }

    public function testAnEmptyVariableIsRefusedByName(): void
    {
        foreach (['session' => 'DBUS_SESSION_BUS_ADDRESS', 'system' => 'DBUS_SYSTEM_BUS_ADDRESS'] as $bus => $variable) {
            putenv("$variable=");
            try {
                BusAddress::resolve($bus);
                self::fail("an empty $variable was used");
            } catch (ConnectFailedException $e) {
                self::assertStringContainsString("$variable is set but empty", $e->getMessage());
                self::assertSame('net.skypebus.Error.ConnectFailed', $e->getErrorName());
                self::assertSame(11, $e->getCode());
            }
        }
    }

    public function testOtherAddressesAreLeftAlone(): void
    {
        $other = BusAddress::resolve('unix:path=/tmp/bus');
        self::assertSame('unix:path=/tmp/bus', $other->address);
        self::assertNull($other->origin);
    }
}
