<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * A value, signature, name or option that cannot be sent: it does not fit the signature, the
 * signature or an object path is invalid, a string is not valid UTF-8, null was given, an option
 * is unknown. Thrown by PHP-side checks and for the library's own argument errors
 * (net.skypebus.Error.TypeMismatch, InvalidSignature, InvalidName, InvalidUtf8, InvalidRequest,
 * InvalidJson, LimitExceeded, NullArgument).
 *
 * It is an SPL \InvalidArgumentException, so code that catches those keeps working.
 */
final class InvalidArgumentException extends \InvalidArgumentException implements SkypeBusException
{
    /** @var string */
    private $errorName;

    public function __construct(
        string $message,
        string $errorName = 'net.skypebus.Error.InvalidRequest',
        int $code = 4,
        ?\Throwable $previous = null
    ) {
        parent::__construct($message, $code, $previous);
        $this->errorName = $errorName;
    }

    /** The error name, for example "net.skypebus.Error.TypeMismatch". */
    public function getErrorName(): string
    {
        return $this->errorName;
    }
}
