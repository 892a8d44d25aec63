<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Tests\Support\ServedObject;

/**
 * When the bus dies under a serving, subscribed Bus: the signals queued before the loss are
 * still taken, then the wait throws DisconnectedException instead of waiting forever.
 */
final class LostBusTest extends IntegrationTestCase
{
    public function testWaitsThrowOnceTheBusIsGone(): void
    {
        $this->bus->export(ServedObject::PATH, new ServedObject(), ServedObject::xml());
        $this->bus->subscribe(['interface' => 'net.skypebus.Test.Lost']);
        $this->bus->emit('/x', 'net.skypebus.Test.Lost', 'Before');
        usleep(200000);
        self::assertFalse($this->bus->isClosed());
        static::$private->killDaemon();
        usleep(200000);
        $signal = $this->bus->nextSignal(1.0);
        self::assertNotNull($signal, 'a signal queued before the loss is still there');
        self::assertSame('Before', $signal->getMember());
        $start = microtime(true);
        try {
            foreach ($this->bus->signals() as $unused) {
                self::fail('a signal after the loss');
            }
            self::fail('signals() ended without an exception');
        } catch (DisconnectedException $e) {
            self::assertSame('net.skypebus.Error.Disconnected', $e->getErrorName());
        }
        self::assertLessThan(1.0, microtime(true) - $start);
        self::assertTrue($this->bus->isClosed(), 'isClosed() once the bus is gone');
        $this->expectException(DisconnectedException::class);
        $this->bus->serve(1.0);
    }
}
