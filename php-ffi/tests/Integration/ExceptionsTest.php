<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Integration;

use SkypeBus\Bus;
use SkypeBus\Exception\AccessDeniedException;
use SkypeBus\Exception\ConnectFailedException;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InvalidArgsException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\NoReplyException;
use SkypeBus\Exception\ServiceUnknownException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Exception\TimeoutException;
use SkypeBus\Exception\UnknownInterfaceException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Exception\UnknownObjectException;
use SkypeBus\Exception\UnknownPropertyException;
use SkypeBus\Tests\Support\PrivateBus;

/**
 * Each exception class from a real failing call on the private bus.
 */
final class ExceptionsTest extends IntegrationTestCase
{
    private const TYPED = 'net.skypebus.Test.Typed';
    private const TYPED_PATH = '/net/skypebus/Test/Typed';
    private const DBUS = 'org.freedesktop.DBus';
    private const DBUS_PATH = '/org/freedesktop/DBus';

    protected static function startPeers(PrivateBus $bus): void
    {
        $bus->startService('typed_service.py', self::TYPED);
    }

    /**
     * Runs $call and returns what it threw, checking the class, the error name and the code.
     *
     * @param class-string $class
     */
    private static function failure(callable $call, string $class, string $errorName, int $code): \Throwable
    {
        try {
            $call();
        } catch (\Throwable $e) {
            self::assertSame($class, get_class($e), $e->getMessage());
            self::assertInstanceOf(SkypeBusException::class, $e);
            self::assertSame($errorName, $e->getErrorName());
            self::assertSame($code, $e->getCode());
            return $e;
        }
        self::fail("no $class");
    }

    public function testServiceUnknown(): void
    {
        $e = self::failure(function (): void {
            $this->bus->call('net.skypebus.Test.Nobody', '/', null, 'Anything');
        }, ServiceUnknownException::class, 'org.freedesktop.DBus.Error.ServiceUnknown', 1);
        self::assertStringContainsString('net.skypebus.Test.Nobody', $e->getMessage());
        self::failure(function (): void {
            $this->driver('GetNameOwner', ['net.skypebus.Test.Nobody']);
        }, ServiceUnknownException::class, 'org.freedesktop.DBus.Error.NameHasNoOwner', 1);
    }

    public function testUnknownMethod(): void
    {
        $e = self::failure(function (): void {
            $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'NoSuchMethod');
        }, UnknownMethodException::class, 'org.freedesktop.DBus.Error.UnknownMethod', 1);
        self::assertStringContainsString('NoSuchMethod', $e->getMessage());
    }

    public function testUnknownInterface(): void
    {
        self::failure(function (): void {
            $this->bus->call(self::DBUS, self::DBUS_PATH, 'org.freedesktop.DBus.NoSuchInterface', 'GetId');
        }, UnknownInterfaceException::class, 'org.freedesktop.DBus.Error.UnknownInterface', 1);
    }

    public function testUnknownObject(): void
    {
        // No peer on Debian 12 answers an unknown path with UnknownObject by itself (GDBus 2.74
        // and dbus-python say UnknownMethod): the GDBus service replies with that error name.
        self::failure(function (): void {
            $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Fail', ['org.freedesktop.DBus.Error.UnknownObject', 'no object']);
        }, UnknownObjectException::class, 'org.freedesktop.DBus.Error.UnknownObject', 1);
    }

    public function testUnknownProperty(): void
    {
        self::failure(function (): void {
            $this->bus->getProperty(self::DBUS, self::DBUS_PATH, self::DBUS, 'NoSuchProperty');
        }, UnknownPropertyException::class, 'org.freedesktop.DBus.Error.UnknownProperty', 1);
    }

    public function testAccessDenied(): void
    {
        // The private bus's policy forbids owning this name.
        self::failure(function (): void {
            $this->driver('RequestName', [PrivateBus::FORBIDDEN_NAME, 0], 'su');
        }, AccessDeniedException::class, 'org.freedesktop.DBus.Error.AccessDenied', 1);
    }

    public function testInvalidArgs(): void
    {
        // GDBus checks the arguments against its declared "uu".
        self::failure(function (): void {
            $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', ['1', '2'], 'ss');
        }, InvalidArgsException::class, 'org.freedesktop.DBus.Error.InvalidArgs', 1);
    }

    public function testATypeMismatchAgainstTheIntrospectionDataIsAnInvalidArgsException(): void
    {
        // "x" cannot be the "u" the peer's introspection data declares: the peer's contract
        // refuses the arguments, a DBusException like the peer's own InvalidArgs.
        $calls = [
            'call' => function (): void {
                $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', ['x', 2]);
            },
            'proxy' => function (): void {
                $this->bus->proxy(self::TYPED, self::TYPED_PATH)->Sum('x', 2);
            },
            'property' => function (): void {
                $this->bus->setProperty(self::TYPED, self::TYPED_PATH, self::TYPED, 'Count', 'x');
            },
        ];
        foreach ($calls as $what => $call) {
            try {
                $call();
                self::fail("no exception from $what");
            } catch (DBusException $e) {
                self::assertSame(InvalidArgsException::class, get_class($e), $what . ': ' . $e->getMessage());
                self::assertSame('net.skypebus.Error.TypeMismatch', $e->getErrorName(), $what);
                self::assertSame(5, $e->getCode(), $what);
                self::assertStringContainsString('introspection', $e->getMessage(), $what);
            }
        }
        // With the caller's own signature, the mistake is the caller's: InvalidArgumentException.
        self::failure(function (): void {
            $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', ['x', 2], 'uu');
        }, InvalidArgumentException::class, 'net.skypebus.Error.TypeMismatch', 5);
    }

    public function testOtherDBusErrorsKeepTheirNameAndMessage(): void
    {
        $e = self::failure(function (): void {
            $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Fail', ['com.example.Error.Custom', 'exact message ✓']);
        }, DBusException::class, 'com.example.Error.Custom', 1);
        self::assertSame('exact message ✓', $e->getMessage());
    }

    public function testTimeoutAgainstAPeerThatNeverAnswers(): void
    {
        $start = microtime(true);
        $e = self::failure(function (): void {
            $this->bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Hang', [], null, ['timeout' => 0.3]);
        }, TimeoutException::class, 'org.freedesktop.DBus.Error.NoReply', 2);
        self::assertInstanceOf(NoReplyException::class, $e);
        self::assertLessThan(5 * 0.3 + 1, microtime(true) - $start, 'the error comes within five times the timeout');
        // The connection's default timeout applies where the call sets none (on a private
        // connection: the shared one's timeout would be every other handle's too).
        $bus = Bus::connectPrivate(static::$private->address());
        $bus->setTimeout(0.2);
        self::failure(static function () use ($bus): void {
            $bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Hang');
        }, TimeoutException::class, 'org.freedesktop.DBus.Error.NoReply', 2);
        // The connection still works afterwards.
        self::assertSame([5], $bus->call(self::TYPED, self::TYPED_PATH, self::TYPED, 'Sum', [2, 3], 'uu'));
        $bus->close();
    }

    public function testNoReplyWhenThePeerLeaves(): void
    {
        $private = static::$private;
        $process = $private->startService('typed_service.py', 'net.skypebus.Test.Leaving', ['net.skypebus.Test.Leaving']);
        try {
            $e = self::failure(function (): void {
                $this->bus->call('net.skypebus.Test.Leaving', self::TYPED_PATH, self::TYPED, 'Exit', [], null, ['timeout' => 20]);
            }, NoReplyException::class, 'org.freedesktop.DBus.Error.NoReply', 1);
            self::assertNotInstanceOf(TimeoutException::class, $e);
        } finally {
            $private->kill($process);
        }
    }

    public function testInvalidArgumentFromTheLibrary(): void
    {
        $e = self::failure(function (): void {
            $this->driver('RequestName', ['a.b', 'not a number'], 'su');
        }, InvalidArgumentException::class, 'net.skypebus.Error.TypeMismatch', 5);
        self::assertInstanceOf(\InvalidArgumentException::class, $e);
        self::failure(function (): void {
            $this->bus->call(self::DBUS, 'not a path', null, 'GetId');
        }, InvalidArgumentException::class, 'net.skypebus.Error.InvalidName', 7);
        self::failure(function (): void {
            $this->bus->call(self::DBUS, self::DBUS_PATH, self::DBUS, 'RequestName', ['a.b', 1 << 40], 'su');
        }, InvalidArgumentException::class, 'net.skypebus.Error.TypeMismatch', 5);
    }

    public function testInvalidArgumentFromPhpChecks(): void
    {
        self::failure(function (): void {
            $this->bus->call(self::DBUS, self::DBUS_PATH, self::DBUS, 'GetId', [], null, ['timeot' => 1]);
        }, InvalidArgumentException::class, 'net.skypebus.Error.InvalidRequest', 4);
        self::failure(function (): void {
            $this->bus->call(self::DBUS, self::DBUS_PATH, self::DBUS, 'NameHasOwner', ["\xff"]);
        }, InvalidArgumentException::class, 'net.skypebus.Error.InvalidUtf8', 8);
        self::failure(function (): void {
            $this->bus->call(self::DBUS, self::DBUS_PATH, self::DBUS, 'NameHasOwner', [null]);
        }, InvalidArgumentException::class, 'net.skypebus.Error.TypeMismatch', 5);
    }

    public function testDisconnectedWhenTheBusDies(): void
    {
        $private = PrivateBus::start();
        $bus = $private->connect();
        self::assertNotEmpty($bus->getUniqueName());
        $private->killDaemon();
        try {
            $e = self::failure(static function () use ($bus): void {
                $bus->call(self::DBUS, self::DBUS_PATH, self::DBUS, 'GetId', [], null, ['timeout' => 5]);
            }, DisconnectedException::class, 'net.skypebus.Error.Disconnected', 10);
            self::assertNotSame('', $e->getMessage());
        } finally {
            $bus->close();
            $private->stop();
        }
    }

    public function testDisconnectedAfterClose(): void
    {
        $bus = static::$private->connect();
        $bus->close();
        self::failure(static function () use ($bus): void {
            $bus->call(self::DBUS, self::DBUS_PATH, self::DBUS, 'GetId');
        }, DisconnectedException::class, 'net.skypebus.Error.Disconnected', 10);
    }

    public function testConnectFailed(): void
    {
        self::failure(static function (): void {
            Bus::connect('unix:path=' . sys_get_temp_dir() . '/skypebus-no-such-socket');
        }, ConnectFailedException::class, 'net.skypebus.Error.ConnectFailed', 11);
    }

    /** A missing socket or a refused tcp port: an error naming the address. */
    public function testConnectFailedNamesTheAddress(): void
    {
        // A tcp port that was just free: bound, then closed again.
        $server = stream_socket_server('tcp://127.0.0.1:0');
        self::assertIsResource($server);
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($server, false), ':'), 1);
        fclose($server);
        $addresses = [
            'unix:path=' . sys_get_temp_dir() . '/skypebus-no-such-socket-' . getmypid(),
            'tcp:host=127.0.0.1,port=' . $port,
        ];
        foreach ($addresses as $address) {
            $e = self::failure(static function () use ($address): void {
                Bus::connectPrivate($address);
            }, ConnectFailedException::class, 'net.skypebus.Error.ConnectFailed', 11);
            self::assertStringContainsString('the bus at ' . $address, $e->getMessage());
        }
    }

    public function testMalformedAddressNamesTheAddress(): void
    {
        foreach (['bogus', 'unix:', 'tcp:host=127.0.0.1,port=notaport'] as $address) {
            $e = self::failure(static function () use ($address): void {
                Bus::connectPrivate($address);
            }, InvalidArgumentException::class, 'net.skypebus.Error.InvalidName', 7);
            self::assertStringContainsString('the bus at ' . $address, $e->getMessage());
        }
    }
}
