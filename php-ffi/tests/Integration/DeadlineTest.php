<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\Exception\TimeoutException;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * One deadline per call: the "timeout" option covers reading the peer's introspection data
 * (by the proxy and by the library) and the call itself, not each round trip on its own.
 *
 * The peer answers Introspect and Echo each after 300 ms: with a timeout of 0.5 s, each round
 * trip alone would fit, the two together cannot (no timing is asserted, only which it is).
 */
final class DeadlineTest extends IntegrationTestCase
{
    private const SLOW = 'net.skypebus.Test.Slow';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startService('slow_service.py', self::SLOW, [self::SLOW, '300']);
    }

    /** A connection of its own, so that no introspection data is cached from another test. */
    private function fresh(): Bus
    {
        return Bus::connectPrivate(static::$private->address());
    }

    public function testThePeerAnswersWithinALongerTimeout(): void
    {
        $bus = $this->fresh();
        self::assertSame(7, $bus->proxy(self::SLOW, '/a', null, ['timeout' => 5.0])->Echo(7));
        self::assertSame([8], $bus->call(self::SLOW, '/b', self::SLOW, 'Echo', [8], null, ['timeout' => 5.0]));
        $bus->close();
    }

    /**
     * @return array<string, array{0: callable(Bus): mixed}>
     */
    public function introspectingCalls(): array
    {
        return [
            'proxy without interface' => [static function (Bus $bus) {
                return $bus->proxy(self::SLOW, '/c', null, ['timeout' => 0.5])->Echo(1);
            }],
            'proxy with interface' => [static function (Bus $bus) {
                return $bus->proxy(self::SLOW, '/d', self::SLOW, ['timeout' => 0.5])->Echo(1);
            }],
            'call without signature' => [static function (Bus $bus) {
                return $bus->call(self::SLOW, '/e', self::SLOW, 'Echo', [1], null, ['timeout' => 0.5]);
            }],
            'callMany without signature' => [static function (Bus $bus) {
                $result = $bus->callMany([[self::SLOW, '/f', self::SLOW, 'Echo', [1], null, ['timeout' => 0.5]]])[0];
                if ($result instanceof \Throwable) {
                    throw $result;
                }
                return $result;
            }],
        ];
    }

    /**
     * @dataProvider introspectingCalls
     * @param callable(Bus): mixed $call
     */
    public function testIntrospectionAndCallShareTheTimeout(callable $call): void
    {
        $bus = $this->fresh();
        try {
            $result = $call($bus);
            self::fail('the call got its own timeout after the introspection: ' . json_encode($result));
        } catch (TimeoutException $e) {
            self::assertSame(2, $e->getCode());
            self::assertStringContainsString('500 ms', $e->getMessage());
        } finally {
            $bus->close();
        }
    }
}
