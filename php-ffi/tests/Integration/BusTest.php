<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Library;
use SkypeBus\PreparedCall;
use SkypeBus\Proxy;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Type\UInt32;
use SkypeBus\Type\Variant;

/**
 * Every public method of Bus (and of Library) on the private bus.
 */
final class BusTest extends IntegrationTestCase
{
    private const TYPED = 'net.skypebus.Test.Typed';
    private const TYPED_PATH = '/net/skypebus/Test/Typed';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startService('typed_service.py', self::TYPED);
    }

    private function busId(Bus $bus): string
    {
        return $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId')[0];
    }

    public function testLibrary(): void
    {
        self::assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', Library::version());
        self::assertSame(Library::ABI_VERSION, Library::abiVersion());
        self::assertNotSame('', Library::origin());
    }

    /**
     * @return array<string, array{0: string, 1: string}>
     */
    public function wellKnownBuses(): array
    {
        return ['session' => ['session', 'DBUS_SESSION_BUS_ADDRESS'], 'system' => ['system', 'DBUS_SYSTEM_BUS_ADDRESS']];
    }

    /**
     * Bus::session() and Bus::system() follow the environment, here pointed at the private bus.
     *
     * @dataProvider wellKnownBuses
     */
    public function testSessionAndSystem(string $which, string $variable): void
    {
        $previous = getenv($variable);
        putenv($variable . '=' . static::$private->address());
        try {
            $bus = $which === 'session' ? Bus::session() : Bus::system();
            self::assertSame($this->busId($this->bus), $this->busId($bus));
            $bus->close();
        } finally {
            putenv($previous === false ? $variable : $variable . '=' . $previous);
        }
    }

    public function testConnect(): void
    {
        $bus = Bus::connect(static::$private->address());
        self::assertSame($this->busId($this->bus), $this->busId($bus));
        self::assertTrue($bus->isShared());
        self::assertSame($this->bus->getUniqueName(), $bus->getUniqueName(), 'one shared connection per address');
        $bus->close();
        self::assertNotSame('', $this->bus->getUniqueName(), 'closing one handle leaves the others');
        $this->expectException(InvalidArgumentException::class);
        Bus::connect('');
    }

    public function testConnectPrivate(): void
    {
        $private = Bus::connectPrivate(static::$private->address());
        self::assertFalse($private->isShared());
        self::assertNotSame($this->bus->getUniqueName(), $private->getUniqueName(), 'a unique name of its own');
        self::assertSame($this->busId($this->bus), $this->busId($private));
        $private->close();
    }

    public function testCall(): void
    {
        [$names] = $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ListNames');
        self::assertContains(self::TYPED, $names);
        self::assertContains($this->bus->getUniqueName(), $names);
        self::assertSame([9], $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [4, 5], 'uu'));
        self::assertSame([], $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Fail', ['a.b', 'c'], null, ['noReply' => true]));
        // No interface: the peer finds the method by name (GDBus peers do not; the bus does).
        self::assertSame([$this->busId($this->bus)], $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', null, 'GetId'));
        // A bus driver call through the generic call: RequestName, then the name is ours.
        self::assertSame([1], $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName', ['net.skypebus.Test.Mine', 0], 'su'));
        self::assertSame([$this->bus->getUniqueName()], $this->driver('GetNameOwner', ['net.skypebus.Test.Mine']));
    }

    public function testCallOptions(): void
    {
        [$typed] = $this->bus->call(self::TYPED, self::TYPED_PATH, 'org.freedesktop.DBus.Properties', 'Get', [self::TYPED, 'Volume'], 'ss', ['variants' => 'typed']);
        self::assertInstanceOf(Variant::class, $typed);
        self::assertSame('d', $typed->getSignature());
        [$plain] = $this->bus->call(self::TYPED, self::TYPED_PATH, 'org.freedesktop.DBus.Properties', 'Get', [self::TYPED, 'Volume'], 'ss', ['variants' => 'plain', 'timeout' => 5]);
        self::assertIsFloat($plain);

        // noReply returns at once, and the call still happens.
        $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName', ['net.skypebus.Test.NoReply', 0], 'su', ['noReply' => true]);
        $deadline = microtime(true) + 5;
        while (!$this->driver('NameHasOwner', ['net.skypebus.Test.NoReply'])[0] && microtime(true) < $deadline) {
            usleep(10000);
        }
        self::assertSame([$this->bus->getUniqueName()], $this->driver('GetNameOwner', ['net.skypebus.Test.NoReply']));

        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('Unknown call option "retries"');
        $this->bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId', [], null, ['retries' => 3]);
    }

    /** A prepared call is call() with its target and options made once (a GDBus peer). */
    public function testPrepare(): void
    {
        $sum = $this->bus->prepare(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', 'uu');
        self::assertInstanceOf(PreparedCall::class, $sum);
        self::assertSame(self::TYPED . '.Sum', $sum->getName());
        for ($i = 0; $i < 3; $i++) {
            self::assertSame([$i + 5], $sum($i, 5));
            self::assertSame($this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [$i, 5], 'uu'), $sum->call([$i, 5]));
        }
        // Without a signature (introspection) and without an interface, as call() allows.
        self::assertSame([9], $this->bus->prepare(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum')(4, 5));
        self::assertSame('GetId', $this->bus->prepare('org.freedesktop.DBus', '/org/freedesktop/DBus', null, 'GetId')->getName());
        // Options are those of call(): typed variants, noReply.
        [$typed] = $this->bus->prepare(self::TYPED, self::TYPED_PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['variants' => 'typed'])(self::TYPED, 'Volume');
        self::assertInstanceOf(Variant::class, $typed);
        self::assertSame([], $this->bus->prepare(self::TYPED, self::TYPED_PATH, self::TYPED, 'Fail', null, ['noReply' => true])('a.b', 'c'));
        // Wrong arguments are refused on each call, as by call().
        try {
            $sum(1);
            self::fail('one argument for "uu"');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('Sum takes 2 arguments (signature "uu"), 1 given', $e->getMessage());
        }
        // After close() it throws as call() does.
        $bus = Bus::connectPrivate(static::$private->address());
        $ping = $bus->prepare('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping', '');
        self::assertSame([], $ping());
        $bus->close();
        try {
            $ping();
            self::fail('a call after close()');
        } catch (DisconnectedException $e) {
            self::assertStringContainsString('closed', $e->getMessage());
        }
        $this->expectException(InvalidArgumentException::class);
        $this->bus->prepare(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', 'uu', ['retries' => 3]);
    }

    public function testSetTimeout(): void
    {
        $this->bus->setTimeout(30.0);
        self::assertSame([2], $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [1, 1], 'uu'));
        $this->expectException(InvalidArgumentException::class);
        $this->bus->setTimeout(0.0);
    }

    public function testProxy(): void
    {
        $proxy = $this->bus->proxy(self::TYPED, self::TYPED_PATH, self::TYPED, ['timeout' => 5]);
        self::assertInstanceOf(Proxy::class, $proxy);
        self::assertSame(7, $proxy->Sum(3, 4));
        $this->expectException(InvalidArgumentException::class);
        $this->bus->proxy(self::TYPED, self::TYPED_PATH, null, ['timeout' => -1]);
    }

    public function testUniqueName(): void
    {
        self::assertMatchesRegularExpression('/^:\d+\.\d+$/', $this->bus->getUniqueName());
        self::assertSame([$this->bus->getUniqueName()], $this->driver('GetNameOwner', [$this->bus->getUniqueName()]));
    }

    public function testProperties(): void
    {
        self::assertSame('typed', $this->bus->getProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Name'));
        // GDBus checks the declared types: a plain 7 goes out as "u", 1 as "d".
        $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Count', 7);
        self::assertSame(7, $this->bus->getProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Count'));
        $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Volume', 1);
        self::assertSame(1.0, $this->bus->getProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Volume'));
        $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Volume', 0.75, 'd');
        $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Tags', ['x', 'y']);
        self::assertSame(
            ['Count' => 7, 'Volume' => 0.75, 'Tags' => ['x', 'y'], 'Name' => 'typed'],
            $this->bus->getAllProperties(self::TYPED, self::TYPED_PATH, self::TYPED)
        );
        // Typed values give their own type.
        $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Count', new UInt32(8));
        $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Volume', new Variant('d', 0.5));
        self::assertSame(8, $this->bus->getProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Count'));
        self::assertSame(0.5, $this->bus->getProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Volume', ['timeout' => 5]));

        $all = $this->bus->getAllProperties(self::TYPED, self::TYPED_PATH, self::TYPED, ['variants' => 'typed']);
        self::assertSame('u', $all['Count']->getSignature());
        self::assertSame(['ActivatableServicesChanged', 'HeaderFiltering'], array_values(array_intersect(
            ['ActivatableServicesChanged', 'HeaderFiltering'],
            $this->bus->getProperty('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Features')
        )));
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('noReply');
        $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Count', 1, null, ['noReply' => true]);
    }

    public function testIntrospect(): void
    {
        $data = $this->bus->introspect(self::TYPED, self::TYPED_PATH, ['timeout' => 5]);
        self::assertSame(self::TYPED, $data['destination']);
        self::assertSame(self::TYPED_PATH, $data['path']);
        $interfaces = array_column($data['interfaces'], null, 'name');
        $typed = $interfaces[self::TYPED];
        $sum = array_column($typed['methods'], null, 'name')['Sum'];
        self::assertSame('uu', $sum['in_signature']);
        self::assertSame('u', $sum['out_signature']);
        self::assertSame(['name' => 'a', 'type' => 'u'], $sum['in'][0]);
        self::assertSame(
            ['name' => 'Count', 'type' => 'u', 'access' => 'readwrite', 'emits_changed' => 'true', 'annotations' => []],
            array_column($typed['properties'], null, 'name')['Count']
        );
        self::assertContains('org.freedesktop.DBus.Properties', array_keys($interfaces));
        self::assertSame(['net'], $this->bus->introspect(self::TYPED, '/')['nodes']);
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('Unknown introspect option "variants"');
        $this->bus->introspect(self::TYPED, '/', ['variants' => 'typed']);
    }

    public function testCloseIsIdempotent(): void
    {
        $bus = static::$private->connect();
        self::assertFalse($bus->isClosed());
        $bus->close();
        self::assertTrue($bus->isClosed());
        $bus->close();
        self::assertTrue($bus->isClosed());
        unset($bus);
        // Many connections opened and dropped: each is freed by its destructor.
        for ($i = 0; $i < 50; $i++) {
            $bus = static::$private->connect();
            self::assertNotSame('', $bus->getUniqueName());
        }
        self::assertNotSame('', $this->bus->getUniqueName());
    }

    /**
     * @requires extension pcntl
     */
    public function testAForkedChildGetsAFreshConnection(): void
    {
        $result = static::$private->directory() . '/fork-result';
        $pid = pcntl_fork();
        if ($pid === 0) {
            // The child: the inherited Bus is unusable, a new one works. It ends by exec, so
            // that no destructor of the parent's objects (the private bus!) runs here.
            $report = [];
            try {
                $this->busId($this->bus);
                $report[] = 'inherited connection worked';
            } catch (DisconnectedException $e) {
                $report[] = 'inherited: disconnected';
            }
            $report[] = 'fresh: ' . $this->busId(Bus::connect(static::$private->address()));
            file_put_contents($result, implode("\n", $report));
            pcntl_exec('/bin/true');
            exit(1);
        }
        pcntl_waitpid($pid, $status);
        self::assertSame("inherited: disconnected\nfresh: " . $this->busId($this->bus), (string) @file_get_contents($result));
        // The parent's connection is untouched.
        self::assertNotSame('', $this->bus->getUniqueName());
    }

    public function testCannotBeClonedOrSerialized(): void
    {
        try {
            $copy = clone $this->bus;
            self::fail('cloned');
        } catch (\Error $e) {
            self::assertStringContainsString('__clone', $e->getMessage());
        }
        $this->expectException(\LogicException::class);
        serialize($this->bus);
    }

    public function testSessionFollowsTheVariableAfterPutenv(): void
    {
        $saved = getenv('DBUS_SESSION_BUS_ADDRESS');
        $second = PrivateBus::start();
        try {
            putenv('DBUS_SESSION_BUS_ADDRESS=' . static::$private->address());
            $first = Bus::session();
            self::assertSame(static::$private->address(), $first->getAddress());
            $firstId = $first->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId')[0];
            // A suite that starts a bus per test class: the next Bus::session() is on the new bus,
            // while a handle to the first one still lives.
            putenv('DBUS_SESSION_BUS_ADDRESS=' . $second->address());
            $next = Bus::session();
            self::assertSame($second->address(), $next->getAddress());
            $nextId = $next->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId')[0];
            self::assertNotSame($firstId, $nextId);
            self::assertSame($firstId, $first->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId')[0]);
            $first->close();
            $next->close();
        } finally {
            putenv($saved === false ? 'DBUS_SESSION_BUS_ADDRESS' : 'DBUS_SESSION_BUS_ADDRESS=' . $saved);
            $second->stop();
        }
    }

    public function testPrintRShowsTheConnectionNotFfiInternals(): void
    {
        $proxy = $this->bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus', null, ['timeout' => 1.5]);
        $proxy->GetId();
        $dump = print_r($proxy, true);
        self::assertStringNotContainsString('FFI', $dump);
        self::assertStringNotContainsString('CData', $dump);
        self::assertStringContainsString('[destination] => org.freedesktop.DBus', $dump);
        self::assertStringContainsString('[timeout] => 1.5', $dump);
        self::assertStringContainsString('[uniqueName] => ' . $this->bus->getUniqueName(), $dump);
        self::assertStringNotContainsString('FFI', print_r($this->bus->subscribe(['interface' => 'a.b']), true));
        $this->bus->close();
        self::assertStringContainsString('[closed] => 1', print_r($this->bus, true));
    }
}
