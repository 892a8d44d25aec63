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
use SkypeBus\Internal\ResultCode;

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
            'service unknown' => [ResultCode::DBUS_ERROR, $e . 'ServiceUnknown', ServiceUnknownException::class],
            'name has no owner' => [ResultCode::DBUS_ERROR, $e . 'NameHasNoOwner', ServiceUnknownException::class],
            'unknown method' => [ResultCode::DBUS_ERROR, $e . 'UnknownMethod', UnknownMethodException::class],
            'unknown object' => [ResultCode::DBUS_ERROR, $e . 'UnknownObject', UnknownObjectException::class],
            'unknown interface' => [ResultCode::DBUS_ERROR, $e . 'UnknownInterface', UnknownInterfaceException::class],
            'unknown property' => [ResultCode::DBUS_ERROR, $e . 'UnknownProperty', UnknownPropertyException::class],
            'no reply from the bus' => [ResultCode::DBUS_ERROR, $e . 'NoReply', NoReplyException::class],
            'local timeout' => [ResultCode::TIMEOUT, $e . 'NoReply', TimeoutException::class],
            'access denied' => [ResultCode::DBUS_ERROR, $e . 'AccessDenied', AccessDeniedException::class],
            'interactive authorization required' => [ResultCode::DBUS_ERROR, $e . 'InteractiveAuthorizationRequired', InteractiveAuthorizationRequiredException::class],
            'invalid args' => [ResultCode::DBUS_ERROR, $e . 'InvalidArgs', InvalidArgsException::class],
            'bus disconnected' => [ResultCode::DBUS_ERROR, $e . 'Disconnected', DisconnectedException::class],
            'other d-bus error' => [ResultCode::DBUS_ERROR, $e . 'Failed', DBusException::class],
            'custom d-bus error' => [ResultCode::DBUS_ERROR, 'com.example.Error.Whatever', DBusException::class],
            'our disconnected' => [ResultCode::DISCONNECTED, $own . 'Disconnected', DisconnectedException::class],
            'connect failed' => [ResultCode::CONNECT_FAILED, $own . 'ConnectFailed', ConnectFailedException::class],
            'invalid json' => [ResultCode::INVALID_JSON, $own . 'InvalidJson', InvalidArgumentException::class],
            'invalid request' => [ResultCode::INVALID_REQUEST, $own . 'InvalidRequest', InvalidArgumentException::class],
            'type mismatch' => [ResultCode::TYPE_MISMATCH, $own . 'TypeMismatch', InvalidArgumentException::class],
            'invalid signature' => [ResultCode::INVALID_SIGNATURE, $own . 'InvalidSignature', InvalidArgumentException::class],
            'invalid name' => [ResultCode::INVALID_NAME, $own . 'InvalidName', InvalidArgumentException::class],
            'invalid utf-8' => [ResultCode::INVALID_UTF8, $own . 'InvalidUtf8', InvalidArgumentException::class],
            'null argument' => [ResultCode::NULL_ARGUMENT, $own . 'NullArgument', InvalidArgumentException::class],
            'limit exceeded' => [ResultCode::LIMIT_EXCEEDED, $own . 'LimitExceeded', InvalidArgumentException::class],
            'invalid message' => [ResultCode::INVALID_MESSAGE, $own . 'InvalidMessage', DBusException::class],
            'not supported' => [ResultCode::NOT_SUPPORTED, $own . 'NotSupported', DBusException::class],
            'io' => [ResultCode::IO_ERROR, $own . 'IO', DBusException::class],
            'panic' => [ResultCode::PANIC, $own . 'Panic', DBusException::class],
            'empty' => [ResultCode::EMPTY, $own . 'Empty', DBusException::class],
            'our name on a d-bus error code stays generic' => [ResultCode::DBUS_ERROR, $own . 'TypeMismatch', DBusException::class],
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
        self::assertInstanceOf(NoReplyException::class, Errors::exceptionFor(ResultCode::TIMEOUT, 'org.freedesktop.DBus.Error.NoReply', ''));
        self::assertNotInstanceOf(TimeoutException::class, Errors::exceptionFor(ResultCode::DBUS_ERROR, 'org.freedesktop.DBus.Error.NoReply', ''));
    }

    public function testArgumentErrorsAreSplInvalidArgumentExceptions(): void
    {
        self::assertInstanceOf(\InvalidArgumentException::class, Errors::exceptionFor(ResultCode::TYPE_MISMATCH, 'net.skypebus.Error.TypeMismatch', ''));
        self::assertInstanceOf(\RuntimeException::class, Errors::exceptionFor(ResultCode::DBUS_ERROR, 'org.freedesktop.DBus.Error.Failed', ''));
    }

    public function testSkypeErrorsCarryTheSkypeCodeAndText(): void
    {
        $e = Errors::exceptionFor(ResultCode::SKYPE_ERROR, 'net.skypebus.Error.Skype', 'Invalid/unknown chat name given', 510);
        self::assertSame(SkypeException::class, get_class($e));
        self::assertInstanceOf(SkypeBusException::class, $e);
        self::assertInstanceOf(\RuntimeException::class, $e);
        self::assertSame(510, $e->getCode());
        self::assertSame('Invalid/unknown chat name given', $e->getMessage());
        self::assertSame('net.skypebus.Error.Skype', $e->getErrorName());

        $e = Errors::exceptionFor(ResultCode::SKYPE_ERROR, 'net.skypebus.Error.Skype', 'access denied by the user', 68);
        self::assertSame(68, $e->getCode());
    }

    public function testSkypeNotSignedInIsASkypeExceptionOfItsOwn(): void
    {
        $e = Errors::exceptionFor(ResultCode::SKYPE_ERROR, Errors::SKYPE_NOT_SIGNED_IN, 'Skype is not signed in', 0);
        self::assertSame(SkypeNotSignedInException::class, get_class($e));
        self::assertInstanceOf(SkypeException::class, $e);
        self::assertSame(0, $e->getCode());
        self::assertSame(Errors::SKYPE_NOT_SIGNED_IN, $e->getErrorName());
    }

    public function testClosedConnection(): void
    {
        $e = Errors::closed();
        self::assertSame('net.skypebus.Error.Disconnected', $e->getErrorName());
        self::assertSame(ResultCode::DISCONNECTED, $e->getCode());
    }

    public function testAnAssociativeArrayIsNotCalledAnObject(): void
    {
        $e = Errors::exceptionFor(ResultCode::TYPE_MISMATCH, 'net.skypebus.Error.TypeMismatch', "arg 0: expected string 's', got an object with 1 key");
        self::assertSame("arg 0: expected string 's', got an associative array with 1 key", $e->getMessage());
        // D-Bus errors keep their message exactly.
        $dbus = Errors::exceptionFor(ResultCode::DBUS_ERROR, 'com.example.Error', 'got an object with 1 key');
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
