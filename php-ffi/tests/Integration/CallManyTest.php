<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\ServiceUnknownException;
use SkypeBus\Exception\TimeoutException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Tests\Support\EchoPeer;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\UInt64;
use SkypeBus\Type\Variant;

/**
 * Bus::callMany(): pipelined calls, results in order, an exception object in place of each
 * failed call, the same values and exceptions as call().
 */
class CallManyTest extends IntegrationTestCase
{
    private const DBUS = 'org.freedesktop.DBus';
    private const DBUS_PATH = '/org/freedesktop/DBus';
    private const TYPED = 'net.skypebus.Test.Typed';
    private const TYPED_PATH = '/net/skypebus/Test/Typed';

    protected static function startPeers(PrivateBus $bus): void
    {
        EchoPeer::start($bus);
        $bus->startService('typed_service.py', self::TYPED);
    }

    public function testHundredCallsInOrderWithAnExceptionInPlaceOfTheFailedOne(): void
    {
        $requests = [];
        for ($i = 0; $i < 100; $i++) {
            $requests[] = $i === 37
                ? ['destination' => self::DBUS, 'path' => self::DBUS_PATH, 'interface' => self::DBUS, 'method' => 'GetNameOwner', 'args' => ['net.skypebus.Test.Nobody']]
                : ['destination' => self::TYPED, 'path' => self::TYPED_PATH, 'interface' => self::TYPED, 'method' => 'Sum', 'args' => [$i, 1000]];
        }
        $results = $this->bus->callMany($requests);
        self::assertSame(range(0, 99), array_keys($results));
        foreach ($results as $i => $result) {
            if ($i === 37) {
                self::assertInstanceOf(ServiceUnknownException::class, $result);
                self::assertSame('org.freedesktop.DBus.Error.NameHasNoOwner', $result->getErrorName());
                self::assertSame(1, $result->getCode());
                continue;
            }
            self::assertSame([$i + 1000], $result, "result $i");
        }
    }

    public function testResultsAreWhatCallGivesAndThrows(): void
    {
        $echo = EchoPeer::method($this->bus, static::$private, 'aytva{sv}d');
        $args = [new Bytes("\x00\xff"), new UInt64('18446744073709551615'), new Variant('u', 5), ['k' => new Bytes("\x01")], NAN];
        $requests = [
            'echo' => [EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $echo, $args, 'aytva{sv}d'],
            'typed' => [EchoPeer::NAME, EchoPeer::PATH, EchoPeer::INTERFACE, $echo, $args, 'aytva{sv}d', ['variants' => 'typed']],
            'unknown' => [self::TYPED, self::TYPED_PATH, self::TYPED, 'NoSuchMethod'],
            'error' => ['destination' => self::TYPED, 'path' => self::TYPED_PATH, 'interface' => self::TYPED, 'method' => 'Fail', 'args' => ['com.example.Error.Mine', 'mine']],
            'timeout' => ['destination' => self::TYPED, 'path' => self::TYPED_PATH, 'interface' => self::TYPED, 'method' => 'Hang', 'options' => ['timeout' => 0.3]],
            'pair' => ['destination' => self::TYPED, 'path' => self::TYPED_PATH, 'interface' => self::TYPED, 'method' => 'Pair'],
            'noReply' => ['destination' => self::TYPED, 'path' => self::TYPED_PATH, 'interface' => self::TYPED, 'method' => 'Touch', 'options' => ['noReply' => true]],
            'badValue' => [self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [null, 1]],
            'badSignature' => [self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [1, 2], 'u'],
            'badOption' => [self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [1, 2], null, ['retries' => 3]],
            'mismatch' => [self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', ['x', 'y']],
        ];
        $start = microtime(true);
        $results = $this->bus->callMany($requests);
        self::assertLessThan(5.0, microtime(true) - $start, 'the hanging call times out on its own');
        self::assertSame(array_keys($requests), array_keys($results));

        foreach (['echo', 'typed', 'pair'] as $key) {
            $expected = $this->bus->call(...$requests[$key]);
            if ($key === 'pair') {
                $expected = $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Pair');
            }
            self::assertEquals($this->comparable($expected), $this->comparable($results[$key]), $key);
        }
        self::assertSame('aytva{sv}d', $results['echo'][0]);
        self::assertSame("\x00\xff", $results['echo'][1]);
        self::assertSame('18446744073709551615', $results['echo'][2]);
        self::assertSame(5, $results['echo'][3]);
        self::assertInstanceOf(Variant::class, $results['typed'][3]);
        self::assertSame(['two', 2], $results['pair']);
        self::assertSame([], $results['noReply']);

        foreach (['unknown', 'error', 'timeout', 'badValue', 'badSignature', 'badOption', 'mismatch'] as $key) {
            $request = $requests[$key];
            $thrown = null;
            try {
                isset($request['method'])
                    ? $this->bus->call($request['destination'], $request['path'], $request['interface'], $request['method'], $request['args'] ?? [], null, $request['options'] ?? [])
                    : $this->bus->call(...$request);
            } catch (\Throwable $e) {
                $thrown = $e;
            }
            self::assertNotNull($thrown, "call() did not throw for $key");
            self::assertInstanceOf(\Throwable::class, $results[$key], $key);
            self::assertSame(get_class($thrown), get_class($results[$key]), $key);
            self::assertSame($thrown->getErrorName(), $results[$key]->getErrorName(), $key);
            self::assertSame($thrown->getCode(), $results[$key]->getCode(), $key);
        }
        self::assertInstanceOf(UnknownMethodException::class, $results['unknown']);
        self::assertSame('com.example.Error.Mine', $results['error']->getErrorName());
        self::assertSame('mine', $results['error']->getMessage());
        self::assertInstanceOf(TimeoutException::class, $results['timeout']);
        self::assertInstanceOf(InvalidArgumentException::class, $results['badValue']);
        // Values that do not fit the peer's introspection data: the peer's contract refuses them.
        self::assertInstanceOf(\SkypeBus\Exception\InvalidArgsException::class, $results['mismatch']);
    }

    /**
     * NAN != NAN: a form of the values assertEquals can compare.
     *
     * @param mixed $values
     * @return mixed
     */
    private function comparable($values)
    {
        return json_decode(json_encode($values, JSON_PARTIAL_OUTPUT_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE), true);
    }

    public function testManyInFlightAndTheBound(): void
    {
        $requests = array_fill(0, 300, [self::DBUS, self::DBUS_PATH, 'org.freedesktop.DBus.Peer', 'Ping']);
        self::assertSame(array_fill(0, 300, []), $this->bus->callMany($requests));
        self::assertSame(array_fill(0, 300, []), $this->bus->callMany($requests, ['maxInFlight' => 1]));
        self::assertSame([], $this->bus->callMany([]));
        // Calls that hang: with two in flight at a time, four calls of 0.3 s take about 0.6 s.
        $hang = ['destination' => self::TYPED, 'path' => self::TYPED_PATH, 'interface' => self::TYPED, 'method' => 'Hang', 'options' => ['timeout' => 0.3]];
        $start = microtime(true);
        $results = $this->bus->callMany([$hang, $hang, $hang, $hang], ['maxInFlight' => 2]);
        $elapsed = microtime(true) - $start;
        self::assertContainsOnlyInstancesOf(TimeoutException::class, $results);
        self::assertGreaterThanOrEqual(0.59, $elapsed);
        self::assertLessThan(1.2, $elapsed);
    }

    /**
     * @return array<string, array{0: array<int|string, mixed>, 1: array<string, mixed>, 2: string}>
     */
    public function malformedBatches(): array
    {
        $ping = [self::DBUS, self::DBUS_PATH, 'org.freedesktop.DBus.Peer', 'Ping'];
        return [
            'not an array' => [[$ping, 'Ping'], [], 'request 1 must be an array'],
            'short list' => [[['/path', 'Ping']], [], "call()'s arguments"],
            'unknown key' => [[['path' => '/', 'method' => 'Ping', 'reply' => true]], [], 'unknown key "reply"'],
            'no method' => [[['path' => '/']], [], 'needs "method"'],
            'args not an array' => [[['path' => '/', 'method' => 'M', 'args' => 'x']], [], '"args" of request 0 must be an array'],
            'interface not a string' => [[['path' => '/', 'method' => 'M', 'interface' => 5]], [], '"interface" of request 0'],
            'bad option' => [[$ping], ['max' => 2], 'Unknown callMany option "max"'],
            'bad maxInFlight' => [[$ping], ['maxInFlight' => 0], 'maxInFlight'],
        ];
    }

    /**
     * @dataProvider malformedBatches
     * @param array<int|string, mixed> $requests
     * @param array<string, mixed> $options
     */
    public function testAMalformedBatchThrowsBeforeSending(array $requests, array $options, string $message): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        $this->bus->callMany($requests, $options);
    }

    public function testClosedBusThrows(): void
    {
        $this->bus->close();
        $this->expectException(DisconnectedException::class);
        $this->bus->callMany([[self::DBUS, self::DBUS_PATH, 'org.freedesktop.DBus.Peer', 'Ping']]);
    }
}
