<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\AccessDeniedException;
use SkypeBus\Exception\ConnectFailedException;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\DisconnectedException;
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

/**
 * The result codes of the C ABI (skypebus_result) and the one mapping from an error the library
 * reported (code, name, message) to the exception PHP users see. Pure PHP.
 *
 * @internal
 */
final class Errors
{
    public const OK = 0;
    public const DBUS_ERROR = 1;
    public const TIMEOUT = 2;
    public const INVALID_JSON = 3;
    public const INVALID_REQUEST = 4;
    public const TYPE_MISMATCH = 5;
    public const INVALID_SIGNATURE = 6;
    public const INVALID_NAME = 7;
    public const INVALID_UTF8 = 8;
    public const NULL_ARGUMENT = 9;
    public const DISCONNECTED = 10;
    public const CONNECT_FAILED = 11;
    public const LIMIT_EXCEEDED = 12;
    public const INVALID_MESSAGE = 13;
    public const NOT_SUPPORTED = 14;
    public const IO_ERROR = 15;
    public const PANIC = 16;
    public const SKYPE_ERROR = 17;
    public const EMPTY = 18;

    /** Result codes of the library's own argument errors: these become InvalidArgumentException. */
    private const ARGUMENT_CODES = [
        self::INVALID_JSON => true,
        self::INVALID_REQUEST => true,
        self::TYPE_MISMATCH => true,
        self::INVALID_SIGNATURE => true,
        self::INVALID_NAME => true,
        self::INVALID_UTF8 => true,
        self::NULL_ARGUMENT => true,
        self::LIMIT_EXCEEDED => true,
    ];

    /** D-Bus error names with their own exception class (D-Bus error replies, code 1). */
    private const BY_NAME = [
        'org.freedesktop.DBus.Error.ServiceUnknown' => ServiceUnknownException::class,
        'org.freedesktop.DBus.Error.NameHasNoOwner' => ServiceUnknownException::class,
        'org.freedesktop.DBus.Error.UnknownMethod' => UnknownMethodException::class,
        'org.freedesktop.DBus.Error.UnknownObject' => UnknownObjectException::class,
        'org.freedesktop.DBus.Error.UnknownInterface' => UnknownInterfaceException::class,
        'org.freedesktop.DBus.Error.UnknownProperty' => UnknownPropertyException::class,
        'org.freedesktop.DBus.Error.NoReply' => NoReplyException::class,
        'org.freedesktop.DBus.Error.AccessDenied' => AccessDeniedException::class,
        'org.freedesktop.DBus.Error.InvalidArgs' => InvalidArgsException::class,
        'org.freedesktop.DBus.Error.Disconnected' => DisconnectedException::class,
    ];

    /** The error name of "Skype is running but not signed in" (result code SKYPE_ERROR). */
    public const SKYPE_NOT_SIGNED_IN = 'net.skypebus.Error.SkypeNotSignedIn';

    /**
     * The exception for an error the library reported; $skypeCode is the Skype error code of a
     * SKYPE_ERROR (skypebus_error_skype_code).
     *
     * @return SkypeBusException&\Throwable
     */
    public static function exceptionFor(int $code, string $name, string $message, int $skypeCode = 0): \Throwable
    {
        if ($code === self::SKYPE_ERROR) {
            return $name === self::SKYPE_NOT_SIGNED_IN
                ? new SkypeNotSignedInException($name, $message, $skypeCode)
                : new SkypeException($name, $message, $skypeCode);
        }
        if ($code === self::TIMEOUT) {
            return new TimeoutException($name, $message, $code);
        }
        if ($code === self::DISCONNECTED) {
            return new DisconnectedException($name, $message, $code);
        }
        if ($code === self::CONNECT_FAILED) {
            return new ConnectFailedException($name, $message, $code);
        }
        if (isset(self::ARGUMENT_CODES[$code])) {
            return new InvalidArgumentException($message, $name, $code);
        }
        if ($code === self::DBUS_ERROR && isset(self::BY_NAME[$name])) {
            $class = self::BY_NAME[$name];
            return new $class($name, $message, $code);
        }
        return new DBusException($name, $message, $code);
    }

    /** The error the PHP side reports for a call on a closed connection. */
    public static function closed(): DisconnectedException
    {
        return new DisconnectedException(
            'net.skypebus.Error.Disconnected',
            'The connection is closed',
            self::DISCONNECTED
        );
    }

    /** The error for a request PHP refuses before anything is sent (InvalidRequest). */
    public static function invalid(string $message): InvalidArgumentException
    {
        return new InvalidArgumentException($message, 'net.skypebus.Error.InvalidRequest', self::INVALID_REQUEST);
    }
}
