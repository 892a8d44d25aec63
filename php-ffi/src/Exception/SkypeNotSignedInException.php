<?php

declare(strict_types=1);

namespace SkypeBus\Exception;

/**
 * Skype is running but not signed in (it answered NAME with "CONNSTATUS OFFLINE"): try again
 * later, as Skype clients did after about a second. getCode() is 0 (Skype has no error code
 * for it); the error name is "net.skypebus.Error.SkypeNotSignedIn".
 */
final class SkypeNotSignedInException extends SkypeException
{
}
