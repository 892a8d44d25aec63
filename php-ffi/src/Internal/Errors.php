<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\AccessDeniedException;
use SkypeBus\Exception\ConnectFailedException;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\DisconnectedException;
use SkypeBus\Exception\InteractiveAuthorizationRequiredException;
use SkypeBus\Exception\InvalidArgsException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\NameTakenException;
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
        'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired' => InteractiveAuthorizationRequiredException::class,
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
            // The library speaks of the JSON it was given; PHP users gave arrays.
            $message = str_replace(['an empty object', 'an object with '], ['an empty associative array', 'an associative array with '], $message);
            return new InvalidArgumentException($message, $name, $code);
        }
        if ($code === self::DBUS_ERROR && isset(self::BY_NAME[$name])) {
            $class = self::BY_NAME[$name];
            return new $class($name, $message, $code);
        }
        return new DBusException($name, $message, $code);
    }

    /**
     * A request without a signature of its own whose values do not fit the types of the peer's
     * introspection data: the peer's contract refuses them, as the peer's own InvalidArgs would
     * (catch DBusException for both). Other argument errors, and values whose type could not be
     * inferred where the peer has no introspection data (the library says "cannot infer"), are
     * returned as they are.
     */
    public static function againstIntrospection(InvalidArgumentException $e, string $context = ''): SkypeBusException
    {
        if ($e->getErrorName() !== 'net.skypebus.Error.TypeMismatch' || strpos($e->getMessage(), 'cannot infer') !== false) {
            return $e;
        }
        return new InvalidArgsException($e->getErrorName(), $context . $e->getMessage(), $e->getCode(), $e);
    }

    /** requestName() refused: $owner (a unique name, if known) owns $name. */
    public static function nameTaken(string $name, ?string $owner): NameTakenException
    {
        return new NameTakenException('net.skypebus.Error.NameTaken', sprintf(
            'The name %s is owned by %s, and requestName() does not queue by default: pass '
            . 'Bus::NAME_QUEUE (or [\'queue\' => true]) to wait in its queue, or take it over with '
            . 'NAME_REPLACE_EXISTING when the owner allows replacement',
            $name,
            $owner !== null ? $owner : 'another connection'
        ), self::DBUS_ERROR);
    }

    /** Connecting failed for a reason the PHP side tells ($previous: the library's error). */
    public static function connectFailed(string $message, ?\Throwable $previous = null): ConnectFailedException
    {
        return new ConnectFailedException('net.skypebus.Error.ConnectFailed', $message, self::CONNECT_FAILED, $previous);
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
