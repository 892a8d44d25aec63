<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Unit;

use PHPUnit\Framework\TestCase;
use SkypeBus\Exception\AccessDeniedException;
use SkypeBus\Exception\ConnectFailedException;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InteractiveAuthorizationRequiredException;
use SkypeBus\Exception\InvalidArgsException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\NoReplyException;
use SkypeBus\Exception\ServiceUnknownException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Exception\SkypeException;
use SkypeBus\Exception\SkypeNotSignedInException;
use SkypeBus\Exception\TimeoutException;
use SkypeBus\Exception\UnknownInterfaceException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Exception\UnknownObjectException;
use SkypeBus\Exception\UnknownPropertyException;
use SkypeBus\Internal\Errors;

/**
 * The mapping from what the library reports (result code, error name, message) to exceptions.
 */
final class ErrorsTest extends TestCase
{
    /**
     * @return array<string, array{0: int, 1: string, 2: class-string}>
     */
    public function errors(): array
    {
        $e = 'org.freedesktop.DBus.Error.';
        $own = 'net.skypebus.Error.';
        return [
            'service unknown' => [1, $e . 'ServiceUnknown', ServiceUnknownException::class],
            'name has no owner' => [1, $e . 'NameHasNoOwner', ServiceUnknownException::class],
            'unknown method' => [1, $e . 'UnknownMethod', UnknownMethodException::class],
            'unknown object' => [1, $e . 'UnknownObject', UnknownObjectException::class],
            'unknown interface' => [1, $e . 'UnknownInterface', UnknownInterfaceException::class],
            'unknown property' => [1, $e . 'UnknownProperty', UnknownPropertyException::class],
            'no reply from the bus' => [1, $e . 'NoReply', NoReplyException::class],
            'local timeout' => [2, $e . 'NoReply', TimeoutException::class],
            'access denied' => [1, $e . 'AccessDenied', AccessDeniedException::class],
            'interactive authorization required' => [1, $e . 'InteractiveAuthorizationRequired', InteractiveAuthorizationRequiredException::class],
            'invalid args' => [1, $e . 'InvalidArgs', InvalidArgsException::class],
            'bus disconnected' => [1, $e . 'Disconnected', DisconnectedException::class],
            'other d-bus error' => [1, $e . 'Failed', DBusException::class],
            'custom d-bus error' => [1, 'com.example.Error.Whatever', DBusException::class],
            'our disconnected' => [10, $own . 'Disconnected', DisconnectedException::class],
            'connect failed' => [11, $own . 'ConnectFailed', ConnectFailedException::class],
            'invalid json' => [3, $own . 'InvalidJson', InvalidArgumentException::class],
            'invalid request' => [4, $own . 'InvalidRequest', InvalidArgumentException::class],
            'type mismatch' => [5, $own . 'TypeMismatch', InvalidArgumentException::class],
            'invalid signature' => [6, $own . 'InvalidSignature', InvalidArgumentException::class],
            'invalid name' => [7, $own . 'InvalidName', InvalidArgumentException::class],
            'invalid utf-8' => [8, $own . 'InvalidUtf8', InvalidArgumentException::class],
            'null argument' => [9, $own . 'NullArgument', InvalidArgumentException::class],
            'limit exceeded' => [12, $own . 'LimitExceeded', InvalidArgumentException::class],
            'invalid message' => [13, $own . 'InvalidMessage', DBusException::class],
            'not supported' => [14, $own . 'NotSupported', DBusException::class],
            'io' => [15, $own . 'IO', DBusException::class],
            'panic' => [16, $own . 'Panic', DBusException::class],
            'empty' => [18, $own . 'Empty', DBusException::class],
            'our name on a d-bus error code stays generic' => [1, $own . 'TypeMismatch', DBusException::class],
        ];
    }

    /**
     * @dataProvider errors
     * @param class-string $class
     */
    public function testEachErrorGetsItsClassNameAndMessage(int $code, string $name, string $class): void
    {
        $exception = Errors::exceptionFor($code, $name, 'the message');
        self::assertSame($class, get_class($exception));
        self::assertInstanceOf(SkypeBusException::class, $exception);
        self::assertSame('the message', $exception->getMessage());
        self::assertSame($code, $exception->getCode());
        self::assertTrue(method_exists($exception, 'getErrorName'));
        self::assertSame($name, $exception->getErrorName());
    }

    public function testTimeoutIsANoReply(): void
    {
        self::assertInstanceOf(NoReplyException::class, Errors::exceptionFor(Errors::TIMEOUT, 'org.freedesktop.DBus.Error.NoReply', ''));
        self::assertNotInstanceOf(TimeoutException::class, Errors::exceptionFor(Errors::DBUS_ERROR, 'org.freedesktop.DBus.Error.NoReply', ''));
    }

    public function testArgumentErrorsAreSplInvalidArgumentExceptions(): void
    {
        self::assertInstanceOf(\InvalidArgumentException::class, Errors::exceptionFor(Errors::TYPE_MISMATCH, 'net.skypebus.Error.TypeMismatch', ''));
        self::assertInstanceOf(\RuntimeException::class, Errors::exceptionFor(Errors::DBUS_ERROR, 'org.freedesktop.DBus.Error.Failed', ''));
    }

    public function testSkypeErrorsCarryTheSkypeCodeAndText(): void
    {
        $e = Errors::exceptionFor(Errors::SKYPE_ERROR, 'net.skypebus.Error.Skype', 'Invalid/unknown chat name given', 510);
        self::assertSame(SkypeException::class, get_class($e));
        self::assertInstanceOf(SkypeBusException::class, $e);
        self::assertInstanceOf(\RuntimeException::class, $e);
        self::assertSame(510, $e->getCode());
        self::assertSame('Invalid/unknown chat name given', $e->getMessage());
        self::assertSame('net.skypebus.Error.Skype', $e->getErrorName());

        $e = Errors::exceptionFor(Errors::SKYPE_ERROR, 'net.skypebus.Error.Skype', 'access denied by the user', 68);
        self::assertSame(68, $e->getCode());
    }

    public function testSkypeNotSignedInIsASkypeExceptionOfItsOwn(): void
    {
        $e = Errors::exceptionFor(Errors::SKYPE_ERROR, Errors::SKYPE_NOT_SIGNED_IN, 'Skype is not signed in', 0);
        self::assertSame(SkypeNotSignedInException::class, get_class($e));
        self::assertInstanceOf(SkypeException::class, $e);
        self::assertSame(0, $e->getCode());
        self::assertSame(Errors::SKYPE_NOT_SIGNED_IN, $e->getErrorName());
    }

    public function testClosedConnection(): void
    {
        $e = Errors::closed();
        self::assertSame('net.skypebus.Error.Disconnected', $e->getErrorName());
        self::assertSame(Errors::DISCONNECTED, $e->getCode());
    }

    public function testAnAssociativeArrayIsNotCalledAnObject(): void
    {
        $e = Errors::exceptionFor(5, 'net.skypebus.Error.TypeMismatch', "arg 0: expected string 's', got an object with 1 key");
        self::assertSame("arg 0: expected string 's', got an associative array with 1 key", $e->getMessage());
        // D-Bus errors keep their message exactly.
        $dbus = Errors::exceptionFor(1, 'com.example.Error', 'got an object with 1 key');
        self::assertSame('got an object with 1 key', $dbus->getMessage());
    }

    public function testOnlyMismatchesAgainstIntrospectionBecomeInvalidArgs(): void
    {
        $mismatch = new InvalidArgumentException("arguments do not fit the signature from the peer's introspection data: arg 0", 'net.skypebus.Error.TypeMismatch', 5);
        $converted = Errors::againstIntrospection($mismatch);
        self::assertInstanceOf(InvalidArgsException::class, $converted);
        self::assertSame('net.skypebus.Error.TypeMismatch', $converted->getErrorName());
        self::assertSame(5, $converted->getCode());
        $inferred = new InvalidArgumentException('cannot infer one D-Bus type for the array', 'net.skypebus.Error.TypeMismatch', 5);
        self::assertSame($inferred, Errors::againstIntrospection($inferred));
        $other = new InvalidArgumentException('bad name', 'net.skypebus.Error.InvalidName', 7);
        self::assertSame($other, Errors::againstIntrospection($other));
    }
}
