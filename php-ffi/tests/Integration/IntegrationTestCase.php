<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use PHPUnit\Framework\TestCase;
use SkypeBus\Bus;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * Base of the tests that use libskypebus through FFI: one private dbus-daemon per test class
 * (with the peers the class starts in startPeers()), one connection of ours per test.
 */
abstract class IntegrationTestCase extends TestCase
{
    /** @var PrivateBus|null */
    protected static $private;

    /** @var Bus */
    protected $bus;

    public static function setUpBeforeClass(): void
    {
        static::$private = PrivateBus::start();
        static::startPeers(static::$private);
    }

    public static function tearDownAfterClass(): void
    {
        if (static::$private !== null) {
            static::$private->stop();
            static::$private = null;
        }
    }

    /** Starts the peers the tests of the class talk to. */
    protected static function startPeers(PrivateBus $bus): void
    {
    }

    protected function setUp(): void
    {
        $this->bus = static::$private->connect();
    }

    protected function tearDown(): void
    {
        $this->bus->close();
    }

    /**
     * A call to the bus driver.
     *
     * @param list<mixed> $args
     * @return list<mixed>
     */
    protected function driver(string $method, array $args = [], ?string $signature = null): array
    {
        return $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', $method, $args, $signature);
    }
}
