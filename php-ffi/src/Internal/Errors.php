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
 * The one mapping from an error the library reported (a result code of ResultCode, generated
 * from the C header; name; message) to the exception PHP users see. Pure PHP.
 *
 * @internal
 */
final class Errors
{
    /** Result codes of the library's own argument errors: these become InvalidArgumentException. */
    private const ARGUMENT_CODES = [
        ResultCode::INVALID_JSON => true,
        ResultCode::INVALID_REQUEST => true,
        ResultCode::TYPE_MISMATCH => true,
        ResultCode::INVALID_SIGNATURE => true,
        ResultCode::INVALID_NAME => true,
        ResultCode::INVALID_UTF8 => true,
        ResultCode::NULL_ARGUMENT => true,
        ResultCode::LIMIT_EXCEEDED => true,
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
        if ($code === ResultCode::SKYPE_ERROR) {
            return $name === self::SKYPE_NOT_SIGNED_IN
                ? new SkypeNotSignedInException($name, $message, $skypeCode)
                : new SkypeException($name, $message, $skypeCode);
        }
        if ($code === ResultCode::TIMEOUT) {
            return new TimeoutException($name, $message, $code);
        }
        if ($code === ResultCode::DISCONNECTED) {
            return new DisconnectedException($name, $message, $code);
        }
        if ($code === ResultCode::CONNECT_FAILED) {
            return new ConnectFailedException($name, $message, $code);
        }
        if (isset(self::ARGUMENT_CODES[$code])) {
            // The library speaks of the JSON it was given; PHP users gave arrays.
            $message = str_replace(['an empty object', 'an object with '], ['an empty associative array', 'an associative array with '], $message);
            return new InvalidArgumentException($message, $name, $code);
        }
        if ($code === ResultCode::DBUS_ERROR && isset(self::BY_NAME[$name])) {
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
        ), ResultCode::DBUS_ERROR);
    }

    /** Connecting failed for a reason the PHP side tells ($previous: the library's error). */
    public static function connectFailed(string $message, ?\Throwable $previous = null): ConnectFailedException
    {
        return new ConnectFailedException('net.skypebus.Error.ConnectFailed', $message, ResultCode::CONNECT_FAILED, $previous);
    }

    /** The error the PHP side reports for a call on a closed connection. */
    public static function closed(): DisconnectedException
    {
        return new DisconnectedException(
            'net.skypebus.Error.Disconnected',
            'The connection is closed',
            ResultCode::DISCONNECTED
        );
    }

    /** The error for a request PHP refuses before anything is sent (InvalidRequest). */
    public static function invalid(string $message): InvalidArgumentException
    {
        return new InvalidArgumentException($message, 'net.skypebus.Error.InvalidRequest', ResultCode::INVALID_REQUEST);
    }
}
