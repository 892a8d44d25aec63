<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * A call failed: the peer or the bus sent a D-Bus error reply, the call timed out, or the
 * connection is gone.
 *
 * getErrorName() is the D-Bus error name exactly as received (for example
 * "org.freedesktop.DBus.Error.ServiceUnknown"), or one of the library's own names under
 * "net.skypebus.Error."; getMessage() is the error message exactly as received; getCode() is
 * the library's result code (1 for a D-Bus error reply, 2 for a local timeout, 10 for a lost
 * connection, ...).
 *
 * Subclasses exist for the common names; anything else is a DBusException itself.
 */
class DBusException extends \RuntimeException implements SkypeBusException
{
    /** @var string */
    private $errorName;

    public function __construct(string $errorName, string $message, int $code = 1, ?\Throwable $previous = null)
    {
        parent::__construct($message, $code, $previous);
        $this->errorName = $errorName;
    }

    /** The D-Bus error name, for example "org.freedesktop.DBus.Error.UnknownMethod". */
    public function getErrorName(): string
    {
        return $this->errorName;
    }
}
