<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * Skype refused a command: it answered "ERROR <code> <text>".
 *
 * getCode() is Skype's error code (68 "access denied by the user" when the user refused the
 * application, 2 "Unknown command", 43 "cannot send empty message", 510 "Invalid/unknown chat
 * name given", ...) and getMessage() is Skype's text. Rely on the code: Skype clients never
 * compared texts. getErrorName() is "net.skypebus.Error.Skype".
 *
 * The subclass SkypeNotSignedInException (code 0) means Skype is running but not signed in.
 * "Skype is not running" is a ServiceUnknownException, and an authorisation the user did not
 * answer in time a TimeoutException.
 */
class SkypeException extends \RuntimeException implements SkypeBusException
{
    /** @var string */
    private $errorName;

    public function __construct(string $errorName, string $message, int $skypeCode, ?\Throwable $previous = null)
    {
        parent::__construct($message, $skypeCode, $previous);
        $this->errorName = $errorName;
    }

    /** The error name: "net.skypebus.Error.Skype", or "net.skypebus.Error.SkypeNotSignedIn". */
    public function getErrorName(): string
    {
        return $this->errorName;
    }
}
