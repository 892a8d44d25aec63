<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Type\Fd;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * Over tcp the bus cannot pass descriptors: a call with an Fd argument, or whose reply the
 * peer's introspection data types "h", fails at once with net.skypebus.Error.FdPassingUnsupported,
 * on every way a call is made, and the peer never acted (logind took no inhibitor).
 */
final class FdTcpTest extends IntegrationTestCase
{
    use OverTcp;

    protected static function startPeers(PrivateBus $bus): void
    {
        FdTest::startFdPeers($bus);
    }

    private static function assertRefused(\Throwable $e): void
    {
        self::assertInstanceOf(SkypeBusException::class, $e);
        self::assertSame('net.skypebus.Error.FdPassingUnsupported', $e->getErrorName(), $e->getMessage());
        self::assertStringContainsString("'h'", $e->getMessage());
    }

    public function testCallsWithDescriptorsAreRefusedAtOnce(): void
    {
        $manager = [FdTest::LOGIND, '/org/freedesktop/login1', 'org.freedesktop.login1.Manager'];
        $inhibit = array_merge($manager, ['Inhibit', ['sleep', 'skypebus-php', 'over tcp', 'delay']]);
        $read = [FdTest::FDS, FdTest::FDS_PATH, FdTest::FDS, 'ReadFd', [Fd::fromPath('/dev/null')], 'h'];
        $started = microtime(true);
        foreach ([$inhibit, $read] as $request) {
            try {
                $this->bus->call(...$request);
                self::fail('a call with descriptors was sent over tcp');
            } catch (SkypeBusException $e) {
                self::assertRefused($e);
            }
            try {
                $this->bus->callAsync(...$request)->getResult();
                self::fail('an asynchronous call with descriptors was sent over tcp');
            } catch (SkypeBusException $e) {
                self::assertRefused($e);
            }
        }
        $results = $this->bus->callMany([$inhibit, $read]);
        self::assertRefused($results[0]);
        self::assertRefused($results[1]);
        self::assertLessThan(10.0, microtime(true) - $started, 'refused at once, no timeout');
        [$inhibitors] = $this->bus->call(...array_merge($manager, ['ListInhibitors']));
        self::assertSame([], $inhibitors, 'logind never acted');
    }
}
